"""Each person lands on a home that shows what they must do next and nothing they may not see."""
import datetime
import re

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection

from gongzhi.appeals.models import Appeal, Channel

pytestmark = pytest.mark.django_db


def words(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def home(client, user):
    client.force_login(user)
    r = client.get("/")
    assert r.status_code == 200
    return words(r)


@pytest.fixture
def work(grid, submit, act):
    """An appeal per stage in K1 and K2, one long overdue; one in K3 (the other community)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    new = submit(description="1栋门禁坏了")
    late = submit(description="2栋楼道漏水", compound=grid.K2)
    Appeal.objects.filter(pk=late.pk).update(resolve_due=now - datetime.timedelta(days=3))
    dispatched = act(grid.community_worker, submit(description="路灯不亮", category=grid.lighting), "dispatch",
                     handler=grid.property_co.pk)
    returned = act(grid.property1, act(grid.community_worker, submit(description="垃圾没人清"), "dispatch",
                                       handler=grid.property_co.pk), "return", note="不属于物业")
    resolved = act(grid.property1, act(grid.property1, act(grid.community_worker, submit(description="电梯异响"),
                                                           "dispatch", handler=grid.property_co.pk), "take"),
                   "resolve", note="已修好")
    patrol = submit(user=grid.grid_worker, channel=Channel.PATROL, description="井盖缺失")
    elsewhere = submit(user=grid.street_admin, channel=Channel.HOTLINE, compound=grid.K3, description="东风花园噪音")
    return {"new": new, "late": late, "dispatched": dispatched, "returned": returned, "resolved": resolved,
            "patrol": patrol, "elsewhere": elsewhere}


def test_a_visitor_lands_on_the_public_page(client, db):
    r = client.get("/")
    body = words(r)
    assert r.status_code == 200 and "怎样反映问题" in body and "暖锋驿站" in body and "/accounts/login/" in r.content.decode()


def test_the_desk_sees_its_counts_and_the_most_overdue_first(client, grid, work):
    body = home(client, grid.community_worker)
    # to dispatch: new, late, patrol (submitted) and returned; overdue: late; returned: 1; to verify: resolved.
    assert "4 待派单" in body and "1 已超期" in body and "1 被退单" in body and "1 待核查" in body
    assert "本月三率" in body and work["late"].number in body
    assert work["elsewhere"].number not in body  # another community's


def test_a_handler_sees_its_queue_most_urgent_first(client, grid, work):
    body = home(client, grid.property1)
    assert "待办理" in body and work["dispatched"].number in body
    assert work["new"].number not in body and "待派单" not in body


def test_a_grid_worker_sees_what_to_verify_and_their_patrol_reports(client, grid, work):
    body = home(client, grid.grid_worker)
    assert "待核查 1 件" in body and work["resolved"].number in body
    assert "我的巡查上报" in body and work["patrol"].number in body
    assert "待派单" not in body


def test_a_resident_sees_their_appeals_and_their_grid_worker(client, grid, work):
    grid.grid_worker.display_name = "黄网格"
    grid.grid_worker.set_phone("13912345678")
    grid.grid_worker.save()
    client.force_login(grid.resident1)
    r = client.get("/")
    body = words(r)
    assert "我的诉求" in body and work["new"].number in body and "提交诉求" in body
    assert "我的网格员" in body and "黄网格" in body and 'href="tel:13912345678"' in r.content.decode()
    assert work["elsewhere"].number not in body and "待派单" not in body and "本月三率" not in body


def test_a_resident_elsewhere_sees_no_other_grid_worker(client, grid):
    grid.grid_worker.set_phone("13912345678")
    grid.grid_worker.save()
    client.force_login(grid.resident2)  # lives in K2; grid_worker1 covers K1
    r = client.get("/")
    assert "13912345678" not in r.content.decode() and "暂未安排网格员" in words(r)


def test_an_outdoor_worker_lands_on_the_public_page(client, grid):
    body = home(client, grid.rider1)
    assert "怎样反映问题" in body and "待派单" not in body


@pytest.mark.parametrize("username", ["community_worker", "street_admin", "property1", "grid_worker", "resident1",
                                      "rider1", "member1"])
def test_each_home_reads_a_fixed_number_of_queries(client, grid, work, username, request):
    """However many appeals there are, a home costs the same queries (pinned per role in QUERIES)."""
    user = getattr(grid, username)
    client.force_login(user)
    client.get("/")  # caches warm
    with CaptureQueriesContext(connection) as first:
        client.get("/")
    request.getfixturevalue("submit")(description="又一个诉求")
    with CaptureQueriesContext(connection) as second:
        client.get("/")
    assert len(first) == len(second) == QUERIES[username], "\n".join(q["sql"][:150] for q in second)


# The page's own (session, user, roles, permissions, unread messages, the session's save) are 11 of them.
# The reviewers of sign-ups (grid, community, sub-district) read the waiting ones in one more (gongzhi.signup.home);
# the community notices panel (gongzhi/notices/home.py) one more for everyone who may read notices (not rider1).
# The three lists (gongzhi.lists.home): the desk reads its needs to review and its projects short of takers (2);
# a resident their needs and the services they may rate (2); a member the take board, their projects and their
# hours (the ledger, their registration, the units they act for).
# Stations (gongzhi.stations.home): the keepers read today's bookings and the open feedback (2); those who book a room their bookings
# (1); an outdoor worker with a beat the open rest stations and their closures (the cast's rider1 has none).
# Assistance (gongzhi.care.home): the leadership's referrals to assign, overdue count and its own cases due (+4 with
# the organisations it acts for); a grid worker its cases due and its residents due a visit (tags, residents, their
# tags); a referrer its referrals and whether its organisations were sent any measure (+2).
# Activities (gongzhi.stations.activity_home): residents and party members their sign-ups with their places on
# the waitlists, and the activities they may still join (2).
# Deliberation (gongzhi.deliberation.home): those who run it read the agenda, the open resolutions and the open votes
# (3); those who support topics the open votes and the topics gathering support (2).
QUERIES = {"community_worker": 31, "street_admin": 34, "property1": 22, "grid_worker": 20, "resident1": 24, "rider1": 11,
           "member1": 29}


def test_the_subdistrict_sees_each_community_side_by_side(client, grid, work):
    body = home(client, grid.street_admin)
    assert "各社区诉求办理" in body and "新城社区" in body and "东风社区" in body
    # 新城社区: six open (one overdue); 东风社区: one open.
    assert re.search(r"新城社区 6 1 ", body) and re.search(r"东风社区 1 0 ", body)


@pytest.mark.parametrize("today,known,reminded", [
    (datetime.datetime(2026, 12, 7, 2, tzinfo=datetime.timezone.utc), False, True),
    (datetime.datetime(2026, 10, 30, 2, tzinfo=datetime.timezone.utc), False, False),
    (datetime.datetime(2026, 12, 7, 2, tzinfo=datetime.timezone.utc), True, False),
])
def test_the_subdistrict_is_reminded_of_next_years_calendar(client, grid, monkeypatch, today, known, reminded):
    from gongzhi.appeals import home as appeal_homes
    from gongzhi.core.models import CalendarDay

    if known:
        CalendarDay.objects.create(date=datetime.date(2027, 1, 1), kind="holiday", name="元旦")
    monkeypatch.setattr(appeal_homes.timezone, "now", lambda: today)
    body = home(client, grid.street_admin)
    assert ("2027 年的节假日和调休尚未录入" in body) is reminded
    assert "2027 年的节假日" not in home(client, grid.community_worker)  # only for who keeps the calendar


def test_the_owners_committee_sees_the_property_companys_numbers_not_the_appeals(client, grid, work):
    body = home(client, grid.owners1)  # owners' committee of K1
    assert "物业办理情况" in body and "君胜物业" in body
    # K1's appeals the property company holds: dispatched, returned (still its own until the desk moves it) and
    # resolved (open until verified and closed).
    assert re.search(r"物业办理情况 \S+ 3 在办 0 已超期 君胜物业 · 本月 响应率 33% 办结率 33%", body)
    for a in work.values():
        assert a.number not in body and a.title not in body


def test_the_queue_tabs_count_and_filter_by_deadline(client, grid, work, api, monkeypatch):
    from gongzhi.appeals import selectors
    from gongzhi.core.workdays import LOCAL, local_date

    # Noon in Xingning today: "due today" never runs into tomorrow, whenever the test runs.
    noon = datetime.datetime.combine(local_date(datetime.datetime.now(datetime.timezone.utc)), datetime.time(12),
                                     tzinfo=LOCAL)
    monkeypatch.setattr(selectors.timezone, "now", lambda: noon)
    client.force_login(grid.community_worker)
    page = client.get("/appeals/", {"tab": "dispatch"}).content.decode()
    assert re.search(r'待派单 <span class="tab-count">4</span>', page)
    assert re.search(r'待核查 <span class="tab-count">1</span>', page)
    overdue = client.get("/appeals/", {"tab": "dispatch", "due": "overdue"}).content.decode()
    assert work["late"].number in overdue and work["new"].number not in overdue
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="all", due="overdue")
    assert r.status_code == 200 and [i["number"] for i in r.json()["items"]] == [work["late"].number]
    today = Appeal.objects.filter(pk=work["new"].pk)
    today.update(resolve_due=noon + datetime.timedelta(minutes=30))
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", due="today")
    assert [i["number"] for i in r.json()["items"]] == [work["new"].number]
    assert api.get(grid.community_worker, "/api/v1/appeals", due="soon").status_code == 400
