"""The grid pages: tree with counts, community / compound / building pages, scoping, query bounds."""
import re
import pytest

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.grid.models import Building, Compound, Household
from gongzhi.grid.tree import boundary_svg
from gongzhi.people.models import Resident


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_tree_needs_login(client, cast):
    r = client.get("/grid/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_tree_shows_counts_at_every_level(client, cast):
    r = page(client, cast.community_worker, "/grid/")
    assert r.status_code == 200
    body = text(r)
    # Community C: compounds K1 + K2 → 2 buildings, 3 households, 4 residents.
    assert re.search(r'新城社区</a><span class="level-tag">社区</span><span class="counts">'
                     r'<span class="stat">楼栋<b>2</b></span><span class="stat">户<b>3</b></span>'
                     r'<span class="stat">居民<b>4</b></span>', body)
    assert re.search(r'宁江新城一期</a><span class="counts"><span class="stat">楼栋<b>1</b></span>'
                     r'<span class="stat">户<b>2</b></span><span class="stat">居民<b>3</b></span>', body)
    # Another community's compound is not listed for a community worker of C.
    assert "东风花园" not in body


def test_tree_counts_follow_the_users_scope(client, cast):
    body = text(page(client, cast.grid_worker, "/grid/"))
    assert "宁江新城一期" in body and "宁江新城二期" not in body
    # Subdistrict total for grid_worker1 is K1 only.
    assert re.search(r'<span class="stat">户<b>2</b></span><span class="stat">居民<b>3</b></span>', body)
    # Owners' committee may see households, not residents: no resident count at all.
    body = text(page(client, cast.owners1, "/grid/"))
    assert "户<b>2</b>" in body and "居民<b>" not in body


def test_tree_query_count_does_not_grow_with_the_tree(client, cast, django_assert_max_num_queries):
    client.force_login(cast.community_worker)
    client.get("/grid/")  # warm-up (session, content types)
    with django_assert_max_num_queries(25) as ctx:
        assert client.get("/grid/").status_code == 200
    before = len(ctx.captured_queries)
    for i in range(6):
        k = Compound.objects.create(community=cast.C, code=f"KX{i}", name=f"新增小区{i}")
        for j in range(3):
            b = Building.objects.create(compound=k, code=str(j), name=f"{j}栋")
            h = Household.objects.create(building=b, code="101", address=f"新增小区{i}{j}栋101")
            Resident.objects.create(name=f"居民{i}{j}", household=h)
    with django_assert_max_num_queries(before) as ctx:
        r = client.get("/grid/")
    assert "新增小区5" in r.content.decode()


def test_tree_expands_buildings_with_htmx(client, cast):
    client.force_login(cast.community_worker)
    r = client.get(f"/grid/compound/{cast.K1.pk}/buildings/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body and f'href="/grid/building/{cast.B1.pk}/"' in body
    # Without htmx the same address is the full compound page.
    r = client.get(f"/grid/compound/{cast.K1.pk}/buildings/")
    assert "<html" in r.content.decode()


def test_community_page(client, cast):
    r = page(client, cast.community_worker, f"/grid/community/{cast.C.pk}/")
    assert r.status_code == 200
    body = text(r)
    assert "宁江新城一期" in body and "宁江新城二期" in body
    assert "新城社区党委" in body and "君胜物业" in body  # organisations serving it
    assert "东风物业" not in body


@pytest.mark.parametrize("who,where,status", [
    ("community_worker", "K1", 200), ("grid_worker", "K1", 200), ("grid_worker", "K2", 404),
    ("property1", "K2", 200), ("property1", "K3", 404), ("resident1", "K1", 200), ("resident1", "K2", 404),
    ("rider1", "K1", 404), ("nobody", "K1", 404), ("street_admin", "K3", 200),
])
def test_compound_page_scoping(client, cast, who, where, status):
    r = page(client, getattr(cast, who), f"/grid/compound/{getattr(cast, where).pk}/")
    assert r.status_code == status


def test_compound_page_shows_workers_orgs_and_boundary(client, cast):
    cast.K1.boundary = {"type": "Polygon", "coordinates": [[[115.729, 24.139], [115.731, 24.139],
                                                             [115.731, 24.141], [115.729, 24.141],
                                                             [115.729, 24.139]]]}
    cast.K1.save()
    RoleAssignment.objects.create(user=cast.street_admin, role=Role.GRID_WORKER, building=cast.B1)
    body = text(page(client, cast.community_worker, f"/grid/compound/{cast.K1.pk}/"))
    assert "grid_worker1" in body and "street_admin" in body and "1栋" in body
    assert "君胜物业" in body and "宁江新城一期业委会" in body and "新城社区党委" in body
    assert "东风物业" not in body
    m = re.search(r'<svg viewBox="0 0 ([\d.]+) ([\d.]+)"[^>]*>.*?<path d="(M[^"]+)"/>', body)
    assert m, "the boundary is drawn as an inline SVG path"
    assert m.group(3).count("L") == 4 and m.group(3).endswith("Z")
    assert "<circle" in body  # the centre point lies inside


def test_compound_without_boundary(client, cast):
    body = text(page(client, cast.community_worker, f"/grid/compound/{cast.K2.pk}/"))
    assert "<svg" not in body and "尚未登记小区边界" in body


def test_boundary_svg_geometry():
    square = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
        [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.4]]]}}
    svg = boundary_svg(square, size=100, pad=0)
    assert svg["path"].count("M") == 2  # outer ring and hole
    assert svg["viewbox"] == "0 0 100.0 100.0"
    assert svg["path"].startswith("M0.0 100.0 L100.0 100.0")  # north is up: lat 0 is the bottom
    wide = boundary_svg({"type": "Polygon", "coordinates": [[[115.0, 59.5], [116.0, 59.5], [116.0, 60.5]]]},
                        size=100, pad=0)
    # At 60°N a degree of longitude is half a degree of latitude: the shape is twice as tall as wide.
    assert wide["width"] == "50" and wide["height"] == "100"
    for bad in (None, "x", {"type": "Point", "coordinates": [1, 2]}, {"type": "Polygon", "coordinates": [[["a"]]]},
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}):
        assert boundary_svg(bad) is None


def test_building_page_lists_households(client, cast):
    r = page(client, cast.grid_worker, f"/grid/building/{cast.B1.pk}/")
    assert r.status_code == 200
    body = text(r)
    assert "宁江新城一期1栋101" in body and "98.50" in body and "业主自住" in body
    assert re.search(r'data-label="人数">2</td>', body)
    # resident1 sees their own household in the building, not the neighbours'.
    body = text(page(client, cast.resident1, f"/grid/building/{cast.B1.pk}/"))
    assert "宁江新城一期1栋101" in body and "宁江新城一期1栋102" not in body


@pytest.mark.parametrize("url", ["/grid/community/abc/", "/grid/compound/0/", "/grid/building/99999/",
                                 "/grid/compound/1.5/", "/grid/building/-1/"])
def test_bad_ids_are_404(client, cast, url):
    assert page(client, cast.street_admin, url).status_code == 404


def test_out_of_scope_pages_are_404(client, cast):
    assert page(client, cast.grid_worker, f"/grid/building/{cast.B2.pk}/").status_code == 404
    assert page(client, cast.community_worker, f"/grid/community/{cast.C2.pk}/").status_code == 404
    assert page(client, cast.resident2, f"/grid/community/{cast.C.pk}/").status_code == 200  # own community
