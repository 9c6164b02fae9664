from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conftest import square  # tests/conftest.py
from gongzhi.appeals.models import RoutingRule
from gongzhi.appeals.routing import locate, route, validate_point
from gongzhi.orgs.models import Organisation, OrgKind


@pytest.mark.django_db
class TestLocate:
    def test_inside_polygon(self, grid):
        compound, note = locate(24.1405, 115.7302)
        assert compound == grid.K1 and "范围内" in note

    def test_every_compound_polygon_is_tested(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 0  # found by its polygon, not by being near its centre
        assert locate(24.1509, 115.7309) == (grid.K2, "位置在宁江新城二期范围内")
        assert locate(24.1609, 115.7509)[0] == grid.K3

    def test_multipolygon_boundary(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 0
        grid.K3.boundary = {"type": "MultiPolygon", "coordinates": [square(24.16, 115.75)["coordinates"],
                                                                    square(24.30, 115.90)["coordinates"]]}
        grid.K3.save()
        assert locate(24.3005, 115.9005)[0] == grid.K3

    def test_a_point_on_a_shared_edge_goes_to_the_first_compound_by_code(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 0
        grid.K2.boundary = square(24.142, 115.73)  # K1's northern edge (lat 24.141) is K2's southern edge
        grid.K2.save()
        assert locate(24.141, 115.7305)[0] == grid.K1
        grid.K1.code, grid.K2.code = "K9", "K0"  # code order decides, not the id
        grid.K1.save()
        grid.K2.save()
        assert locate(24.141, 115.7305)[0] == grid.K2

    def test_inside_the_second_polygon_though_nearer_the_first_centre(self, grid, settings):
        # K2 reaches south almost to K1: the point is in K2's polygon yet ~170 m from K1's centre and ~950 m
        # from K2's. Only testing every polygon (not just the first compound's) finds K2; the nearest-centre
        # fallback would answer K1.
        settings.APPEAL_NEAREST_COMPOUND_M = 300
        grid.K2.boundary = {"type": "Polygon", "coordinates": [[[115.729, 24.1412], [115.731, 24.1412],
                                                                [115.731, 24.151], [115.729, 24.151],
                                                                [115.729, 24.1412]]]}
        grid.K2.save()
        assert locate(24.1415, 115.7300) == (grid.K2, "位置在宁江新城二期范围内")

    def test_a_shared_edge_goes_by_code_whatever_the_candidates_order(self, grid, settings):
        # The lowest code wins on a shared edge even when a caller lists the candidates in another order
        # (similar.py passes the compounds near a point), so a point never changes compound with the caller.
        settings.APPEAL_NEAREST_COMPOUND_M = 0
        grid.K2.boundary = square(24.142, 115.73)  # K1's northern edge (lat 24.141) is K2's southern edge
        grid.K2.save()
        assert locate(24.141, 115.7305, candidates=[grid.K2, grid.K1])[0] == grid.K1
        assert locate(24.141, 115.7305, candidates=[grid.K1, grid.K2])[0] == grid.K1

    def test_nearest_within_limit(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 300
        compound, note = locate(24.1425, 115.730)  # ~280 m north of K1's centre, outside its square
        assert compound == grid.K1 and "最近" in note

    def test_far_from_everything(self, grid):
        with pytest.raises(ValidationError) as e:
            locate(23.0, 113.0)
        assert "location" in e.value.message_dict


@pytest.mark.django_db
class TestRoute:
    def test_category_default_property_company(self, grid):
        org, rule, note = route(grid.lift, grid.K1)
        assert org == grid.property_co and rule is None

    def test_other_compound_other_company(self, grid):
        assert route(grid.lift, grid.K3)[0] == grid.other_property

    def test_lighting_to_community_office(self, grid):
        assert route(grid.lighting, grid.K1)[0] == grid.office
        assert route(grid.lighting, grid.K3)[0] == grid.office2

    def test_illegal_building_to_department(self, grid):
        assert route(grid.illegal, grid.K2)[0] == grid.dept

    def test_rule_overrides_and_is_recorded(self, grid):
        rule = RoutingRule.objects.create(name="一期电梯由业委会跟进", category=grid.lift.parent, compound=grid.K1,
                                          organisation=grid.owners_k1)
        org, chosen, note = route(grid.lift, grid.K1)
        assert org == grid.owners_k1 and chosen == rule and rule.name in note
        assert route(grid.lift, grid.K2)[0] == grid.property_co  # rule is for K1 only

    def test_more_specific_rule_wins(self, grid):
        RoutingRule.objects.create(name="all", handler_kind=OrgKind.COMMUNITY_OFFICE, priority=100)
        specific = RoutingRule.objects.create(name="lift", category=grid.lift, handler_kind=OrgKind.PROPERTY_COMPANY,
                                              handler_level="compound")
        org, chosen, _ = route(grid.lift, grid.K1)
        assert chosen == specific and org == grid.property_co

    def test_inactive_rule_ignored(self, grid):
        RoutingRule.objects.create(name="off", category=grid.lift, organisation=grid.owners_k1, is_active=False)
        assert route(grid.lift, grid.K1)[0] == grid.property_co

    def test_no_matching_org_falls_back_to_community(self, grid):
        Organisation.objects.filter(kind=OrgKind.PROPERTY_COMPANY).update(is_active=False)
        org, rule, note = route(grid.lift, grid.K1)
        assert org == grid.office


def test_the_routing_note_reads_in_each_readers_language(grid, submit, client):
    from django.utils import translation

    from gongzhi.appeals.presenter import view_of

    a = submit(lat="24.1405", lng="115.7302", compound=None)  # inside K1's square; the lift goes by default
    assert a.routing_note == "位置在宁江新城一期范围内；分类默认：君胜物业"
    assert a.routing_parts == [["inside", {"name": "宁江新城一期"}], ["default", {"org": "君胜物业"}]]
    with translation.override("en"):
        note = view_of(grid.community_worker, a).routing_note
    assert note == "Location is within 宁江新城一期; Category default: 君胜物业"
    assert view_of(grid.community_worker, a).routing_note == a.routing_note  # Chinese as stored
    assert view_of(grid.resident2, a).routing_note == ""  # the desk's, not other residents'


def test_a_point_is_shown_as_where_it_lies_not_as_coordinates(grid, submit, client):
    a = submit(lat="24.1405", lng="115.7302", compound=None)
    client.force_login(grid.resident1)
    body = client.get(f"/appeals/{a.pk}/").content.decode()
    assert "位置在宁江新城一期范围内" in body and "24.1405, 115.7302</span>" not in body
    client.cookies["django_language"] = "en"
    assert "Location is within 宁江新城一期" in client.get(f"/appeals/{a.pk}/").content.decode()


class TestValidatePoint:
    """The bounds are inclusive, each bad coordinate is named with its own message, and a good one is kept to the
    micro-degree (about 0.1 m), the precision the appeal's columns store."""

    @pytest.mark.parametrize("lat,lng", [(90, 180), (-90, -180), ("90.0", "-180.000")])
    def test_the_bounds_themselves_are_valid(self, lat, lng):
        assert validate_point(lat, lng) == (Decimal(str(lat)).quantize(Decimal("0.000001")),
                                            Decimal(str(lng)).quantize(Decimal("0.000001")))

    def test_kept_to_six_decimals(self):
        lat, lng = validate_point("24.14051249", 115.7302)
        assert (lat, lng) == (Decimal("24.140512"), Decimal("115.730200"))
        assert str(lat) == "24.140512" and str(lng) == "115.730200"

    @pytest.mark.parametrize("lat,lng,bad", [
        ("90.000001", 0, {"lat"}), (-90.5, 0, {"lat"}), (0, "180.000001", {"lng"}), (0, -181, {"lng"}),
        ("north", 0, {"lat"}), (0, "", {"lng"}), (None, None, {"lat", "lng"}), ("NaN", "Infinity", {"lat", "lng"}),
        (91, 181, {"lat", "lng"}),
    ])
    def test_each_bad_coordinate_is_named(self, lat, lng, bad):
        with pytest.raises(ValidationError) as e:
            validate_point(lat, lng)
        assert set(e.value.message_dict) == bad
        messages = {"lat": ["纬度应在 -90 到 90 之间"], "lng": ["经度应在 -180 到 180 之间"]}
        assert e.value.message_dict == {k: messages[k] for k in bad}
