"""core.geometry: areas (Polygon, MultiPolygon, holes, edges), distances and the nearest of several."""
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from conftest import square  # tests/conftest.py
from gongzhi.core.geometry import Area, GeometryError, by_distance, covering, distance_m, nearest, parse_area


def multipolygon(*polygons):
    return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in polygons]}


def holed(lat, lng, half=0.001, hole=0.0002):
    return {"type": "Polygon", "coordinates": square(lat, lng, half)["coordinates"]
            + square(lat, lng, hole)["coordinates"]}


class TestArea:
    def test_polygon_inside_and_outside(self):
        area = Area.from_geojson(square(24.14, 115.73))
        assert area.covers(24.14, 115.73)
        assert area.covers(24.1409, 115.7309)
        assert not area.covers(24.1411, 115.73)
        assert not area.covers(24.14, 115.75)

    def test_hole_is_outside_and_the_ring_around_it_inside(self):
        area = Area.from_geojson(holed(24.14, 115.73))
        assert not area.covers(24.14, 115.73)
        assert area.covers(24.1405, 115.73)

    def test_multipolygon_matches_in_every_part(self):
        area = Area.from_geojson(multipolygon(square(24.14, 115.73), square(24.20, 115.80)))
        assert area.covers(24.14, 115.73)
        assert area.covers(24.2005, 115.8005)
        assert not area.covers(24.17, 115.76)  # between the parts

    def test_multipolygon_part_with_a_hole(self):
        area = Area.from_geojson(multipolygon(square(24.14, 115.73), holed(24.20, 115.80)))
        assert not area.covers(24.20, 115.80)
        assert area.covers(24.2005, 115.80)

    def test_edge_and_corner_belong_to_the_area(self):
        area = Area.from_geojson(square(24.14, 115.73))
        assert area.covers(24.141, 115.73)  # on the north edge
        assert area.covers(24.141, 115.731)  # the north-east corner

    @pytest.mark.parametrize("value", [
        None, {}, [], "Polygon", {"type": "Point", "coordinates": [115.73, 24.14]},
        {"type": "Polygon"}, {"type": "Polygon", "coordinates": []}, {"type": "Polygon", "coordinates": [[[1, 2]]]},
        {"type": "Polygon", "coordinates": "x"}, {"type": "MultiPolygon", "coordinates": [[["a"]]]},
    ])
    def test_a_value_that_is_no_area_is_none(self, value):
        assert Area.from_geojson(value) is None
        with pytest.raises(GeometryError):
            parse_area(value)

    def test_self_intersecting_ring_is_refused_with_the_reason(self):
        bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        with pytest.raises(GeometryError, match="Self-intersection"):
            parse_area(bowtie)

    @pytest.mark.parametrize("lat,lng", [(24.14, 200.0), (24.14, 180.0), (24.14, -180.5), (90.0, 115.73),
                                         (-90.5, 115.73)])
    def test_coordinates_off_the_globe_are_refused(self, lat, lng):
        with pytest.raises(GeometryError, match=r"^coordinates outside longitude -180\.\.180 / latitude -90\.\.90$"):
            parse_area(square(lat, lng))

    @pytest.mark.parametrize("ring", [[[0, 0], [0, 1], [0, 2], [0, 0]], [[0, 0], [1, 0], [2, 0], [0, 0]]])
    def test_a_flat_ring_is_refused_as_invalid_not_as_off_the_globe(self, ring):
        with pytest.raises(GeometryError, match="^Self-intersection"):
            parse_area({"type": "Polygon", "coordinates": [ring]})

    def test_an_area_is_prepared_once_for_many_points(self):
        assert shapely.is_prepared(Area.from_geojson(square(24.14, 115.73)).geom)

    def test_an_area_touching_the_globes_edges_is_kept(self):
        whole = {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}
        assert parse_area(whole).bounds == (-180, -90, 180, 90)

    @pytest.mark.parametrize("value,reason", [
        ({"type": "Point", "coordinates": [115.73, 24.14]}, "not a Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": "x"}, "malformed coordinates"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
    ])
    def test_each_kind_of_refusal_says_why(self, value, reason):
        with pytest.raises(GeometryError, match=f"^{reason}"):
            parse_area(value)


class TestCovering:
    def test_every_area_is_tested_not_only_the_first(self):
        places = [("a", Area.from_geojson(square(24.14, 115.73))), ("b", Area.from_geojson(square(24.15, 115.73))),
                  ("c", None)]
        assert covering(24.1509, 115.7309, places) == ["b"]  # a corner of b's square, far from a
        assert covering(24.30, 115.73, places) == []

    def test_a_shared_edge_belongs_to_both_in_the_callers_order(self):
        west = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
        east = {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]}
        places = [("west", Area.from_geojson(west)), ("east", Area.from_geojson(east))]
        assert covering(0.5, 1, places) == ["west", "east"]
        assert covering(0.5, 1, places[::-1]) == ["east", "west"]


class TestDistance:
    def test_known_distances(self):
        assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)  # one degree of latitude
        assert distance_m(24.14, 115.73, 24.14, 115.73) == 0
        assert distance_m(24.14, 115.73, 24.1425, 115.73) == pytest.approx(278, abs=1)
        assert distance_m(0, 0, 0, 1) == pytest.approx(111_195, abs=1)  # a degree of longitude on the equator
        assert distance_m(60, 10, 60, 11) == pytest.approx(55_597, abs=1)  # shorter by cos(60°) up north
        assert distance_m(-60, 10, -60, 11) == pytest.approx(55_597, abs=1)
        assert distance_m(0, 0, 0, 180) == pytest.approx(20_015_115, abs=1)  # antipodes: half the circumference

    @given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
    def test_symmetric_and_bounded(self, a, b, c, d):
        there = distance_m(a, b, c, d)
        assert there == pytest.approx(distance_m(c, d, a, b), abs=1e-6)
        assert 0 <= there <= 20_015_087  # half the circumference

    def test_a_point_with_half_a_place_is_left_out(self):
        points = [("no lng", 24.14, None), ("no lat", None, 115.73), ("a", 24.141, 115.73)]
        assert nearest(24.14, 115.73, points)[1] == "a"
        assert [i for _d, i in by_distance(24.14, 115.73, points)] == ["a"]

    def test_the_limit_itself_is_within(self):
        d = distance_m(24.14, 115.73, 24.141, 115.73)
        assert nearest(24.14, 115.73, [("a", 24.141, 115.73)], within_m=d) == (d, "a")
        assert by_distance(24.14, 115.73, [("a", 24.141, 115.73)], within_m=d) == [(d, "a")]

    def test_ties_keep_the_callers_order_not_the_items_order(self):
        points = [("b", 24.141, 115.73), ("a", 24.141, 115.73), ("c", 24.139, 115.73)]
        assert [i for _d, i in by_distance(24.14, 115.73, points)] == ["b", "a", "c"]
        assert nearest(24.14, 115.73, points)[1] == "b"

    def test_nearest_within_a_limit_and_ties_to_the_first(self):
        points = [("none", None, None), ("far", 24.20, 115.73), ("a", 24.141, 115.73), ("b", 24.139, 115.73)]
        d, item = nearest(24.14, 115.73, points)
        assert item == "a" and d == pytest.approx(111, abs=1)
        assert nearest(24.14, 115.73, points, within_m=100) is None
        assert [i for _d, i in by_distance(24.14, 115.73, points)] == ["a", "b", "far"]
        assert [i for _d, i in by_distance(24.14, 115.73, points, within_m=200)] == ["a", "b"]


@pytest.mark.django_db
def test_a_compound_boundary_is_checked_when_edited(cast):
    from django.core.exceptions import ValidationError

    cast.K1.boundary = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(ValidationError) as e:
        cast.K1.full_clean()
    assert "Self-intersection" in e.value.message_dict["boundary"][0]
    cast.K1.boundary = multipolygon(square(24.14, 115.73), square(24.20, 115.80))
    cast.K1.full_clean()
