"""Mediation records (矛盾纠纷调解): the status flow, bad input refused with nothing written, names and phones
encrypted and masked until an audited reveal, the appeal linked both ways, and the record confidential to the
community's leadership and its mediators (404 on every page and path, absent from lists, search and counts)."""
import datetime
import json
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import random_staff  # tests/conftest.py
from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.appeals.models import Appeal, Category
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.deliberation import selectors, services
from gongzhi.deliberation.models import Mediation, MediationParty, MediationSession
from gongzhi.notifications.models import Notification

TODAY = timezone.localdate()
SECRETS = ("周桂芳", "13912340001", "吴国华")


def _user(username, role, node):
    u = User.objects.create_user(username=username, password="x")
    ra = RoleAssignment(user=u, role=role)
    ra.set_node(node)
    ra.save()
    return u


@pytest.fixture
def people(cast):
    """The cast with a second community's worker and a second grid worker (of K2)."""
    c = cast
    c.worker2 = _user("community_worker2", Role.COMMUNITY_WORKER, c.C2)
    c.grid_worker2 = _user("grid_worker2", Role.GRID_WORKER, c.K2)
    return c


@pytest.fixture
def med(people):
    """A record of compound K1 opened by the community desk, the grid worker its mediator."""
    c = people
    c.record = services.mediation_open(
        user=c.community_worker, compound=c.K1.pk, household=c.H1.pk, dispute_type="noise",
        summary="楼上夜间噪音", mediators=[c.grid_worker.pk],
        parties=[{"side": "applicant", "name": "周桂芳", "phone": "13912340001"},
                 {"side": "respondent", "name": "吴国华", "phone": "139-1234-0002"}])
    return c


def test_the_flow_from_open_to_agreed_followed_up_and_closed(med):
    m, gw = med.record, med.grid_worker
    assert m.status == "open" and m.number == f"TJ{m.pk:05d}"
    m = services.mediation_session(user=gw, mediation=m, held_on=TODAY, attended="双方、楼长", notes="双方陈述")
    assert m.status == "mediating"
    m = services.mediation_agree(user=gw, mediation=m, agreement="晚十点后不再装修", agreed_on=TODAY,
                                 follow_up_on=TODAY + datetime.timedelta(days=7), version=m.version)
    assert m.status == "agreed" and m.follow_up_on
    with pytest.raises(ValidationError):  # no more sessions once agreed
        services.mediation_session(user=gw, mediation=m, held_on=TODAY, notes="再谈")
    m = services.mediation_follow_up(user=gw, mediation=m, held_on=TODAY, notes="已履行", close=True)
    assert m.status == "closed" and m.closed_at and m.follow_up_on is None
    assert [s.kind for s in MediationSession.objects.filter(mediation=m)] == ["session", "follow_up"]


def test_a_failed_mediation_is_handed_over_then_closed(med):
    m, w = med.record, med.community_worker
    m = services.mediation_session(user=w, mediation=m, held_on=TODAY, notes="分歧大")
    m = services.mediation_hand_over(user=w, mediation=m, handed_to="judicial", reason="双方拒绝让步")
    assert m.status == "handed_over" and m.handed_to == "judicial" and m.handed_over_at
    with pytest.raises(ValidationError):
        services.mediation_agree(user=w, mediation=m, agreement="x", agreed_on=TODAY)
    m = services.mediation_follow_up(user=w, mediation=m, held_on=TODAY, notes="司法所已受理")
    assert m.status == "handed_over"
    assert services.mediation_close(user=w, mediation=m, reason="司法所调解成功").status == "closed"


@pytest.mark.parametrize("kw, field", [
    ({"dispute_type": "war"}, "dispute_type"),
    ({"summary": " "}, "summary"),
    ({"parties": []}, "parties"),
    ({"parties": [{"side": "respondent", "name": "甲"}]}, "parties"),
    ({"parties": [{"side": "applicant", "name": "甲", "phone": "call me"}]}, "parties"),
    ({"parties": [{"side": "judge", "name": "甲"}]}, "parties"),
    ({"mediators": []}, "mediators"),
    ({"mediators": ["abc"]}, "mediators"),
    ({"household": "999999"}, "household"),
])
def test_bad_input_opens_nothing(med, kw, field):
    data = dict(user=med.community_worker, compound=med.K1.pk, dispute_type="parking", summary="占用车位",
                mediators=[med.grid_worker.pk], parties=[{"side": "applicant", "name": "甲"}])
    data.update(kw)
    before = Mediation.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.mediation_open(**data)
    assert field in exc.value.message_dict
    assert Mediation.objects.count() == before


def test_a_mediator_must_serve_the_place_and_the_opener_lead_it(med):
    # the other community's worker and K2's grid worker do not serve K1; a resident never does
    for person in (med.worker2, med.grid_worker2, med.resident1, med.property1):
        with pytest.raises(ValidationError) as exc:
            services.mediation_open(user=med.community_worker, compound=med.K1.pk, dispute_type="parking",
                                    summary="占用车位", mediators=[person.pk], parties=[{"name": "甲"}])
        assert "mediators" in exc.value.message_dict
    for outsider in (med.worker2, med.grid_worker, med.owners1, med.resident1):
        with pytest.raises(ValidationError) as exc:
            services.mediation_open(user=outsider, compound=med.K1.pk, dispute_type="parking", summary="占用车位",
                                    mediators=[med.grid_worker.pk], parties=[{"name": "甲"}])
        assert "compound" in exc.value.message_dict


def test_steps_refuse_bad_dates_wrong_order_and_stale_versions(med):
    m, w = med.record, med.community_worker
    tomorrow = TODAY + datetime.timedelta(days=1)
    for kw in ({"held_on": tomorrow.isoformat(), "notes": "x"}, {"held_on": "2026-13-01", "notes": "x"},
               {"held_on": TODAY, "notes": ""}):
        with pytest.raises(ValidationError):
            services.mediation_session(user=w, mediation=m, **kw)
    with pytest.raises(ValidationError) as exc:  # an agreement needs a session first
        services.mediation_agree(user=w, mediation=m, agreement="x", agreed_on=TODAY)
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.mediation_hand_over(user=w, mediation=m, handed_to="moon", reason="x")
    with pytest.raises(services.Conflict):
        services.mediation_session(user=w, mediation=m, held_on=TODAY, notes="x", version=m.version + 1)
    assert Mediation.objects.get(pk=m.pk).status == "open" and not MediationSession.objects.exists()


def test_names_and_phones_are_stored_encrypted_masked_and_revealed_with_an_audit(med, api):
    rows = list(MediationParty.objects.filter(mediation=med.record))
    assert {p.name_masked for p in rows} == {"周**", "吴**"} and rows[0].phone_masked == "139****0001"
    assert all("周桂芳" not in p.name_enc and "13912340001" not in p.phone_enc for p in rows)
    body = json.dumps(api.get(med.grid_worker, f"/api/v1/mediations/{med.record.pk}").json(), ensure_ascii=False)
    assert not any(s in body for s in SECRETS) and "周**" in body
    assert "周桂芳" not in str(AuditEntry.objects.filter(object_type="deliberation.mediation").values_list("changes"))
    r = api.post(med.grid_worker, f"/api/v1/mediations/{med.record.pk}/reveal")
    assert r.status_code == 200 and {p["name"] for p in r.json()["parties"]} == {"周桂芳", "吴国华"}
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, user=med.grid_worker,
                                     object_type="deliberation.mediation").count() == 1


def test_pages_open_a_record_and_walk_it(med, client):
    client.force_login(med.community_worker)
    r = client.post("/deliberation/mediations/new/", {
        "compound": med.K1.pk, "dispute_type": "parking", "summary": "车位被占", "party_side": ["applicant", "respondent"],
        "party_name": ["黄志强", "林晓明"], "party_phone": ["13612340003", ""], "mediators": [med.grid_worker.pk]})
    assert r.status_code == 302
    m = Mediation.objects.get(summary="车位被占")
    page = client.get(f"/deliberation/mediations/{m.pk}/").content.decode()
    assert "黄**" in page and "黄志强" not in page and "记录调解" in page
    r = client.post(f"/deliberation/mediations/{m.pk}/agreement/", {"agreement": "x", "agreed_on": TODAY.isoformat()})
    assert r.status_code == 400 and "请先记录调解过程" in r.content.decode()
    r = client.post(f"/deliberation/mediations/{m.pk}/session/", {"held_on": TODAY.isoformat(), "notes": "协商"})
    assert r.status_code == 302 and Mediation.objects.get(pk=m.pk).status == "mediating"
    assert "黄志强" in client.post(f"/deliberation/mediations/{m.pk}/reveal/").content.decode()
    r = client.post("/deliberation/mediations/new/", {"compound": med.K1.pk, "dispute_type": "parking"})
    assert r.status_code == 400 and "请至少填写一方当事人" in r.content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(f"/deliberation/mediations/{m.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mediation record" in page


def _sees(client, api, user, m):
    """Whether the user reaches the record anywhere: its page, its API path, the list, the search, the count."""
    client.force_login(user)
    page = client.get(f"/deliberation/mediations/{m.pk}/").status_code
    path = api.get(user, f"/api/v1/mediations/{m.pk}").status_code
    listed = api.get(user, "/api/v1/mediations").json()
    searched = api.get(user, "/api/v1/mediations", q="噪音").json()
    in_list = any(row["id"] == m.pk for row in listed["items"])
    in_search = any(row["id"] == m.pk for row in searched["items"])
    steps = [client.post(f"/deliberation/mediations/{m.pk}/{s}/").status_code for s in ("reveal", "session")]
    if page == 200:
        assert path == 200 and in_list and in_search and listed["count"] >= 1, user.username
        return True
    assert page == 404 and path == 404 and not in_list and not in_search and listed["count"] == 0, user.username
    assert steps == [404, 404], user.username
    assert api.post(user, f"/api/v1/mediations/{m.pk}/reveal").status_code == 404
    body = client.get("/deliberation/mediations/").content.decode() + client.get("/deliberation/").content.decode()
    assert not any(s in body for s in (m.summary, m.number)), user.username
    return False


def test_confidential_to_the_community_leadership_and_the_mediators(med, client, api):
    m = med.record
    inside = {med.community_worker, med.street_admin, med.grid_worker}
    outside = [med.worker2, med.grid_worker2, med.property1, med.owners1, med.member1, med.resident1, med.resident2,
               med.rider1, med.nobody]
    for user in [*inside, *outside]:
        assert _sees(client, api, user, m) == (user in inside), user.username
    assert set(selectors.mediations(med.grid_worker)) == {m}


def test_random_roles_anywhere_and_notifications(people, client, api, django_capture_on_commit_callbacks):
    generated = random_staff(random.Random(5), 16, "x")
    with django_capture_on_commit_callbacks(execute=True):
        m = services.mediation_open(user=people.community_worker, compound=people.K1.pk, dispute_type="noise",
                                    summary="夜间噪音", mediators=[people.grid_worker.pk, people.community_worker.pk],
                                    parties=[{"name": "周桂芳", "phone": "13912340001"}])
    with django_capture_on_commit_callbacks(execute=True):
        services.mediation_session(user=people.grid_worker, mediation=m, held_on=TODAY, notes="谈")
    with django_capture_on_commit_callbacks(execute=True):
        services.mediation_hand_over(user=people.grid_worker, mediation=m, handed_to="subdistrict", reason="未果")
    for user in generated:
        leader = RoleAssignment.objects.filter(user=user, role__in=(Role.COMMUNITY_WORKER, Role.SUBDISTRICT_ADMIN),
                                               organisation__isnull=True).exists()
        seen = _sees(client, api, user, m)
        if seen:
            assert leader, user.username
    told = Notification.objects.filter(source="deliberation", action__startswith="mediation")
    assert set(told.filter(action="mediation_opened").values_list("recipient__username", flat=True)) == {"grid_worker1"}
    handed = set(told.filter(action="mediation_handed_over").values_list("recipient", flat=True))
    assert people.community_worker.pk in handed and people.grid_worker.pk not in handed  # not the one who acted
    for n in told:
        assert not any(s in n.title + n.body for s in (*SECRETS, "夜间噪音")), n.body
        assert _sees(client, api, n.recipient, m)


def test_a_dispute_appeal_opens_a_record_linked_both_ways(med, client):
    appeal = Appeal.objects.create(category=Category.objects.get(code="dispute"), title="楼上漏水赔偿纠纷",
                                   description="楼上漏水，协商不成", compound=med.K1, building=med.B1, household=med.H1,
                                   reporter=med.resident1, contact_name="张伟")
    appeal.set_contact_phone("13800135678")
    appeal.save()
    client.force_login(med.community_worker)
    assert "转为调解" in client.get(f"/appeals/{appeal.pk}/").content.decode()
    r = client.post(f"/deliberation/mediations/from-appeal/{appeal.pk}/",
                    {"dispute_type": "neighbours", "mediators": [med.grid_worker.pk]})
    m = Mediation.objects.get(appeal=appeal)
    assert r.status_code == 302 and m.summary == "楼上漏水赔偿纠纷"
    party = m.parties.get()
    assert party.name_clear() == "张伟" and party.phone_clear() == "13800135678"
    assert f"/deliberation/mediations/{m.pk}/" in client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/appeals/{appeal.pk}/" in client.get(f"/deliberation/mediations/{m.pk}/").content.decode()
    client.post(f"/deliberation/mediations/from-appeal/{appeal.pk}/",
                {"dispute_type": "neighbours", "mediators": [med.grid_worker.pk]})
    assert Mediation.objects.filter(appeal=appeal).count() == 1
    # the reporter reads the appeal, not the record: no link
    client.force_login(med.resident1)
    page = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/deliberation/mediations/{m.pk}/" not in page and "转为调解</button>" not in page
    assert client.post(f"/deliberation/mediations/from-appeal/{appeal.pk}/").status_code == 404
    # not for another category
    other = Appeal.objects.create(category=med.lift if hasattr(med, "lift") else Category.objects.get(code="lift"),
                                  title="电梯故障", description="x", compound=med.K1, reporter=med.resident1)
    client.force_login(med.community_worker)
    r = client.post(f"/deliberation/mediations/from-appeal/{other.pk}/",
                    {"dispute_type": "neighbours", "mediators": [med.grid_worker.pk]})
    assert not Mediation.objects.filter(appeal=other).exists()


def test_api_opens_and_steps_with_clear_errors(med, api):
    r = api.post(med.community_worker, "/api/v1/mediations", {
        "compound": med.K1.pk, "dispute_type": "noise", "summary": "噪音", "mediators": [med.grid_worker.pk],
        "parties": [{"name": "甲乙", "phone": "bad"}]})
    assert r.status_code == 400 and r.json()["field"] == "parties"
    r = api.post(med.community_worker, "/api/v1/mediations", {
        "compound": med.K1.pk, "dispute_type": "noise", "summary": "噪音", "mediators": [med.grid_worker.pk],
        "parties": [{"name": "甲乙"}]})
    assert r.status_code == 201
    pk = r.json()["id"]
    assert r.json()["steps"] == ["session", "hand_over", "close"]
    r = api.post(med.grid_worker, f"/api/v1/mediations/{pk}/sessions", {"held_on": TODAY.isoformat(), "notes": "谈"})
    assert r.status_code == 200 and r.json()["status"] == "mediating"
    r = api.post(med.grid_worker, f"/api/v1/mediations/{pk}/agreement",
                 {"agreement": "x", "agreed_on": TODAY.isoformat(), "version": 1})
    assert r.status_code == 409
    r = api.post(med.grid_worker, f"/api/v1/mediations/{pk}/agreement", {"agreement": "", "agreed_on": "x"})
    assert r.status_code == 400
    r = api.post(med.grid_worker, f"/api/v1/mediations/{pk}/agreement",
                 {"agreement": "和解", "agreed_on": TODAY.isoformat()})
    assert r.json()["status"] == "agreed" and r.json()["steps"] == ["follow_up", "close"]
    assert api.post(med.owners1, f"/api/v1/mediations/{pk}/follow-up",
                    {"held_on": TODAY.isoformat(), "notes": "x"}).status_code == 404
