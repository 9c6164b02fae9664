"""The reporter's own moves on an open appeal: 催办 (chase it past its deadline, at most once a working day) and
补充 (add details and photos); the handler and the desk hear of both."""
import datetime

import pytest
from django.core.exceptions import ValidationError

from gongzhi.appeals.errors import Conflict, NotAllowed
from gongzhi.appeals.models import Appeal
from gongzhi.core.workdays import LOCAL

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime.datetime(2026, 11, 30, 12, tzinfo=LOCAL)


@pytest.fixture
def overdue(grid, submit, act):
    a = act(grid.community_worker, submit(), "dispatch", handler=grid.property_co.pk)
    Appeal.objects.filter(pk=a.pk).update(resolve_due=MONDAY_NOON - datetime.timedelta(days=3))
    a.refresh_from_db()
    return a


def chase(act, grid, a, when):
    from gongzhi.appeals.services import appeal_act

    return appeal_act(user=grid.resident1, appeal=a, action="chase", note="一周了还没人来", now=when)


def test_the_reporter_chases_once_a_working_day(grid, act, overdue):
    a = chase(act, grid, overdue, MONDAY_NOON)
    assert a.events.filter(action="chase", actor=grid.resident1).count() == 1 and a.status == "dispatched"
    with pytest.raises(Conflict) as e:
        chase(act, grid, a, MONDAY_NOON + datetime.timedelta(hours=5))  # the same day
    assert "下一个工作日" in e.value.message
    friday = MONDAY_NOON + datetime.timedelta(days=4)
    chase(act, grid, a, friday)
    with pytest.raises(Conflict):
        chase(act, grid, a, friday + datetime.timedelta(days=1))  # Saturday: no working day since Friday
    chase(act, grid, a, friday + datetime.timedelta(days=3))  # Monday
    assert a.events.filter(action="chase").count() == 3


def test_only_past_the_deadline(grid, submit, act):
    a = submit()
    with pytest.raises(Conflict) as e:
        chase(act, grid, a, MONDAY_NOON)
    assert "尚未超过办理时限" in e.value.message
    assert not a.events.filter(action="chase").exists()


def test_only_the_reporter(grid, act, overdue):
    from gongzhi.appeals.services import appeal_act

    for user in (grid.community_worker, grid.property1):
        with pytest.raises(NotAllowed):
            appeal_act(user=user, appeal=overdue, action="chase", now=MONDAY_NOON)


def test_the_page_offers_it_only_when_it_may_be_done(client, grid, submit, overdue):
    client.force_login(grid.resident1)
    assert 'value="chase"' in client.get(f"/appeals/{overdue.pk}/").content.decode()
    fresh = submit()
    assert 'value="chase"' not in client.get(f"/appeals/{fresh.pk}/").content.decode()
    r = client.post(f"/appeals/{overdue.pk}/act/", {"action": "chase", "version": overdue.version})
    assert r.status_code == 302 and overdue.events.filter(action="chase").count() == 1
    assert 'value="chase"' not in client.get(f"/appeals/{overdue.pk}/").content.decode()  # chased today


def test_the_handler_and_the_desk_hear_of_it(grid, overdue):
    from gongzhi.appeals.recipients import recipients_for
    from gongzhi.appeals.services import appeal_act

    appeal_act(user=grid.resident1, appeal=overdue, action="chase")
    event = overdue.events.get(action="chase")
    heard = recipients_for(event)
    assert grid.property1.pk in heard and grid.community_worker.pk in heard and grid.resident1.pk not in heard


def test_the_reporter_adds_details_and_photos(client, grid, act, overdue, settings, tmp_path):
    """补充: more of the problem, in words and photos, told to the handler and the desk."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from gongzhi.appeals.models import AppealPhoto, PhotoKind
    from gongzhi.appeals.recipients import recipients_for
    from gongzhi.appeals.services import appeal_act

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    client.force_login(grid.resident1)
    assert 'value="supplement"' in client.get(f"/appeals/{overdue.pk}/").content.decode()
    r = client.post(f"/appeals/{overdue.pk}/act/", {
        "action": "supplement", "version": overdue.version, "note": "晚上十点后电梯灯也不亮",
        "photos": SimpleUploadedFile("lift.png", buf.getvalue(), content_type="image/png")})
    assert r.status_code == 302
    event = overdue.events.get(action="supplement")
    assert event.note == "晚上十点后电梯灯也不亮" and event.actor == grid.resident1
    photo = AppealPhoto.objects.get(appeal=overdue)
    assert (photo.kind, photo.event_id, photo.uploaded_by) == (PhotoKind.REPORT, event.pk, grid.resident1)
    heard = recipients_for(event)
    assert grid.property1.pk in heard and grid.community_worker.pk in heard
    with pytest.raises(NotAllowed):
        appeal_act(user=grid.property1, appeal=overdue, action="supplement", note="x")
    with pytest.raises(ValidationError) as e:  # a note is what a supplement is
        appeal_act(user=grid.resident1, appeal=overdue, action="supplement", note="")
    assert list(e.value.message_dict) == ["note"]
