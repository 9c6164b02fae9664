"""The 楼盘表: a building's households as floors × units and flats, read from their room codes; cells show the
flat, how many live there and care tags, each only to those who may see it; in two queries for the building."""
import re
from decimal import Decimal

import pytest

from gongzhi.accounts.policy import scope_of
from gongzhi.grid.models import Building, Household, Tenure
from gongzhi.grid.rooms import RoomPlace, parse_room_code
from gongzhi.people.floorplan import floor_plan
from gongzhi.people.models import Resident


@pytest.mark.parametrize("code, place", [
    ("1-1201", RoomPlace(1, 12, 1)),          # the demo, buildings of several units
    ("1201", RoomPlace(None, 12, 1)),          # the demo, buildings of one unit
    ("101", RoomPlace(None, 1, 1)),
    ("0101", RoomPlace(None, 1, 1)),
    ("2单元301", RoomPlace(2, 3, 1)),
    ("2单元 301室", RoomPlace(2, 3, 1)),
    ("1-12-01", RoomPlace(1, 12, 1)),
    ("3单元12层02室", RoomPlace(3, 12, 2)),
    ("１－０３０２", RoomPlace(1, 3, 2)),      # full-width, as typed with a Chinese input method
    ("1—0201", RoomPlace(1, 2, 1)),            # a long dash
    (" 2 - 1502 ", RoomPlace(2, 15, 2)),
    ("12-01", RoomPlace(None, 12, 1)),         # floor and flat
    ("12层3号", RoomPlace(None, 12, 3)),
])
def test_room_codes_that_say_where_the_flat_is(code, place):
    assert parse_room_code(code) == place


@pytest.mark.parametrize("code", ["", None, "10101", "B1-01", "商铺3", "1-1201-1", "001", "1单元", "100-101",
                                  "0-0201", "A座1201", "1201A", "-101", "1-", "12层"])
def test_room_codes_that_do_not(code):
    assert parse_room_code(code) is None


def test_flat_label():
    assert RoomPlace(2, 3, 1).flat == "301" and RoomPlace(None, 12, 2).flat == "1202"


@pytest.fixture
def tower(cast):
    """Building 9 of K1: two units, flats 01 and 02 on floors 2 and 12, a gap, odd codes and a clash."""
    b = Building.objects.create(compound=cast.K1, code="9", name="9栋")
    codes = ["1-0201", "1-0202", "2-0201", "1-1201", "2-1202", "B1-01", "商铺", "2-201"]
    homes = {c: Household.objects.create(building=b, code=c, address=f"宁江新城一期9栋{c}") for c in codes}
    homes["1-0202"].tenure = Tenure.VACANT
    homes["1-0202"].save()
    for name, code, tags in (("甲", "1-0201", [cast.tag_elderly, cast.tag_dibao]), ("乙", "1-0201", []),
                             ("丙", "2-1202", [cast.tag_dibao]), ("丁", "B1-01", [cast.tag_elderly])):
        r = Resident.objects.create(name=name, household=homes[code])
        r.tags.set(tags)
    b.homes = homes
    return b


def _grid(plan):
    """The table as text: one row per floor, each cell 'flat n tags' or '.'."""
    rows = []
    for floor, cells in plan.floors:
        rows.append((floor, [f"{c.flat} {c.members} {','.join(t.code for t in c.tags)}".strip() if c else "."
                             for c in cells]))
    return rows


def test_layout_from_codes(cast, tower):
    plan = floor_plan(cast.community_worker, tower)
    assert [(c.unit, c.position) for c in plan.columns] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [(g.unit, g.span) for g in plan.units] == [(1, 2), (2, 2)] and plan.named_units
    assert _grid(plan) == [
        (12, ["1201 0", ".", ".", "1202 1 dibao"]),
        (2, ["201 2 dibao,elderly_alone", "202 0", "201 0", "."]),
    ]
    # B1-01 and 商铺 say no place; 2-201 is where 2-0201 already is.
    assert sorted(c.household.code for c in plan.unplaced) == ["2-201", "B1-01", "商铺"]
    assert [t.code for t in next(c for c in plan.unplaced if c.household.code == "B1-01").tags] == ["elderly_alone"]
    assert [t.code for t in plan.legend] == ["dibao", "elderly_alone"]


def test_one_unit_buildings_have_no_unit_heading(cast):
    plan = floor_plan(cast.community_worker, cast.B1)  # codes 101 and 102
    assert [(c.unit, c.position) for c in plan.columns] == [(None, 1), (None, 2)]
    assert not plan.named_units and plan.unplaced == []
    assert _grid(plan) == [(1, ["101 2", "102 1"])]


def test_tags_and_counts_only_for_those_who_may_see_them(cast, tower):
    # grid workers see residents but not who carries a sensitive tag (低保)
    assert _grid(floor_plan(cast.grid_worker, tower))[1][1][0] == "201 2 elderly_alone"
    assert _grid(floor_plan(cast.grid_worker, tower))[0][1][3] == "1202 1"
    # the owners' committee sees the households, not who lives in them
    plan = floor_plan(cast.owners1, tower)
    assert not plan.shows_residents
    assert _grid(plan)[1][1][0] == "201 None" and plan.legend == []


def test_a_resident_sees_their_own_flat_only(cast):
    cast.R1.tags.set([cast.tag_elderly, cast.tag_dibao])
    plan = floor_plan(cast.resident1, cast.B1)
    assert _grid(plan) == [(1, ["101 2 elderly_alone"])]


def test_two_queries_for_the_whole_building(cast, tower, django_assert_num_queries):
    user = cast.community_worker
    scope_of(user)  # the user's roles, read once per request by the middleware's first check
    with django_assert_num_queries(2):
        small = floor_plan(user, tower)
    for floor in range(13, 40):  # many more flats, residents and tags: still two
        for unit in (1, 2):
            h = Household.objects.create(building=tower, code=f"{unit}-{floor:02d}01", address="x")
            Resident.objects.create(name="某", household=h).tags.set([cast.tag_elderly])
    with django_assert_num_queries(2):
        big = floor_plan(user, tower)
    assert len(big.floors) == len(small.floors) + 27
    scope_of(cast.owners1)
    with django_assert_num_queries(1):  # no residents to see: the households alone
        floor_plan(cast.owners1, tower)


def page(client, user, url):
    client.force_login(user)
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def test_building_page_shows_the_table(client, cast, tower):
    body = page(client, cast.community_worker, f"/grid/building/{tower.pk}/")
    assert "楼盘表" in body and '<table class="floorplan">' in body
    assert re.search(r'<th scope="colgroup" colspan="2" class="unit">1单元</th>', body)
    assert re.search(r'<th scope="row" class="floor">12层</th>', body)
    cell = re.search(rf'<a class="flat" href="/people/household/{tower.homes["1-0201"].pk}/">(.*?)</a>', body).group(1)
    assert '<span class="room">201</span>' in cell and "2人" in cell
    assert 'title="低保户"' in cell and 'title="独居老人"' in cell
    assert f'<a class="flat vacant" href="/people/household/{tower.homes["1-0202"].pk}/">' in body
    assert "未能排入楼盘表的住户" in body and "宁江新城一期9栋B1-01" in body

    body = page(client, cast.grid_worker, f"/grid/building/{tower.pk}/")
    assert "低保户" not in body and 'title="独居老人"' in body
    body = page(client, cast.owners1, f"/grid/building/{tower.pk}/")
    assert "楼盘表" in body and "人</span>" not in body and "独居老人" not in body
    body = page(client, cast.member1, f"/grid/building/{cast.B1.pk}/")
    assert "您的角色无权查看住户信息" in body and "floorplan" not in body


def test_building_page_query_count_does_not_grow(client, cast, tower, django_assert_max_num_queries):
    client.force_login(cast.community_worker)
    with django_assert_max_num_queries(40) as ctx:
        client.get(f"/grid/building/{tower.pk}/")
    before = len(ctx.captured_queries)
    for floor in range(3, 20):
        h = Household.objects.create(building=tower, code=f"1-{floor:02d}02", address="x",
                                     floor_area=Decimal("90"))
        Resident.objects.create(name="某", household=h).tags.set([cast.tag_elderly, cast.tag_dibao])
    with django_assert_max_num_queries(before):
        client.get(f"/grid/building/{tower.pk}/")


def test_floor_plan_api(api, cast, tower):
    r = api.get(cast.community_worker, f"/api/v1/buildings/{tower.pk}/floor-plan")
    assert r.status_code == 200
    body = r.json()
    assert body["columns"] == [{"unit": 1, "position": 1}, {"unit": 1, "position": 2},
                               {"unit": 2, "position": 1}, {"unit": 2, "position": 2}]
    assert [f["floor"] for f in body["floors"]] == [12, 2]
    cell = body["floors"][1]["cells"][0]
    assert cell["household_id"] == tower.homes["1-0201"].pk and cell["flat"] == "201"
    assert cell["member_count"] == 2 and [t["code"] for t in cell["tags"]] == ["dibao", "elderly_alone"]
    assert body["floors"][0]["cells"][1] is None
    assert sorted(u["code"] for u in body["unplaced"]) == ["2-201", "B1-01", "商铺"]
    worker = api.get(cast.grid_worker, f"/api/v1/buildings/{tower.pk}/floor-plan").json()
    assert [t["code"] for t in worker["floors"][1]["cells"][0]["tags"]] == ["elderly_alone"]
    owners = api.get(cast.owners1, f"/api/v1/buildings/{tower.pk}/floor-plan").json()
    assert owners["floors"][1]["cells"][0]["member_count"] is None and owners["floors"][1]["cells"][0]["tags"] == []
    assert api.get(cast.grid_worker, f"/api/v1/buildings/{cast.B2.pk}/floor-plan").status_code == 404
    assert api.get(cast.community_worker, f"/api/v1/buildings/{cast.B3.pk}/floor-plan").status_code == 404
