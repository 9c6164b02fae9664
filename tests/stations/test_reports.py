"""随手拍: an outdoor worker with a beat reports what they see as an appeal, from the phone page with a photo and
the phone's position or through the API; sees what came of it; earns points in the service ledger once the
report is verified, once per appeal whatever happens to it after; nobody else's appeals earn them points."""
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.appeals.models import Appeal, AppealPhoto, Rating, Status
from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.core.models import AuditEntry
from gongzhi.lists.models import LedgerEntry
from gongzhi.lists.services import ledger_correct
from gongzhi.stations import reports


@pytest.fixture
def rider(grid):
    """rider1 with a beat: the sub-district, as the demo gives them."""
    RoleAssignment.objects.filter(user=grid.rider1, role=Role.OUTDOOR_WORKER).update(subdistrict=grid.S)
    return grid.rider1


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def photo():
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 90, 90)).save(buf, "JPEG")
    return SimpleUploadedFile("manhole.jpg", buf.getvalue(), content_type="image/jpeg")


def report(grid, user, description="路口井盖丢了，晚上很危险", **kw):
    kw.setdefault("lat", "24.1402")
    kw.setdefault("lng", "115.7301")
    return appeal_submit(user=user, category=grid.lift, description=description, **kw)


def resolve(grid, appeal):
    a = appeal_act(user=grid.community_worker, appeal=appeal, action="dispatch", handler=appeal.suggested_handler.pk)
    a = appeal_act(user=grid.property1, appeal=a, action="take")
    return appeal_act(user=grid.property1, appeal=a, action="resolve", note="已补装井盖")


def credits(user=None):
    qs = LedgerEntry.objects.filter(source__startswith=reports.SOURCE_PREFIX)
    return list(qs.filter(person=user) if user else qs)


def test_a_rider_files_a_report_with_a_photo_and_the_phones_position(client, grid, rider, media):
    client.force_login(rider)
    page = client.get("/appeals/new/?place=location")
    assert page.status_code == 200
    assert page.context["form"]["place"].value() == "location"
    r = client.post("/appeals/new/", {"category": grid.lighting.pk, "description": "福兴路口路灯不亮，晚上送餐看不清路",
                                      "place": "location", "lat": "24.1401", "lng": "115.7302", "photos": [photo()]})
    assert r.status_code == 302, r.content.decode()[:2000]
    a = Appeal.objects.get()
    assert (a.reporter, a.compound, a.status, a.channel) == (rider, grid.K1, Status.SUBMITTED, "app")
    assert (str(a.lat), str(a.lng)) == ("24.140100", "115.730200")
    assert AppealPhoto.objects.filter(appeal=a).count() == 1
    assert r["Location"] == f"/appeals/{a.pk}/"  # they read their own report and what came of it
    assert client.get(r["Location"]).status_code == 200


def test_a_rider_reports_through_the_api_too(api, grid, rider):
    r = api.post(rider, "/api/v1/appeals", {"category": "lighting", "description": "路灯不亮",
                                            "lat": 24.1402, "lng": 115.7301})
    assert r.status_code == 201, r.content
    assert Appeal.objects.get().reporter == rider


def test_an_outdoor_worker_without_a_beat_files_nothing(client, api, grid):
    client.force_login(grid.rider1)
    assert client.get("/appeals/new/").status_code == 404
    assert api.post(grid.rider1, "/api/v1/appeals", {"category": "lighting", "description": "路灯不亮",
                                                     "lat": 24.1402, "lng": 115.7301}).status_code == 403
    assert not Appeal.objects.exists()


def test_a_rider_reads_only_their_own_reports(api, grid, rider):
    other = appeal_submit(user=grid.resident1, category=grid.lift, description="1栋电梯异响", compound=grid.K1)
    mine = report(grid, rider)
    assert api.get(rider, f"/api/v1/appeals/{mine.pk}").status_code == 200
    assert api.get(rider, f"/api/v1/appeals/{other.pk}").status_code == 404
    assert [i["id"] for i in api.get(rider, "/api/v1/appeals").json()["items"]] == [mine.pk]


def test_a_verified_report_earns_points_once(grid, rider):
    a = resolve(grid, report(grid, rider))
    assert credits() == []  # resolved is not yet confirmed
    a = appeal_act(user=grid.grid_worker, appeal=a, action="verify")
    [line] = credits(rider)
    assert (line.points, line.hours, line.source, line.by, line.compound_id) == (
        reports.points_per_report(), Decimal("0.0"), f"appeals.report:{a.pk}", grid.grid_worker, grid.K1.pk)
    assert line.reason == "随手拍：路口井盖丢了，晚上很危险"
    assert AuditEntry.objects.filter(object_type="lists.ledgerentry", detail="credit").count() == 1
    # Rated unsatisfied, reopened, handled and verified again: still the one line.
    a = appeal_act(user=rider, appeal=a, action="rate", rating=Rating.UNSATISFIED, note="井盖又松了")
    assert a.status == Status.CLOSED
    a = appeal_act(user=rider, appeal=a, action="reopen", note="井盖又松了")
    a = resolve(grid, a)
    appeal_act(user=rider, appeal=a, action="verify")  # the reporter confirms it this time
    assert len(credits()) == 1


def test_a_correction_of_the_credit_is_not_undone_by_a_later_verification(grid, rider):
    a = appeal_act(user=grid.grid_worker, appeal=resolve(grid, report(grid, rider)), action="verify")
    [line] = credits(rider)
    ledger_correct(user=grid.community_worker, entry=line, reason="重复上报")
    a = appeal_act(user=rider, appeal=a, action="rate", rating=Rating.UNSATISFIED, note="没修好")
    a = appeal_act(user=rider, appeal=a, action="reopen", note="没修好")
    appeal_act(user=grid.grid_worker, appeal=resolve(grid, a), action="verify")
    assert sum(e.points for e in credits(rider)) == 0 and len(credits(rider)) == 2


def test_only_riders_verified_reports_earn_points(grid, rider):
    theirs = appeal_submit(user=grid.resident1, category=grid.lift, description="1栋电梯异响", compound=grid.K1)
    appeal_act(user=grid.grid_worker, appeal=resolve(grid, theirs), action="verify")
    refused = report(grid, rider, description="这里好像有个坑")
    appeal_act(user=grid.community_worker, appeal=refused, action="reject", note="已有人反映", duplicate_of=theirs.pk)
    withdrawn = report(grid, rider, description="路灯不亮")
    appeal_act(user=rider, appeal=withdrawn, action="withdraw")
    report(grid, rider, description="井盖松动")  # still in hand
    assert credits() == []


def test_a_rider_who_lost_their_beat_earns_nothing(grid, rider):
    a = resolve(grid, report(grid, rider))
    RoleAssignment.objects.filter(user=rider).update(subdistrict=None)
    appeal_act(user=grid.grid_worker, appeal=a, action="verify")
    assert credits() == []


def test_the_riders_home_shows_the_reports_and_the_points(client, grid, rider):
    a = appeal_act(user=grid.grid_worker, appeal=resolve(grid, report(grid, rider)), action="verify")
    report(grid, rider, description="福兴路口路灯不亮")
    client.force_login(rider)
    body = client.get("/").content.decode()
    assert "随手拍" in body and "/appeals/new/?place=location" in body
    assert f"今年获得积分 <strong>{reports.points_per_report()}</strong>，已确认 1 件" in body
    assert f'href="/appeals/{a.pk}/"' in body and "随手拍：路口井盖丢了" in body
    assert "我的诉求" in body and "福兴路口路灯不亮" in body  # what came of each report: the appeals' own panel


def test_the_riders_home_costs_the_same_queries_however_many_reports(client, grid, rider):
    client.force_login(rider)
    client.get("/")
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for n in range(3):
        appeal_act(user=grid.grid_worker, appeal=resolve(grid, report(grid, rider, description=f"井盖缺失{n}")),
                   action="verify")
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(before) == len(after)


def test_others_do_not_get_the_panel(client, grid, rider):
    for user in (grid.resident1, grid.grid_worker, grid.community_worker):
        client.force_login(user)
        assert "拍照上报" not in client.get("/").content.decode()
