"""Organisations over JSON: coverage, members (names, posts, terms; never phones), and changing them."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.orgs.models import Coverage, Membership, Organisation, OrgKind


def test_list_and_filter_by_kind(cast, api):
    body = api.get(cast.street_admin, "/api/v1/organisations").json()
    assert body["count"] == 4
    assert {o["code"] for o in body["items"]} == {"P1", "P2", "O1", "PC1"}
    party = next(o for o in body["items"] if o["code"] == "PC1")
    assert party["kind_label"] == "社区党委" and party["member_count"] == 1
    companies = api.get(cast.street_admin, "/api/v1/organisations", kind="property_company").json()
    assert [o["code"] for o in companies["items"]] == ["P1", "P2"]
    assert api.get(cast.property1, "/api/v1/organisations", kind="property_company").json()["count"] == 1
    assert api.get(cast.street_admin, "/api/v1/organisations", q="君胜").json()["items"][0]["code"] == "P1"


def test_detail_has_coverage_and_members_without_phones(cast, api):
    # The property manager also sits on the community party committee (交叉任职).
    manager = cast.R2
    Membership.objects.create(organisation=cast.property_co, resident=manager, person_name=manager.name,
                              position="项目经理", term_start=datetime.date(2024, 1, 1))
    Membership.objects.create(organisation=cast.party, resident=manager, person_name=manager.name,
                              position="兼职委员", term_start=datetime.date(2024, 3, 1),
                              term_end=datetime.date(2029, 2, 28))
    Membership.objects.create(organisation=cast.party, person_name="老书记", position="书记",
                              term_start=datetime.date(2015, 1, 1), term_end=datetime.date(2020, 12, 31))
    r = api.get(cast.resident1, f"/api/v1/organisations/{cast.party.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["coverage"] == [{"id": body["coverage"][0]["id"], "level": "community", "node_id": cast.C.pk,
                                 "name": "新城社区"}]
    members = body["members"]
    assert [(m["person_name"], m["position"], m["current"]) for m in members] == [
        ("党员甲", "委员", True), ("陈静", "兼职委员", True), ("老书记", "书记", False)]
    assert members[1]["term_start"] == "2024-03-01" and members[1]["term_end"] == "2029-02-28"
    assert body["member_count"] == 2
    text = r.content.decode()
    assert manager.phone_clear() not in text and "phone_masked" not in text and "****" not in text
    company = api.get(cast.property1, f"/api/v1/organisations/{cast.property_co.pk}").json()
    assert {c["name"] for c in company["coverage"]} == {"宁江新城一期", "宁江新城二期"}
    assert [m["person_name"] for m in company["members"]] == ["陈静"]


def test_member_add_with_resident_and_terms(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/organisations/{cast.owners_k1.pk}/members",
                 {"resident_id": cast.R1.pk, "position": "主任", "term_start": "2025-01-01", "term_end": "2029-12-31"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["person_name"] == "张伟" and body["current"] is True and body["term_end"] == "2029-12-31"
    m = Membership.objects.get(pk=body["id"])
    assert m.resident == cast.R1 and m.organisation == cast.owners_k1
    # The same person cannot hold the same open post twice; another post is fine.
    again = api.post(cast.community_worker, f"/api/v1/organisations/{cast.owners_k1.pk}/members",
                     {"resident_id": cast.R1.pk, "position": "主任"})
    assert again.status_code == 400 and again.json()["field"] == "position"
    other = api.post(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members",
                     {"resident_id": cast.R1.pk, "position": "委员"})
    assert other.status_code == 201


@pytest.mark.parametrize("payload,field,status", [
    ({"position": ""}, "position", 400),
    ({"position": "职" * 51}, "position", 400),
    ({"position": "委员", "person_name": ""}, "person_name", 400),
    ({"position": "委员", "term_start": "2025-05-01", "term_end": "2025-04-30"}, "term_end", 400),
    ({"position": "委员", "term_start": "2025-02-30"}, "term_start", 422),
    ({"person_name": "张三"}, "position", 422),
])
def test_member_add_validation(cast, api, payload, field, status):
    data = {"person_name": "张三", **payload}
    before = Membership.objects.count()
    r = api.post(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members", data)
    assert r.status_code == status, r.content
    if status == 400:
        assert r.json()["field"] == field
    else:
        assert field in str(r.json())
    assert Membership.objects.count() == before


def test_member_add_resident_out_of_scope(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members",
                 {"resident_id": cast.R3.pk, "position": "委员"})
    assert r.status_code == 404 and r.json()["field"] == "resident_id"


def test_member_end(cast, api):
    m = Membership.objects.get(organisation=cast.party, person_name="党员甲")
    r = api.delete(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members/{m.pk}")
    assert r.status_code == 204
    m.refresh_from_db()
    assert m.term_end == timezone.localdate()
    # Ending it again changes nothing.
    assert api.delete(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members/{m.pk}").status_code == 204
    # A post that has not begun yet is removed.
    future = Membership.objects.create(organisation=cast.party, person_name="新委员", position="委员",
                                       term_start=timezone.localdate() + datetime.timedelta(days=30))
    assert api.delete(cast.community_worker,
                      f"/api/v1/organisations/{cast.party.pk}/members/{future.pk}").status_code == 204
    assert not Membership.objects.filter(pk=future.pk).exists()


def test_member_end_wrong_org_or_scope(cast, api):
    m = Membership.objects.get(organisation=cast.party, person_name="党员甲")
    assert api.delete(cast.community_worker,
                      f"/api/v1/organisations/{cast.property_co.pk}/members/{m.pk}").status_code == 404
    assert api.delete(cast.property1, f"/api/v1/organisations/{cast.party.pk}/members/{m.pk}").status_code == 404
    assert api.delete(cast.member1, f"/api/v1/organisations/{cast.party.pk}/members/{m.pk}").status_code == 404
    m.refresh_from_db()
    assert m.term_end is None


def test_coverage_add_and_remove(cast, api):
    url = f"/api/v1/organisations/{cast.party.pk}/coverage"
    r = api.post(cast.community_worker, url, {"level": "compound", "node_id": cast.K1.pk})
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "宁江新城一期"
    cov_id = r.json()["id"]
    again = api.post(cast.community_worker, url, {"level": "compound", "node_id": cast.K1.pk})
    assert again.status_code == 400 and again.json()["field"] == "node_id"
    # Outside the worker's community, or above it: refused.
    assert api.post(cast.community_worker, url, {"level": "compound", "node_id": cast.K3.pk}).status_code == 404
    assert api.post(cast.community_worker, url, {"level": "subdistrict", "node_id": cast.S.pk}).status_code == 404
    bad = api.post(cast.community_worker, url, {"level": "planet", "node_id": 1})
    assert bad.status_code == 400 and bad.json()["field"] == "level"
    assert api.delete(cast.community_worker, f"{url}/{cov_id}").status_code == 204
    assert not Coverage.objects.filter(pk=cov_id).exists()
    last = Coverage.objects.get(organisation=cast.party)
    r = api.delete(cast.community_worker, f"{url}/{last.pk}")
    assert r.status_code == 400 and r.json()["field"] == "coverage"


def test_owners_committee_covers_one_node(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/organisations/{cast.owners_k1.pk}/coverage",
                 {"level": "compound", "node_id": cast.K2.pk})
    assert r.status_code == 400 and r.json()["field"] == "node_id"
    assert Coverage.objects.filter(organisation=cast.owners_k1).count() == 1


def test_coverage_change_widens_visibility(cast, api):
    """Coverage drives who sees the organisation: adding C2 makes it visible to a resident of K3."""
    from gongzhi.accounts.models import Role, RoleAssignment, User

    k3_resident = User.objects.create_user(username="resident3", password=cast.password)
    RoleAssignment.objects.create(user=k3_resident, role=Role.RESIDENT, household=cast.H3)
    society = Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="SO9", name="兴宁市善小助学协会")
    Coverage.objects.create(organisation=society, compound=cast.K1)
    assert api.get(k3_resident, f"/api/v1/organisations/{society.pk}").status_code == 404
    r = api.post(cast.street_admin, f"/api/v1/organisations/{society.pk}/coverage",
                 {"level": "community", "node_id": cast.C2.pk})
    assert r.status_code == 201
    k3_resident = User.objects.get(pk=k3_resident.pk)  # a new request, a fresh scope
    assert api.get(k3_resident, f"/api/v1/organisations/{society.pk}").status_code == 200
    assert api.get(k3_resident, "/api/v1/organisations", kind="social_org").json()["count"] == 1
