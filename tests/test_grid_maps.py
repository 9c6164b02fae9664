"""Maps of compounds from our own GeoJSON: the scoped endpoints, and the map on the appeal, compound and community
pages for those who may see it (the ECharts drawing itself: tests/browser/test_maps.py)."""
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from gongzhi.appeals.presenter import AppealView, Reader, public_view, view_of
from gongzhi.appeals.services import appeal_submit
from gongzhi.grid import maps
from gongzhi.grid.models import Compound

from conftest import square  # tests/conftest.py


def _codes(collection):
    return [f["properties"]["code"] for f in collection["features"]]


def map_of(response, map_id):
    """The data a page hands its map (json_script), or None when the page draws no map."""
    body = response.content.decode()
    m = re.search(rf'<script id="{map_id}" type="application/json">(.*?)</script>', body, re.S)
    if m is None:
        assert f'data-map="{map_id}"' not in body
        return None
    assert f'data-map="{map_id}"' in body and 'role="img"' in body
    return json.loads(m.group(1))


@pytest.fixture
def submit(grid):
    def _submit(**kw):
        if "lat" not in kw:
            kw["compound"] = grid.K1
        return appeal_submit(user=grid.resident1, category=grid.lift, description="路灯不亮，晚上很黑", **kw)
    return _submit


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


# ---- the JSON endpoints -------------------------------------------------------------------------


def test_compound_geojson_is_the_compound_and_the_neighbours_one_may_see(api, grid):
    r = api.get(grid.community_worker, f"/api/v1/compounds/{grid.K1.pk}/geojson")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert _codes(body) == ["K1", "K2"]  # K3 is in another community
    first = body["features"][0]
    assert first["type"] == "Feature" and first["id"] == grid.K1.pk
    assert first["geometry"] == square(24.140, 115.730)
    assert first["properties"]["focus"] is True and first["properties"]["center"] == [115.73, 24.14]
    assert first["properties"]["url"] == f"/grid/compound/{grid.K1.pk}/"
    assert body["features"][1]["properties"]["focus"] is False
    # The compound's grid worker sees their compound, not its neighbour.
    assert _codes(api.get(grid.grid_worker, f"/api/v1/compounds/{grid.K1.pk}/geojson").json()) == ["K1"]


@pytest.mark.parametrize("who, where", [("grid_worker", "K2"), ("community_worker", "K3"), ("rider1", "K1"),
                                        ("property1", "K3")])
def test_compound_geojson_out_of_scope_is_404(api, grid, who, where):
    r = api.get(getattr(grid, who), f"/api/v1/compounds/{getattr(grid, where).pk}/geojson")
    assert r.status_code == 404


def test_community_geojson_lists_what_the_user_may_see(api, grid):
    grid.K2.boundary = None
    grid.K2.save()
    body = api.get(grid.community_worker, f"/api/v1/communities/{grid.C.pk}/geojson").json()
    assert _codes(body) == ["K1", "K2"]
    assert body["features"][1]["geometry"] is None  # no boundary: null geometry, still listed
    assert _codes(api.get(grid.property1, f"/api/v1/communities/{grid.C.pk}/geojson").json()) == ["K1", "K2"]
    assert _codes(api.get(grid.grid_worker, f"/api/v1/communities/{grid.C.pk}/geojson").json()) == ["K1"]
    assert api.get(grid.community_worker, f"/api/v1/communities/{grid.C2.pk}/geojson").status_code == 404
    assert api.get(None, f"/api/v1/communities/{grid.C.pk}/geojson").status_code == 401


def test_a_boundary_written_past_validation_is_not_drawn(grid):
    # bulk writes skip the model's validators: a self-crossing ring must reach no map
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    Compound.objects.filter(pk=grid.K2.pk).update(boundary=bow_tie)
    Compound.objects.filter(pk=grid.K1.pk).update(boundary="not json")
    k1, k2 = Compound.objects.get(pk=grid.K1.pk), Compound.objects.get(pk=grid.K2.pk)
    assert maps.feature(k2)["geometry"] is None and maps.feature(k1)["geometry"] is None
    assert maps.map_data(maps.around(grid.community_worker, k1)) is None


def test_map_data_keeps_drawable_compounds_and_the_points(grid):
    grid.K2.boundary = None
    grid.K2.save()
    data = maps.map_data(maps.around(grid.community_worker, grid.K2), [("点", Decimal("115.73"), Decimal("24.15"))])
    assert _codes(data["geojson"]) == ["K1"]
    assert data["points"] == [{"name": "点", "value": [115.73, 24.15]}]


# ---- the appeal's point -------------------------------------------------------------------------


def test_appeal_detail_shows_the_point_on_its_compound(client, grid, submit):
    a = submit(lat=Decimal("24.1502"), lng=Decimal("115.7301"))  # inside K2
    assert a.compound_id == grid.K2.pk
    r = get(client, grid.community_worker, f"/appeals/{a.pk}/")
    data = map_of(r, "appeal-map")
    assert _codes(data["geojson"]) == ["K2", "K1"]
    assert [f["properties"]["focus"] for f in data["geojson"]["features"]] == [True, False]
    assert data["points"] == [{"name": "反映位置", "value": [115.7301, 24.1502]}]
    body = r.content.decode()
    assert "位置在宁江新城二期范围内" in body  # the words stay next to the map
    assert "vendor/echarts/echarts.min.js" in body and "js/gridmap.js" in body
    assert 'aria-label="诉求位置图：宁江新城二期及同社区小区"' in body


def test_appeal_map_shows_neighbours_only_within_the_readers_grid(client, grid, submit):
    a = submit(lat=Decimal("24.1401"), lng=Decimal("115.7301"))  # inside K1
    assert _codes(map_of(get(client, grid.grid_worker, f"/appeals/{a.pk}/"), "appeal-map")["geojson"]) == ["K1"]
    assert _codes(map_of(get(client, grid.community_worker, f"/appeals/{a.pk}/"), "appeal-map")["geojson"]) == \
        ["K1", "K2"]
    # resident1 reports a point in K2: they see it on K2, and their own compound (their grid) beside it
    b = submit(lat=Decimal("24.1502"), lng=Decimal("115.7301"))
    assert _codes(map_of(get(client, grid.resident1, f"/appeals/{b.pk}/"), "appeal-map")["geojson"]) == \
        ["K2", "K1"]


def test_no_point_no_map(client, grid, submit):
    a = submit()  # a compound, no point
    r = get(client, grid.community_worker, f"/appeals/{a.pk}/")
    assert map_of(r, "appeal-map") is None
    assert "echarts" not in r.content.decode() and "无法显示位置图" not in r.content.decode()


def test_a_point_without_boundaries_is_said_in_words(client, grid, submit):
    a = submit(lat=Decimal("24.1502"), lng=Decimal("115.7301"))
    Compound.objects.update(boundary=None)
    r = get(client, grid.community_worker, f"/appeals/{a.pk}/")
    assert map_of(r, "appeal-map") is None
    assert "所在小区及周边尚未登记边界，无法显示位置图" in r.content.decode()


def test_who_sees_the_point(grid, submit):
    a = submit(lat=Decimal("24.1502"), lng=Decimal("115.7301"))
    assert view_of(grid.community_worker, a).point == (a.lat, a.lng)
    assert view_of(grid.resident1, a).point == (a.lat, a.lng)  # its reporter
    # Neither staff over it, nor working it, nor its author: a private appeal's point is not theirs to see.
    stranger = AppealView(a, Reader(user_id=grid.resident2.pk))
    assert stranger.point is None and stranger.located == ""
    assert public_view(a).point is None
    a.is_public = True
    assert public_view(a).point == (a.lat, a.lng)  # Open311 publishes a public appeal's point


# ---- the compound and community pages ---------------------------------------------------------


def test_compound_page_draws_its_polygon_and_centre(client, grid):
    r = get(client, grid.community_worker, f"/grid/compound/{grid.K1.pk}/")
    data = map_of(r, "compound-map")
    assert _codes(data["geojson"]) == ["K1", "K2"]
    assert data["geojson"]["features"][0]["geometry"] == square(24.140, 115.730)
    assert data["points"] == [{"name": "中心点", "value": [115.73, 24.14]}]
    assert "data-clickable" in r.content.decode()
    assert _codes(map_of(get(client, grid.grid_worker, f"/grid/compound/{grid.K1.pk}/"), "compound-map")
                  ["geojson"]) == ["K1"]


def test_compound_without_any_boundary_has_no_map(client, cast):
    r = get(client, cast.community_worker, f"/grid/compound/{cast.K2.pk}/")
    assert map_of(r, "compound-map") is None and "尚未登记小区边界" in r.content.decode()


def test_community_page_draws_its_compounds(client, grid):
    data = map_of(get(client, grid.community_worker, f"/grid/community/{grid.C.pk}/"), "community-map")
    assert _codes(data["geojson"]) == ["K1", "K2"] and data["points"] == []
    assert not any(f["properties"]["focus"] for f in data["geojson"]["features"])
    # A resident reads their community for context: the map shows their own compound only.
    assert _codes(map_of(get(client, grid.resident2, f"/grid/community/{grid.C.pk}/"), "community-map")
                  ["geojson"]) == ["K2"]


def test_echarts_is_served_as_one_file():
    found = finders.find("vendor/echarts/echarts.min.js")
    assert found and found.endswith("node_modules/echarts/dist/echarts.min.js")
    assert finders.find("vendor/echarts/echarts.js") is None  # the other builds stay out
    assert settings.STATIC_VENDOR_FILES
