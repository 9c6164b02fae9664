"""The grid pages: tree with counts, community / compound / building pages, scoping, query bounds."""
import re
import pytest

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.grid.models import Building, Compound, Household
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


def test_compound_page_shows_workers_and_orgs(client, cast):
    RoleAssignment.objects.create(user=cast.street_admin, role=Role.GRID_WORKER, building=cast.B1)
    body = text(page(client, cast.community_worker, f"/grid/compound/{cast.K1.pk}/"))
    assert "grid_worker1" in body and "street_admin" in body and "1栋" in body
    assert "君胜物业" in body and "宁江新城一期业委会" in body and "新城社区党委" in body
    assert "东风物业" not in body
    # The boundary is drawn by ECharts (tests/test_grid_maps.py); without one the page says so.
    assert "尚未登记小区边界" in body


@pytest.mark.parametrize("url", ["/grid/community/abc/", "/grid/compound/0/", "/grid/building/99999/",
                                 "/grid/compound/1.5/", "/grid/building/-1/"])
def test_bad_ids_are_404(client, cast, url):
    assert page(client, cast.street_admin, url).status_code == 404


def test_out_of_scope_pages_are_404(client, cast):
    assert page(client, cast.grid_worker, f"/grid/building/{cast.B2.pk}/").status_code == 404
    assert page(client, cast.community_worker, f"/grid/community/{cast.C2.pk}/").status_code == 404
    assert page(client, cast.resident2, f"/grid/community/{cast.C.pk}/").status_code == 200  # own community
