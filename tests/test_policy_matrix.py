"""Who may see and do what: every cast user against the same objects, through the API and the policy module.

One table (EXPECTED) drives both: the API must answer with exactly these
status codes and counts, and `policy.can` / `policy.scoped` must agree with
it. Anything out of scope is 404, never 403.
"""
import pytest

from gongzhi.accounts import policy
from gongzhi.accounts.capability import AUDIT_VIEW
from gongzhi.grid.capability import GRID_CHANGE, GRID_VIEW, HOUSEHOLD_CHANGE, HOUSEHOLD_VIEW
from gongzhi.orgs.capability import ORG_CHANGE, ORG_VIEW
from gongzhi.people.capability import RESIDENT_CHANGE, RESIDENT_VIEW, REVEAL_ID, REVEAL_PHONE
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.grid.models import Compound, Household
from gongzhi.orgs.models import Coverage, Organisation, OrgKind
from gongzhi.people.models import Resident

USERS = ("street_admin", "community_worker", "grid_worker", "property1", "owners1", "member1",
         "resident1", "resident2", "rider1", "nobody")

ALL_RESIDENTS = {"R1", "R1b", "R1c", "R2", "R3"}
K1_RESIDENTS = {"R1", "R1b", "R1c"}
C_RESIDENTS = K1_RESIDENTS | {"R2"}

# user: what they see. Households/residents are sets of cast attribute names; single objects are status codes.
EXPECTED = {
    "street_admin": dict(residents=ALL_RESIDENTS, households={"H1", "H1b", "H2", "H3"}, compounds=3,
                         H1=200, H1b=200, H2=200, H3=200, R1=200, R1c=200, R2=200, R3=200,
                         reveal_phone=200, reveal_id=200, orgs=4, property_co=200, other_property=200, audit=200),
    "community_worker": dict(residents=C_RESIDENTS, households={"H1", "H1b", "H2"}, compounds=2,
                             H1=200, H1b=200, H2=200, H3=404, R1=200, R1c=200, R2=200, R3=404,
                             reveal_phone=200, reveal_id=200, orgs=3, property_co=200, other_property=404,
                             audit=404),
    "grid_worker": dict(residents=K1_RESIDENTS, households={"H1", "H1b"}, compounds=1,
                        H1=200, H1b=200, H2=404, H3=404, R1=200, R1c=200, R2=404, R3=404,
                        reveal_phone=200, reveal_id=404, orgs=3, property_co=200, other_property=404, audit=404),
    "property1": dict(residents=C_RESIDENTS, households={"H1", "H1b", "H2"}, compounds=2,
                      H1=200, H1b=200, H2=200, H3=404, R1=200, R1c=200, R2=200, R3=404,
                      reveal_phone=404, reveal_id=404, orgs=3, property_co=200, other_property=404, audit=404),
    "owners1": dict(residents=set(), households={"H1", "H1b"}, compounds=1,
                    H1=200, H1b=200, H2=404, H3=404, R1=404, R1c=404, R2=404, R3=404,
                    reveal_phone=404, reveal_id=404, orgs=3, property_co=200, other_property=404, audit=404),
    "member1": dict(residents=set(), households=set(), compounds=2,
                    H1=404, H1b=404, H2=404, H3=404, R1=404, R1c=404, R2=404, R3=404,
                    reveal_phone=404, reveal_id=404, orgs=3, property_co=200, other_property=404, audit=404),
    "resident1": dict(residents={"R1", "R1b"}, households={"H1"}, compounds=1,
                      H1=200, H1b=404, H2=404, H3=404, R1=200, R1c=404, R2=404, R3=404,
                      reveal_phone=404, reveal_id=404, orgs=3, property_co=200, other_property=404, audit=404),
    "resident2": dict(residents={"R2"}, households={"H2"}, compounds=1,
                      H1=404, H1b=404, H2=200, H3=404, R1=404, R1c=404, R2=200, R3=404,
                      reveal_phone=404, reveal_id=404, orgs=2, property_co=200, other_property=404, audit=404),
    "rider1": dict(residents=set(), households=set(), compounds=0,
                   H1=404, H1b=404, H2=404, H3=404, R1=404, R1c=404, R2=404, R3=404,
                   reveal_phone=404, reveal_id=404, orgs=0, property_co=404, other_property=404, audit=404),
    "nobody": dict(residents=set(), households=set(), compounds=0,
                   H1=404, H1b=404, H2=404, H3=404, R1=404, R1c=404, R2=404, R3=404,
                   reveal_phone=404, reveal_id=404, orgs=0, property_co=404, other_property=404, audit=404),
}

# The reveal columns are about R1 (in K1), revealed by each user.
HOUSEHOLDS = ("H1", "H1b", "H2", "H3")
RESIDENTS = ("R1", "R1c", "R2", "R3")


def _names(cast, attrs):
    return {getattr(cast, a).name for a in attrs}


def _addresses(cast, attrs):
    return {getattr(cast, a).address for a in attrs}


# ---- through the API ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_list_residents(cast, api, username):
    r = api.get(getattr(cast, username), "/api/v1/residents", limit=200)
    assert r.status_code == 200
    body = r.json()
    want = EXPECTED[username]["residents"]
    assert body["count"] == len(want)
    assert {item["name"] for item in body["items"]} == _names(cast, want)


@pytest.mark.parametrize("username", USERS)
def test_list_households(cast, api, username):
    r = api.get(getattr(cast, username), "/api/v1/households", limit=200)
    assert r.status_code == 200
    want = EXPECTED[username]["households"]
    assert r.json()["count"] == len(want)
    assert {item["address"] for item in r.json()["items"]} == _addresses(cast, want)


@pytest.mark.parametrize("username", USERS)
def test_list_compounds(cast, api, username):
    r = api.get(getattr(cast, username), "/api/v1/compounds")
    assert r.status_code == 200
    assert r.json()["count"] == EXPECTED[username]["compounds"]


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("household", HOUSEHOLDS)
def test_get_household(cast, api, username, household):
    r = api.get(getattr(cast, username), f"/api/v1/households/{getattr(cast, household).pk}")
    assert r.status_code == EXPECTED[username][household]
    if r.status_code == 200:
        assert r.json()["address"] == getattr(cast, household).address


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("resident", RESIDENTS)
def test_get_resident(cast, api, username, resident):
    r = api.get(getattr(cast, username), f"/api/v1/residents/{getattr(cast, resident).pk}")
    assert r.status_code == EXPECTED[username][resident]
    if r.status_code == 200:
        assert r.json()["name"] == getattr(cast, resident).name


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("field,column", [("phone", "reveal_phone"), ("id_number", "reveal_id")])
def test_reveal(cast, api, username, field, column):
    r = api.post(getattr(cast, username), f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": field})
    assert r.status_code == EXPECTED[username][column]
    if r.status_code == 200:
        assert r.json()["value"] == (cast.R1.phone_clear() if field == "phone" else cast.R1.id_number_clear())
        assert r["Cache-Control"] == "no-store"
    else:
        assert "value" not in r.json()


@pytest.mark.parametrize("username", USERS)
def test_reveal_out_of_scope_is_404_even_for_revealers(cast, api, username):
    """R3 lives in K3 (community C2): only the sub-district admin reaches it."""
    r = api.post(getattr(cast, username), f"/api/v1/residents/{cast.R3.pk}/reveal", {"field": "phone"})
    assert r.status_code == (200 if username == "street_admin" else 404)


@pytest.mark.parametrize("username", USERS)
def test_list_organisations(cast, api, username):
    r = api.get(getattr(cast, username), "/api/v1/organisations")
    assert r.status_code == 200
    assert r.json()["count"] == EXPECTED[username]["orgs"]


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("org", ["property_co", "other_property"])
def test_get_organisation(cast, api, username, org):
    r = api.get(getattr(cast, username), f"/api/v1/organisations/{getattr(cast, org).pk}")
    assert r.status_code == EXPECTED[username][org]


@pytest.mark.parametrize("username", USERS)
def test_audit_list(cast, api, username):
    r = api.get(getattr(cast, username), "/api/v1/audit")
    assert r.status_code == EXPECTED[username]["audit"]
    if r.status_code == 404:
        assert "items" not in r.json()


@pytest.mark.parametrize("username", USERS)
def test_add_member_needs_org_change(cast, api, username):
    r = api.post(getattr(cast, username), f"/api/v1/organisations/{cast.party.pk}/members",
                 {"person_name": "王五", "position": "委员"})
    allowed = username in ("street_admin", "community_worker")
    assert r.status_code == (201 if allowed else 404)
    assert cast.party.memberships.filter(person_name="王五").exists() == allowed


@pytest.mark.parametrize("username", USERS)
def test_create_household_needs_household_change(cast, api, username):
    r = api.post(getattr(cast, username), "/api/v1/households",
                 {"building_id": cast.B1.pk, "code": "909", "address": "宁江新城一期1栋909"})
    allowed = username in ("street_admin", "community_worker", "grid_worker")
    assert r.status_code == (201 if allowed else 404)
    assert Household.objects.filter(code="909").exists() == allowed


def test_out_of_scope_get_is_audited_as_denied(cast, api):
    r = api.get(cast.property1, f"/api/v1/households/{cast.H3.pk}")
    assert r.status_code == 404
    entry = AuditEntry.objects.get(action=AuditAction.DENIED, user=cast.property1)
    assert entry.object_type == "grid.household" and entry.object_id == str(cast.H3.pk)
    assert entry.success is False


def test_missing_and_forbidden_look_the_same(cast, api):
    forbidden = api.get(cast.grid_worker, f"/api/v1/residents/{cast.R3.pk}")
    missing = api.get(cast.grid_worker, "/api/v1/residents/987654")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


# ---- the policy module directly -------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_policy_scoped_matches_table(cast, username):
    user = getattr(cast, username)
    want = EXPECTED[username]
    assert set(policy.scoped(user, RESIDENT_VIEW, Resident.objects.all()).values_list("name", flat=True)) \
        == _names(cast, want["residents"])
    assert set(policy.scoped(user, HOUSEHOLD_VIEW, Household.objects.all()).values_list("address", flat=True)) \
        == _addresses(cast, want["households"])
    assert policy.scoped(user, GRID_VIEW, Compound.objects.all()).count() == want["compounds"]
    assert policy.scoped(user, ORG_VIEW, Organisation.objects.all()).count() == want["orgs"]


@pytest.mark.parametrize("username", USERS)
def test_policy_can_matches_table(cast, username):
    user = getattr(cast, username)
    want = EXPECTED[username]
    for h in HOUSEHOLDS:
        assert policy.can(user, HOUSEHOLD_VIEW, getattr(cast, h)) == (want[h] == 200), h
    for r in RESIDENTS:
        assert policy.can(user, RESIDENT_VIEW, getattr(cast, r)) == (want[r] == 200), r
    assert policy.can(user, REVEAL_PHONE, cast.R1) == (want["reveal_phone"] == 200)
    assert policy.can(user, REVEAL_ID, cast.R1) == (want["reveal_id"] == 200)
    assert policy.can(user, ORG_VIEW, cast.property_co) == (want["property_co"] == 200)
    assert policy.can(user, ORG_VIEW, cast.other_property) == (want["other_property"] == 200)
    assert policy.can(user, AUDIT_VIEW) == (want["audit"] == 200)


def test_policy_get_or_404_and_require(cast):
    from django.http import Http404

    assert policy.get_or_404(cast.property1, HOUSEHOLD_VIEW, Household.objects.all(), pk=cast.H2.pk) == cast.H2
    with pytest.raises(Http404):
        policy.get_or_404(cast.property1, HOUSEHOLD_VIEW, Household.objects.all(), pk=cast.H3.pk)
    with pytest.raises(Http404):
        policy.get_or_404(cast.property1, HOUSEHOLD_VIEW, Household.objects.all(), pk="not-a-number")
    with pytest.raises(Http404):
        policy.require(cast.property1, RESIDENT_CHANGE, cast.R1)
    policy.require(cast.grid_worker, RESIDENT_CHANGE, cast.R1)


def test_ancestors_are_visible_for_context_but_not_writable(cast):
    """A scope sees its ancestors (a grid worker sees its community's name) but may not change them."""
    assert policy.can(cast.grid_worker, GRID_VIEW, cast.C)
    assert policy.can(cast.grid_worker, HOUSEHOLD_CHANGE, cast.H1)
    assert not policy.can(cast.grid_worker, HOUSEHOLD_CHANGE, cast.C)
    assert not policy.can(cast.grid_worker, RESIDENT_CHANGE, cast.K2)
    assert policy.can(cast.community_worker, GRID_CHANGE, cast.C)
    assert policy.can(cast.community_worker, GRID_CHANGE, cast.K1)
    assert not policy.can(cast.community_worker, GRID_CHANGE, cast.S)
    assert policy.can(cast.community_worker, GRID_VIEW, cast.S)


def test_org_change_needs_the_whole_organisation_in_scope(cast, api):
    """A community worker sees the sub-district office (it covers their community) but cannot change it."""
    office = Organisation.objects.create(kind=OrgKind.SUBDISTRICT_OFFICE, code="SO1", name="福兴街道办事处")
    Coverage.objects.create(organisation=office, subdistrict=cast.S)
    assert policy.can(cast.community_worker, ORG_VIEW, office)
    assert not policy.can(cast.community_worker, ORG_CHANGE, office)
    assert policy.can(cast.community_worker, ORG_CHANGE, cast.party)
    assert policy.can(cast.street_admin, ORG_CHANGE, office)
    # An organisation spanning two communities is beyond a community worker of one of them.
    Coverage.objects.create(organisation=cast.property_co, compound=cast.K3)
    assert not policy.can(cast.community_worker, ORG_CHANGE, cast.property_co)

    assert api.get(cast.community_worker, f"/api/v1/organisations/{office.pk}").status_code == 200
    r = api.post(cast.community_worker, f"/api/v1/organisations/{office.pk}/members",
                 {"person_name": "赵六", "position": "主任"})
    assert r.status_code == 404
    r = api.post(cast.street_admin, f"/api/v1/organisations/{office.pk}/members",
                 {"person_name": "赵六", "position": "主任"})
    assert r.status_code == 201


def test_role_held_over_a_building_scope(cast, api):
    """Grid workers may be assigned to a building rather than a whole compound."""
    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.grid.models import Building

    b1b = Building.objects.create(compound=cast.K1, code="2", name="2栋")
    other = Household.objects.create(building=b1b, code="201", address="宁江新城一期2栋201")
    worker = User.objects.create_user(username="gw_building", password=cast.password)
    ra = RoleAssignment(user=worker, role=Role.GRID_WORKER)
    ra.set_node(b1b)
    ra.save()
    r = api.get(worker, "/api/v1/households")
    assert [h["id"] for h in r.json()["items"]] == [other.pk]
    assert api.get(worker, f"/api/v1/households/{cast.H1.pk}").status_code == 404
    assert api.get(worker, f"/api/v1/compounds/{cast.K1.pk}").status_code == 200  # its compound, for context
    assert api.get(worker, f"/api/v1/buildings/{cast.B1.pk}").status_code == 404
