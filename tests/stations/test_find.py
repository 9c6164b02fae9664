"""Finding a rest station: nearest first exactly as a brute-force distance over all of them; the public API and
page without login; bad coordinates refused; planned and opening-soon stations never shown as open."""
import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.core.geometry import distance_m
from gongzhi.stations import selectors
from gongzhi.stations.models import Kind, Station
from gongzhi.stations.present import hours_text

coords = st.tuples(st.floats(min_value=23.5, max_value=24.8), st.floats(min_value=115.0, max_value=116.5))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(coords, min_size=1, max_size=25), here=coords, limit=st.integers(1, 12),
       charging=st.lists(st.booleans(), min_size=25, max_size=25))
@pytest.mark.django_db
def test_nearest_equals_brute_force(cast, points, here, limit, charging):
    Station.objects.all().delete()
    for i, (lat, lng) in enumerate(points):
        Station.objects.create(compound=cast.K1, name=f"站{i}", kind=Kind.REST, status="open",
                               lat=Decimal(f"{lat:.6f}"), lng=Decimal(f"{lng:.6f}"), has_charging=charging[i])
    for amenities in ((), ("charging",)):
        got = [s.pk for _d, s in selectors.nearest(*here, amenities=amenities, limit=limit)]
        pool = [s for s in Station.objects.all() if not amenities or s.has_charging]
        brute = sorted(pool, key=lambda s: (distance_m(*here, s.lat, s.lng), s.pk))[:limit]
        assert got == [s.pk for s in brute]


@pytest.fixture
def stations(make_station):
    return {
        "near": make_station(name="近", lat="24.1410", lng="115.7300", amenities=("water",)),
        "charger": make_station(name="有充电", lat="24.1500", lng="115.7300", amenities=("charging", "water")),
        "soon": make_station(name="即将开放", lat="24.1401", lng="115.7300", status="soon", amenities=("charging",)),
        "party": make_station(name="党群驿站", kind=Kind.PARTY, lat="24.1400", lng="115.7300"),
    }


def test_api_nearest_without_login(client, stations):
    r = client.get("/api/v1/stations/nearest", {"lat": "24.14", "lng": "115.73"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["即将开放", "近", "有充电"]  # the party station is not a rest station
    assert items[0]["status"] == "soon" and items[0]["open_now"] is False
    assert items[1]["open_now"] is True and items[1]["distance_m"] == 111
    r = client.get("/api/v1/stations/nearest", {"lat": "24.14", "lng": "115.73", "amenity": "charging",
                                                "open_only": "true"})
    assert [i["name"] for i in r.json()["items"]] == ["有充电"]


@pytest.mark.parametrize("params,status,field", [
    ({"lat": "91", "lng": "115"}, 400, "lat"),
    ({"lat": "24", "lng": "181"}, 400, "lng"),
    ({"lat": "24"}, 422, "lng"),
    ({"lat": "north", "lng": "115"}, 422, "lat"),
    ({"lat": "24", "lng": "115", "amenity": "sauna"}, 400, "amenity"),
])
def test_api_nearest_bad_coordinates(client, stations, params, status, field):
    r = client.get("/api/v1/stations/nearest", params)
    assert r.status_code == status
    assert r.json()["field"] == field


def test_api_one_station_public_facts_only(client, stations):
    r = client.get(f"/api/v1/stations/{stations['near'].pk}")
    assert r.status_code == 200 and r.json()["amenities"] == ["water"]
    assert client.get(f"/api/v1/stations/{stations['party'].pk}").status_code == 404


def test_api_public_reads_are_throttled(client, stations, settings):
    settings.API_THROTTLE_PUBLIC = "3/min"
    from django.core.cache import cache

    cache.clear()
    codes = [client.get("/api/v1/stations/nearest", {"lat": "24.14", "lng": "115.73"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    cache.clear()


def test_find_page_without_login(client, stations, cast):
    r = client.get("/stations/find/", {"place": cast.K1.pk, "amenity": "charging"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "有充电" in body and "即将开放" in body and "近" not in body.split("st-results")[1]
    assert body.index("即将开放") < body.index("有充电")
    r = client.get("/stations/find/", {"lat": "100", "lng": "115"})
    assert "位置无效" in r.content.decode()


def test_landing_links_the_find_page(client):
    assert '/stations/find/' in client.get("/").content.decode()


@pytest.mark.django_db
def test_hours_in_words_group_runs_of_days(make_station):
    T = datetime.time
    whole = make_station(name="全天站")
    assert hours_text(Station.objects.get(pk=whole.pk)) == [("每天", "全天")]
    split = make_station(name="夜站", hours=[(d, T(8), T(2)) for d in range(5)] + [(5, T(9), T(18))])
    assert hours_text(Station.objects.get(pk=split.pk)) == [("周一至周五", "08:00–次日02:00"), ("周六", "09:00–18:00")]


def test_find_page_keeps_the_position_and_a_chosen_place_wins(client, stations, cast):
    # A position far away (another city): the search from there finds the same stations, farther off.
    r = client.get("/stations/find/", {"lat": "23.0", "lng": "113.0", "open_only": "1"})
    assert r.context["lat"] == 23.0 and 'name="lat" id="st-lat" value="23.0"' in r.content.decode()
    assert r.context["results"][0]["distance_m"] > 100_000
    # The place chosen afterwards is searched from, not the position the form still carries.
    r = client.get("/stations/find/", {"lat": "23.0", "lng": "113.0", "place": cast.K1.pk, "open_only": "1"})
    assert r.context["place"] == cast.K1.pk
    assert [s["name"] for s in r.context["results"]][:1] == ["近"]
    assert r.context["results"][0]["distance_m"] < 200
    # A place that is not on the list is refused, never silently replaced by the carried position.
    r = client.get("/stations/find/", {"lat": "23.0", "lng": "113.0", "place": "999999"})
    assert r.context["results"] is None and "位置无效" in r.context["error"]


def test_find_page_map_draws_the_list_around_the_searcher(client, stations):
    """The map's data is the list's, in its order, each station in the state its card shows; the box is hidden
    until the script has drawn it, and a search with no result or a bad position has no map at all."""
    r = client.get("/stations/find/", {"lat": "24.1400", "lng": "115.7300"})
    data = r.context["map"]
    assert data["here"] == [115.73, 24.14]
    assert [(p["n"], p["name"], p["state"]) for p in data["points"]] == [
        (1, "即将开放", "soon"), (2, "近", "now"), (3, "有充电", "now")]
    assert data["points"][1]["url"] == f"/stations/s/{stations['near'].pk}/"
    body = r.content.decode()
    assert 'id="st-map-data" type="application/json"' in body and '<figure class="card st-map-box" id="st-map" hidden' in body
    assert body.index('id="st-results"') < body.index('id="st-map"')  # the list first
    for params in ({"lat": "100", "lng": "115"}, {"lat": "24.14", "lng": "115.73", "amenity": "microwave"}):
        r = client.get("/stations/find/", params)
        assert r.context.get("map") is None and "st-map-data" not in r.content.decode()
    r = client.get("/stations/find/", {"lat": "24.14", "lng": "115.73"}, HTTP_HX_REQUEST="true")
    assert "st-map" not in r.content.decode()  # the home's fragment: the list alone
