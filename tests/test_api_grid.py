"""The grid over JSON: the tree with counts, each level as a list and a detail, all scoped."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import User
from gongzhi.grid.models import Building, Household
from gongzhi.people.models import Resident


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n["children"])


def _by_code(nodes):
    return {(n["level"], n["code"]): n for n in _walk(nodes)}


def test_tree_for_street_admin_has_everything_with_counts(cast, api):
    r = api.get(cast.street_admin, "/api/v1/grid/tree")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    (s,) = body["items"]
    assert (s["level"], s["name"]) == ("subdistrict", "福兴街道")
    assert s["counts"] == {"buildings": 3, "households": 4, "residents": 5}
    nodes = _by_code(body["items"])
    assert nodes[("community", "C1")]["counts"] == {"buildings": 2, "households": 3, "residents": 4}
    assert nodes[("community", "C2")]["counts"] == {"buildings": 1, "households": 1, "residents": 1}
    assert nodes[("compound", "K1")]["counts"] == {"buildings": 1, "households": 2, "residents": 3}
    assert [c["code"] for c in nodes[("community", "C1")]["children"]] == ["K1", "K2"]
    building = nodes[("compound", "K1")]["children"][0]
    assert building["level"] == "building" and building["id"] == cast.B1.pk and building["children"] == []
    assert building["counts"] == {"buildings": None, "households": 2, "residents": 3}


def test_tree_is_scoped_to_the_grid_worker(cast, api):
    body = api.get(cast.grid_worker, "/api/v1/grid/tree").json()
    codes = {(n["level"], n["code"]) for n in _walk(body["items"])}
    assert codes == {("subdistrict", "S1"), ("community", "C1"), ("compound", "K1"), ("building", "1")}
    # Counts are of what this user may see: ancestors shown for context count only K1.
    assert body["items"][0]["counts"] == {"buildings": 1, "households": 2, "residents": 3}


def test_tree_for_resident_counts_only_their_household(cast, api):
    body = api.get(cast.resident1, "/api/v1/grid/tree").json()
    k1 = _by_code(body["items"])[("compound", "K1")]
    assert k1["counts"] == {"buildings": 1, "households": 1, "residents": 2}


def test_tree_hides_counts_of_kinds_the_user_may_not_see(cast, api):
    owners = _by_code(api.get(cast.owners1, "/api/v1/grid/tree").json()["items"])
    assert owners[("compound", "K1")]["counts"] == {"buildings": 1, "households": 2, "residents": None}
    member = _by_code(api.get(cast.member1, "/api/v1/grid/tree").json()["items"])
    assert set(member) == {("subdistrict", "S1"), ("community", "C1"), ("compound", "K1"), ("compound", "K2"),
                           ("building", "1")}
    assert member[("community", "C1")]["counts"] == {"buildings": 2, "households": None, "residents": None}


@pytest.mark.parametrize("username", ["rider1", "nobody"])
def test_tree_empty_without_grid_role(cast, api, username):
    assert api.get(getattr(cast, username), "/api/v1/grid/tree").json() == {"count": 0, "items": []}


def _grow(cast, buildings=6, households=4, residents=3):
    for b in range(buildings):
        building = Building.objects.create(compound=cast.K1 if b % 2 else cast.K2, code=f"x{b}", name=f"{b}栋")
        for h in range(households):
            household = Household.objects.create(building=building, code=f"{h}01", address=f"{b}栋{h}01")
            for n in range(residents):
                r = Resident.objects.create(name=f"居民{b}{h}{n}", household=household)
                r.tags.add(cast.tag_elderly)


@pytest.mark.parametrize("username", ["street_admin", "property1", "grid_worker"])
def test_tree_query_count_does_not_grow_with_the_grid(cast, api, username, django_assert_max_num_queries):
    def measure():
        user = User.objects.get(username=getattr(cast, username).username)
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(user, "/api/v1/grid/tree").status_code == 200
        return len(ctx.captured_queries)

    small = measure()
    _grow(cast)
    assert measure() == small
    user = User.objects.get(username=getattr(cast, username).username)
    with django_assert_max_num_queries(15):
        body = api.get(user, "/api/v1/grid/tree").json()
    assert len(list(_walk(body["items"]))) > 4


def test_lists_of_each_level(cast, api):
    u = cast.community_worker
    assert [s["code"] for s in api.get(u, "/api/v1/subdistricts").json()["items"]] == ["S1"]
    assert [c["code"] for c in api.get(u, "/api/v1/communities").json()["items"]] == ["C1"]
    compounds = api.get(u, "/api/v1/compounds").json()
    assert compounds["count"] == 2 and [k["code"] for k in compounds["items"]] == ["K1", "K2"]
    assert api.get(u, "/api/v1/compounds", community=cast.C2.pk).json()["count"] == 0
    buildings = api.get(u, "/api/v1/buildings", compound=cast.K2.pk).json()
    assert buildings["count"] == 1 and buildings["items"][0]["id"] == cast.B2.pk
    assert buildings["items"][0]["compound_name"] == "宁江新城二期"
    assert api.get(u, "/api/v1/buildings", compound=cast.K3.pk).json() == {"count": 0, "items": []}


def test_compound_has_center_and_boundary(cast, api):
    polygon = {"type": "Polygon", "coordinates": [[[115.72, 24.13], [115.74, 24.13], [115.74, 24.15],
                                                   [115.72, 24.13]]]}
    cast.K1.boundary = polygon
    cast.K1.save()
    r = api.get(cast.grid_worker, f"/api/v1/compounds/{cast.K1.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["center"] == {"lat": 24.14, "lng": 115.73}
    assert body["boundary"] == polygon
    assert body["counts"] == {"buildings": 1, "households": 2, "residents": 3}
    listed = api.get(cast.grid_worker, "/api/v1/compounds").json()["items"][0]
    assert listed["boundary"] == polygon and listed["center"]["lat"] == 24.14
    assert api.get(cast.community_worker, f"/api/v1/compounds/{cast.K2.pk}").json()["center"] is None


def test_node_details_and_scope(cast, api):
    u = cast.community_worker
    assert api.get(u, f"/api/v1/subdistricts/{cast.S.pk}").json()["counts"] == \
        {"buildings": 2, "households": 3, "residents": 4}
    community = api.get(u, f"/api/v1/communities/{cast.C.pk}").json()
    assert community["name"] == "新城社区" and community["subdistrict_id"] == cast.S.pk
    assert api.get(u, f"/api/v1/communities/{cast.C2.pk}").status_code == 404
    assert api.get(u, f"/api/v1/compounds/{cast.K3.pk}").status_code == 404
    assert api.get(u, f"/api/v1/buildings/{cast.B3.pk}").status_code == 404
    b = api.get(u, f"/api/v1/buildings/{cast.B1.pk}").json()
    assert b["compound_id"] == cast.K1.pk and b["counts"]["households"] == 2
    assert api.get(cast.street_admin, f"/api/v1/buildings/{cast.B3.pk}").status_code == 200


def test_pagination(cast, api):
    for i in range(5):
        Building.objects.create(compound=cast.K1, code=f"p{i}", name=f"p{i}")
    page = api.get(cast.street_admin, "/api/v1/buildings", limit=2, offset=2).json()
    assert page["count"] == 8 and len(page["items"]) == 2
    everything = api.get(cast.street_admin, "/api/v1/buildings", limit=200).json()
    assert [b["id"] for b in everything["items"][2:4]] == [b["id"] for b in page["items"]]
    assert len(api.get(cast.street_admin, "/api/v1/buildings", limit=1000).json()["items"]) == 8


@pytest.mark.parametrize("path", ["/api/v1/compounds/abc", "/api/v1/buildings?compound=abc",
                                  "/api/v1/buildings?limit=many"])
def test_bad_parameters_are_named(cast, api, path):
    r = api.get(cast.street_admin, path)
    assert r.status_code == 422
    assert r["Content-Type"].startswith("application/json")
    assert any(part in str(r.json()) for part in ("pk", "compound", "limit"))


@pytest.mark.parametrize("path,status", [
    ("/api/v1/compounds/99999999999999999999999", 422), ("/api/v1/households/-1", 422), ("/api/v1/residents/0", 422),
    ("/api/v1/residents?household=99999999999999999999", 422), ("/api/v1/buildings?compound=-3", 422),
    ("/api/v1/residents/9223372036854775807", 404),
    ("/api/v1/residents?offset=99999999999999999999", 200), ("/api/v1/households?offset=-5&limit=-3", 200),
    ("/api/v1/organisations?limit=99999999999999999999", 200),
])
def test_absurd_numbers_are_answered_not_500(cast, api, path, status):
    r = api.get(cast.street_admin, path)
    assert r.status_code == status, r.content
    if status == 200:
        assert r.json()["count"] > 0


def test_offset_past_the_end_is_an_empty_page(cast, api):
    assert api.get(cast.street_admin, "/api/v1/residents", offset=5).json() == {"count": 5, "items": []}
    assert len(api.get(cast.street_admin, "/api/v1/residents", offset=4).json()["items"]) == 1


def test_counts_of_a_building_with_empty_households(cast, api):
    Household.objects.create(building=cast.B3, code="102", address="东风花园1栋102", floor_area=Decimal("60"))
    body = api.get(cast.street_admin, f"/api/v1/buildings/{cast.B3.pk}").json()
    assert body["counts"] == {"buildings": None, "households": 2, "residents": 1}
