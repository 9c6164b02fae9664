"""An ID number registered to someone the user may not see (issue 7, item 7): one neutral answer, and a case
for the community workers who may see both ends."""
import json

import pytest

from conftest import make_id
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.people.models import ConflictStatus, RegistrationConflict, Resident

NEUTRAL = "该证件号码需社区核实后登记，已转社区工作人员处理"
NEUTRAL_BODY = {"detail": f"id_number: {NEUTRAL}", "field": "id_number", "errors": {"id_number": [NEUTRAL]}}


def _register(api, user, household, id_number, name="新登记"):
    return api.post(user, "/api/v1/residents", {"household_id": household.pk, "name": name, "id_number": id_number,
                                                "relation": "child"})


@pytest.mark.parametrize("holder", ["R1", "R2", "R3"])  # own compound, same community, another community
def test_a_number_held_by_anyone_the_user_may_not_find_by_id_gets_the_one_neutral_answer(cast, api, holder):
    before = Resident.objects.count()
    r = _register(api, cast.grid_worker, cast.H1b, getattr(cast, holder).id_number_clear())
    assert (r.status_code, r.json()) == (400, NEUTRAL_BODY)
    assert Resident.objects.count() == before


def test_the_neutral_answer_does_not_depend_on_where_the_holder_lives(cast, api):
    answers = {_register(api, cast.grid_worker, cast.H1b, getattr(cast, h).id_number_clear()).content
               for h in ("R1", "R2", "R3")}
    assert len(answers) == 1


def test_the_collision_is_recorded_and_audited_without_the_number(cast, api):
    number = cast.R2.id_number_clear()
    _register(api, cast.grid_worker, cast.H1b, number, name="陈静")
    c = RegistrationConflict.objects.get()
    assert (c.created_by, c.household, c.name, c.relation, c.subject, c.existing, c.id_number_hash, c.status) == (
        cast.grid_worker, cast.H1b, "陈静", "child", None, cast.R2, cast.R2.id_number_hash, ConflictStatus.PENDING)
    lookup_row = AuditEntry.objects.get(action=AuditAction.LOOKUP)
    assert (lookup_row.user, lookup_row.success) == (cast.grid_worker, True)
    assert lookup_row.changes == {"field": "id_number", "term_hash": cast.R2.id_number_hash, "via": "registration",
                                  "hits": 1}
    created = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="people.registrationconflict")
    assert created.object_id == str(c.pk) and created.changes["existing"] == cast.R2.pk
    assert number not in json.dumps([str(v) for v in AuditEntry.objects.values()])
    # Trying again adds a lookup, not a second case.
    _register(api, cast.grid_worker, cast.H1b, number, name="陈静")
    assert RegistrationConflict.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.LOOKUP).count() == 2


def test_a_collision_the_user_may_see_names_the_holder(cast, api):
    r = _register(api, cast.community_worker, cast.H1b, cast.R2.id_number_clear())
    message = "该身份证号已登记在居民“陈静”名下"
    assert (r.status_code, r.json()["errors"]) == (400, {"id_number": [message]})
    assert not RegistrationConflict.objects.exists()
    assert AuditEntry.objects.get(action=AuditAction.LOOKUP).changes["via"] == "registration"


def test_outside_the_users_find_scope_is_neutral_even_for_a_community_worker(cast, api):
    r = _register(api, cast.community_worker, cast.H1b, cast.R3.id_number_clear())  # R3 lives in community C2
    assert (r.status_code, r.json()) == (400, NEUTRAL_BODY)


def test_changing_a_number_to_one_held_elsewhere_is_neutral_too(cast, api):
    r = api.patch(cast.community_worker, f"/api/v1/residents/{cast.R1c.pk}", {"id_number": cast.R3.id_number_clear()})
    assert (r.status_code, r.json()) == (400, NEUTRAL_BODY)
    c = RegistrationConflict.objects.get()
    assert (c.subject, c.household, c.existing, c.name) == (cast.R1c, cast.H1b, cast.R3, "王强")
    cast.R1c.refresh_from_db()
    assert cast.R1c.id_number_clear().startswith("441481197003030")


def test_the_page_gives_the_same_neutral_answer(client, cast):
    client.force_login(cast.grid_worker)
    r = client.post(f"/people/household/{cast.H1b.pk}/residents/",
                    {"name": "重复", "relation": "other", "id_number": cast.R3.id_number_clear(), "phone": "", "note": ""})
    body = r.content.decode()
    assert r.status_code == 200 and NEUTRAL in body and "刘洋" not in body
    assert not Resident.objects.filter(name="重复").exists()


def test_collisions_count_toward_the_lookup_limit(cast, api, settings):
    settings.IDENTIFIER_LOOKUP_LIMIT = 2
    for holder in (cast.R2, cast.R3):
        assert _register(api, cast.grid_worker, cast.H1b, holder.id_number_clear()).status_code == 400
    # Over the limit every ID number is refused, a free one too: being refused says nothing about the number.
    fresh = make_id("44148120150505005")
    r = _register(api, cast.grid_worker, cast.H1b, fresh)
    message = "按证件号码或手机号查找过于频繁：每60分钟最多2次，请60分钟后再试。"
    assert (r.status_code, r.json()) == (429, {"detail": message, "field": "id_number",
                                               "errors": {"id_number": [message]}})
    assert not Resident.objects.filter(name="新登记").exists()
    refused = AuditEntry.objects.filter(action=AuditAction.LOOKUP, success=False).get()
    assert refused.detail == "over_limit" and refused.changes["via"] == "registration"
    # A resident without an ID number is no lookup and goes through.
    r = api.post(cast.grid_worker, "/api/v1/residents", {"household_id": cast.H1b.pk, "name": "无证件"})
    assert r.status_code == 201


# ---- the community's queue ----------------------------------------------------------------------------


@pytest.fixture
def cases(cast, api):
    """Two cases from grid_worker1 in H1b: R2's number (K2, community C) and R3's (K3, community C2)."""
    _register(api, cast.grid_worker, cast.H1b, cast.R2.id_number_clear(), name="陈静")
    _register(api, cast.grid_worker, cast.H1b, cast.R3.id_number_clear(), name="刘洋")
    return (RegistrationConflict.objects.get(existing=cast.R2), RegistrationConflict.objects.get(existing=cast.R3))


@pytest.mark.parametrize("who,sees", [
    ("community_worker", ["in_c"]), ("street_admin", ["in_c2", "in_c"]),
    ("grid_worker", []), ("property1", []), ("resident1", []), ("nobody", []),
])
def test_a_case_is_seen_by_whoever_may_find_both_ends_by_id(cast, api, cases, who, sees):
    named = {"in_c": cases[0], "in_c2": cases[1]}
    r = api.get(getattr(cast, who), "/api/v1/registration-conflicts")
    assert [i["id"] for i in r.json()["items"]] == [named[s].pk for s in sees]
    for key, case in named.items():
        status = api.get(getattr(cast, who), f"/api/v1/registration-conflicts/{case.pk}").status_code
        assert status == (200 if key in sees else 404)


def test_moving_the_holder_resolves_the_case_through_the_audited_update(cast, api, cases):
    case = cases[0]
    r = api.post(cast.community_worker, f"/api/v1/registration-conflicts/{case.pk}/resolve",
                 {"decision": "move", "note": "同一人，已搬家"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["resolved_by"], body["resolution_note"]) == ("moved", "community_worker", "同一人，已搬家")
    cast.R2.refresh_from_db()
    assert (cast.R2.household, cast.R2.relation) == (cast.H1b, "child")
    moved = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="people.resident",
                                      object_id=str(cast.R2.pk)).get()
    assert moved.user == cast.community_worker and moved.changes["household"] == [cast.H2.pk, cast.H1b.pk]
    resolved = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="people.registrationconflict").get()
    assert resolved.changes == {"status": ["pending", "moved"], "resolution_note": "同一人，已搬家"}
    again = api.post(cast.community_worker, f"/api/v1/registration-conflicts/{case.pk}/resolve", {"decision": "dismiss"})
    assert (again.status_code, again.json()["errors"]) == (400, {"decision": ["该登记核实已处理"]})


def test_dismissing_a_case(cast, api, cases):
    case = cases[1]
    assert api.post(cast.community_worker, f"/api/v1/registration-conflicts/{case.pk}/resolve",
                    {"decision": "dismiss"}).status_code == 404  # R3 is outside the community worker's scope
    r = api.post(cast.street_admin, f"/api/v1/registration-conflicts/{case.pk}/resolve",
                 {"decision": "dismiss", "note": "非同一人"})
    assert r.json()["status"] == "dismissed"
    cast.R3.refresh_from_db()
    assert cast.R3.household == cast.H3
    assert api.get(cast.street_admin, "/api/v1/registration-conflicts").json()["items"][0]["id"] == cases[0].pk
    assert [i["id"] for i in api.get(cast.street_admin, "/api/v1/registration-conflicts", status="").json()["items"]] \
        == [case.pk, cases[0].pk]


def test_a_case_from_a_changed_number_cannot_be_moved(cast, api):
    api.patch(cast.community_worker, f"/api/v1/residents/{cast.R1c.pk}", {"id_number": cast.R3.id_number_clear()})
    case = RegistrationConflict.objects.get()
    r = api.post(cast.street_admin, f"/api/v1/registration-conflicts/{case.pk}/resolve", {"decision": "move"})
    assert r.status_code == 400 and r.json()["field"] == "decision"
    assert RegistrationConflict.objects.get().status == ConflictStatus.PENDING


def test_the_queue_pages(client, cast, cases):
    client.force_login(cast.community_worker)
    body = client.get("/people/conflicts/").content.decode()
    assert "陈静" in body and "刘洋" not in body and cast.H1b.address in body
    assert client.get(f"/people/conflicts/{cases[1].pk}/").status_code == 404
    page = client.get(f"/people/conflicts/{cases[0].pk}/").content.decode()
    assert "grid_worker1" in page and cast.R2.id_number_masked in page and cast.R2.id_number_clear() not in page
    r = client.post(f"/people/conflicts/{cases[0].pk}/resolve/", {"decision": "move", "note": ""})
    assert r.status_code == 302
    cast.R2.refresh_from_db()
    assert cast.R2.household == cast.H1b
    client.force_login(cast.grid_worker)
    assert client.get("/people/conflicts/").status_code == 404
