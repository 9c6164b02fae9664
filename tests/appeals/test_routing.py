from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conftest import square  # tests/conftest.py
from gongzhi.appeals.models import Category, RoutingRule
from gongzhi.appeals.routing import locate, route, validate_point
from gongzhi.core import reference
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Coverage, Organisation, OrgKind


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
        assert compound == grid.K1 and note == "位置距宁江新城一期 277 米（最近小区）"

    def test_far_from_everything(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 500
        with pytest.raises(ValidationError) as e:
            locate(23.0, 113.0)
        assert e.value.message_dict == {
            "location": ["该位置不在任何小区范围内，且 500 米内没有小区，请选择小区或重新定位"]}

    def test_only_the_candidates_given_are_considered(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 0
        assert locate(24.1405, 115.7302)[0] == grid.K1
        with pytest.raises(ValidationError):
            locate(24.1405, 115.7302, candidates=[grid.K2, grid.K3])  # inside K1, which is not among them

    def test_a_candidate_not_yet_saved_is_tested_by_its_own_boundary(self, grid, settings):
        settings.APPEAL_NEAREST_COMPOUND_M = 0
        planned = Compound(community=grid.C, code="K8", name="宁江新城三期", boundary=square(24.20, 115.80))
        assert locate(24.2005, 115.8005, candidates=[grid.K1, planned]) == (planned, "位置在宁江新城三期范围内")


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


@pytest.mark.django_db
class TestRulePrecedence:
    """Among the rules that apply, the deepest category wins first, then the narrowest place (compound, community,
    everywhere), then the highest priority; a rule whose organisation is inactive or whose kind serves no one there
    gives way to the next."""

    def rule(self, name, org, **kw):
        return RoutingRule.objects.create(name=name, organisation=org, **kw)

    def test_the_narrowest_place_wins_at_the_same_category(self, grid):
        self.rule("everywhere", grid.dept, category=grid.lift, priority=100)
        self.rule("community", grid.dept2, category=grid.lift, community=grid.C, priority=50)
        compound = self.rule("compound", grid.owners_k1, category=grid.lift, compound=grid.K1)
        assert route(grid.lift, grid.K1)[1] == compound
        assert route(grid.lift, grid.K2)[1].name == "community"  # K2 is in the community, not the compound
        assert route(grid.lift, grid.K3)[1].name == "everywhere"  # K3 is in another community

    def test_the_deepest_category_wins_before_the_place(self, grid):
        self.rule("parent in K1", grid.owners_k1, category=grid.lift.parent, compound=grid.K1, priority=100)
        deep = self.rule("lift anywhere", grid.dept, category=grid.lift)
        self.rule("any category in K1", grid.dept2, compound=grid.K1, priority=200)
        assert route(grid.lift, grid.K1)[1] == deep

    def test_priority_decides_between_equals(self, grid):
        self.rule("low", grid.dept, category=grid.lift, priority=1)
        high = self.rule("high", grid.dept2, category=grid.lift, priority=2)
        assert route(grid.lift, grid.K1)[:2] == (grid.dept2, high)

    def test_a_rule_for_another_category_does_not_apply(self, grid):
        self.rule("lighting", grid.dept, category=grid.lighting)
        assert route(grid.lift, grid.K1)[:2] == (grid.property_co, None)

    def test_an_inactive_organisation_gives_way_to_the_next_rule(self, grid):
        self.rule("first", grid.owners_k1, category=grid.lift, priority=9)
        second = self.rule("second", grid.dept, category=grid.lift, priority=1)
        grid.owners_k1.is_active = False
        grid.owners_k1.save()
        assert route(grid.lift, grid.K1)[:2] == (grid.dept, second)

    def test_a_kind_rule_at_its_own_level_or_else_the_categorys(self, grid):
        RoutingRule.objects.create(name="offices", category=grid.lift, handler_kind=OrgKind.SUBDISTRICT_OFFICE,
                                   handler_level="subdistrict")
        org, rule, note = route(grid.lift, grid.K1)
        assert org == grid.street_office and note == "规则“offices”：福兴街道办事处"
        rule.handler_kind, rule.handler_level = OrgKind.OWNERS_COMMITTEE, ""  # the category's level: compound
        rule.save()
        assert route(grid.lift, grid.K1)[0] == grid.owners_k1
        assert route(grid.lift, grid.K2)[:2] == (grid.property_co, None)  # K2 has no committee: the default

    def test_a_community_level_does_not_look_at_the_compound(self, grid):
        committee_of_c = Organisation.objects.create(kind=OrgKind.OWNERS_COMMITTEE, code="O9", name="社区业委会联席会")
        Coverage.objects.create(organisation=committee_of_c, community=grid.C)
        RoutingRule.objects.create(name="c", category=grid.lift, handler_kind=OrgKind.OWNERS_COMMITTEE,
                                   handler_level="community")
        assert route(grid.lift, grid.K1)[0] == committee_of_c  # not K1's own committee (compound level)

    def test_a_category_rule_anywhere_beats_a_rule_for_any_category_in_the_compound(self, grid):
        parent = self.rule("parent anywhere", grid.dept, category=grid.lift.parent)
        self.rule("any category in K1", grid.dept2, compound=grid.K1, priority=200)
        assert route(grid.lift, grid.K1)[1] == parent

    def test_a_subdistrict_level_skips_what_covers_only_the_compound(self, grid):
        nearby = Organisation.objects.create(kind=OrgKind.GOV_DEPARTMENT, code="D9", name="一期城管网格站")
        Coverage.objects.create(organisation=nearby, compound=grid.K1)
        assert grid.illegal.handler_kind == OrgKind.GOV_DEPARTMENT and grid.illegal.handler_level == "subdistrict"
        assert route(grid.illegal, grid.K1)[0] == grid.dept

    def test_a_compound_or_category_the_cache_has_not_seen_yet(self, grid):
        new_compound = Compound(pk=10**9, community=grid.C, code="K7", name="新建小区")
        assert route(grid.lighting, new_compound)[0] == grid.office  # the community's office covers it
        new_category = Category(pk=10**9, code="new", name="新分类", parent=grid.lift.parent,
                                handler_kind=OrgKind.COMMUNITY_OFFICE, handler_level="community")
        self.rule("parent", grid.dept, category=grid.lift.parent)
        assert route(new_category, grid.K1)[:1] == (grid.dept,)  # its parent's rule reaches it

    def test_the_notes_say_exactly_why(self, grid):
        assert route(grid.lift, grid.K1)[2] == "分类默认：君胜物业"
        self.rule("一期", grid.owners_k1, category=grid.lift)
        assert route(grid.lift, grid.K1)[2] == "规则“一期”：指定宁江新城一期业委会"

    def test_nobody_at_all_leaves_it_for_the_desk(self, grid):
        Organisation.objects.exclude(kind=OrgKind.COMMUNITY_OFFICE).update(is_active=False)
        assert route(grid.lift, grid.K1) == (grid.office, None, "无匹配承办单位，由社区分拨：新城社区居委会")
        Organisation.objects.update(is_active=False)
        reference.bump()  # what an organisation's edit does: the processes read the organisations again
        assert route(grid.lift, grid.K1) == (None, None, "无匹配承办单位，待人工派单")
