"""Taking a case worker off a case: only the community's leadership may; the removed worker at once reads nothing
of the case (page, API, lists, search, messages, later events); it is audited and on the case's timeline; a case
in progress never loses its last worker without a replacement named in the same step."""
import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from gongzhi.accounts.policy import can
from gongzhi.care import selectors, services
from gongzhi.care.capability import CASE_WORK
from gongzhi.care.models import Case, CareEvent, CaseWorker, Measure
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(care, django_capture_on_commit_callbacks):
    """A case worked by the grid worker and the community worker, the grid worker owning its relief measure and
    told of its events."""
    with django_capture_on_commit_callbacks(execute=True):
        case = services.refer(user=care.property1, household=care.H1.pk, note="母亲失业，孩子无人照看")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(user=care.community_worker, case=case, worker=care.grid_worker.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(user=care.community_worker, case=case, worker=care.community_worker.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.verify(user=care.community_worker, case=case.pk, visited_on=TODAY, findings="父亲病故",
                        decision="open", case_type="low_income", health="奶奶透析", applicant=care.R1b.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.measure_add(user=care.community_worker, case=case.pk, kind="relief", started_on=TODAY,
                             owner=care.grid_worker.pk, title="临时救助")
    case.refresh_from_db()
    return case


def _state(case):
    return (list(Case.objects.filter(pk=case.pk).values()), list(CaseWorker.objects.filter(case=case).values()),
            list(Measure.objects.filter(case=case).values()), CareEvent.objects.filter(case=case).count(),
            AuditEntry.objects.filter(detail="unassign").count())


def refused(field, **kw):
    before = _state(Case.objects.get(pk=kw["case"]))
    with pytest.raises(ValidationError) as exc:
        services.unassign(**kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert _state(Case.objects.get(pk=kw["case"])) == before
    return exc.value.message_dict[field][0]


def test_the_removed_worker_at_once_reads_nothing_of_the_case(care, shared, client, api,
                                                              django_capture_on_commit_callbacks):
    gw = care.grid_worker
    told = Notification.objects.filter(recipient=gw, source="care", subject_id=shared.pk)
    assert told.exists()
    assert client.get(f"/care/cases/{shared.pk}/").status_code == 302  # not logged in yet
    client.force_login(gw)
    assert client.get(f"/care/cases/{shared.pk}/").status_code == 200
    assert api.get(gw, f"/api/v1/care/cases/{shared.pk}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.unassign(user=care.community_worker, case=shared.pk, worker=gw.pk)

    assert not can(gw, CASE_WORK, shared)
    assert client.get(f"/care/cases/{shared.pk}/").status_code == 404
    assert client.post(f"/care/cases/{shared.pk}/reveal/").status_code == 404
    assert "BF" not in client.get("/care/").content.decode().split("<main")[1]
    assert api.get(gw, f"/api/v1/care/cases/{shared.pk}").status_code == 404
    assert api.get(gw, "/api/v1/care/cases", mine="true").json()["count"] == 0
    assert api.get(gw, "/api/v1/care/cases", q="李娜").json()["count"] == 0
    assert api.post(gw, f"/api/v1/care/cases/{shared.pk}/followups",
                    {"done_on": TODAY.isoformat(), "note": "回访"}).status_code == 404
    assert not selectors.my_cases(gw).exists()
    # what they were told of the case went from their inbox, and later events tell them nothing
    assert not told.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_record(user=care.community_worker, case=shared.pk, done_on=TODAY, note="已回访")
    assert not Notification.objects.filter(recipient=gw, source="care").exists()
    inbox = client.get("/notifications/")
    assert str(shared.number) not in inbox.content.decode()
    # the measure they owned passed to the worker left; audited; on the timeline
    assert Measure.objects.get(case=shared).owner == care.community_worker
    entry = AuditEntry.objects.get(detail="unassign", object_id=str(shared.pk))
    assert entry.user == care.community_worker and entry.changes["workers"] == ["grid_worker1", None]
    event = CareEvent.objects.get(case=shared, action="unassigned")
    assert event.actor == care.community_worker and event.note == str(gw)
    # the community still reads it, and sees the change on the timeline
    client.force_login(care.community_worker)
    page = client.get(f"/care/cases/{shared.pk}/").content.decode()
    assert "移除个案工作者" in page and str(gw) in page.split("记录</h2>")[1]


def test_the_last_worker_of_a_case_in_progress_goes_only_with_a_replacement(care, shared):
    cw = care.community_worker
    services.unassign(user=cw, case=shared.pk, worker=cw.pk)
    message = refused("replacement", user=cw, case=shared.pk, worker=care.grid_worker.pk)
    assert "唯一的工作者" in message and "接替人" in message
    # a replacement out of the place, or the worker themself, is refused too
    refused("replacement", user=cw, case=shared.pk, worker=care.grid_worker.pk, replacement=care.grid_worker2.pk)
    refused("replacement", user=cw, case=shared.pk, worker=care.grid_worker.pk, replacement=care.grid_worker.pk)
    refused("replacement", user=cw, case=shared.pk, worker=care.grid_worker.pk, replacement=care.property1.pk)
    services.unassign(user=cw, case=shared.pk, worker=care.grid_worker.pk, replacement=cw.pk)
    assert list(CaseWorker.objects.filter(case=shared).values_list("user", flat=True)) == [cw.pk]
    assert Measure.objects.get(case=shared).owner == cw
    assert list(CareEvent.objects.filter(case=shared).order_by("id").values_list("action", flat=True))[-2:] == [
        "unassigned", "assigned"]


def test_a_closed_case_may_lose_its_last_worker(care, shared):
    cw = care.community_worker
    services.unassign(user=cw, case=shared.pk, worker=cw.pk)
    services.close(user=care.grid_worker, case=shared.pk, review="家庭稳定", confirm_open=True)
    services.unassign(user=cw, case=shared.pk, worker=care.grid_worker.pk)
    assert not CaseWorker.objects.filter(case=shared).exists()


def test_only_the_leadership_unassigns_and_only_a_worker_of_the_case(care, shared):
    with pytest.raises(Http404):
        services.unassign(user=care.grid_worker, case=shared.pk, worker=care.community_worker.pk)
    with pytest.raises(Http404):
        services.unassign(user=care.property1, case=shared.pk, worker=care.grid_worker.pk)
    refused("worker", user=care.community_worker, case=shared.pk, worker=care.grid_worker2.pk)
    refused("worker", user=care.community_worker, case=shared.pk, worker="x")
    assert CaseWorker.objects.filter(case=shared).count() == 2


def test_a_stale_form_is_a_conflict(care, shared):
    with pytest.raises(services.Conflict):
        services.unassign(user=care.community_worker, case=shared.pk, worker=care.grid_worker.pk,
                          version=shared.version - 1)
    assert CaseWorker.objects.filter(case=shared).count() == 2


def test_the_page_and_the_api(care, shared, client, api):
    cw = care.community_worker
    client.force_login(cw)
    page = client.get(f"/care/cases/{shared.pk}/").content.decode()
    assert 'id="unassign"' in page
    r = client.post(f"/care/cases/{shared.pk}/unassign/", {"worker": care.grid_worker.pk,
                                                           "version": shared.version}, follow=True)
    assert "已移除个案工作者" in r.content.decode()
    r = client.post(f"/care/cases/{shared.pk}/unassign/", {"worker": cw.pk}, follow=True)
    assert "唯一的工作者" in r.content.decode()
    assert CaseWorker.objects.filter(case=shared, user=cw).exists()
    # English
    client.cookies["django_language"] = "en"
    r = client.post(f"/care/cases/{shared.pk}/unassign/", {"worker": cw.pk}, follow=True)
    assert "only worker" in r.content.decode()
    # the API: the field at fault, then the replacement; a worker may not
    r = api.post(cw, f"/api/v1/care/cases/{shared.pk}/unassign", {"worker": cw.pk})
    assert r.status_code == 400 and "replacement" in r.content.decode()
    assert api.post(care.grid_worker, f"/api/v1/care/cases/{shared.pk}/unassign",
                    {"worker": cw.pk, "replacement": care.grid_worker.pk}).status_code == 404
    r = api.post(cw, f"/api/v1/care/cases/{shared.pk}/unassign", {"worker": cw.pk, "replacement": care.grid_worker.pk})
    assert r.status_code == 200 and r.json()["workers"] == [str(care.grid_worker)]
    r = api.post(cw, f"/api/v1/care/cases/{shared.pk}/unassign", {"worker": care.grid_worker.pk,
                                                                  "version": 1})
    assert r.status_code == 409
