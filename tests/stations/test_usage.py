"""Usage figures of a station, per local day and hour: exact against a constructed set of visits and bookings, the
range read in China's time, only for the station's keepers, on their page and over the API; a measure registered
by another part of stations shows up everywhere without more code."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.core.workdays import LOCAL
from gongzhi.stations import activities, services, usage
from gongzhi.stations.models import Kind, Room, RoomReach, StationVisit

from .conftest import ALL_DAY

D1, D2 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)


def at(day, hour, minute=0, second=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=LOCAL)


@pytest.fixture
def world(cast, make_station):
    station = make_station(name="宁江新城一期二期党群驿站", kind=Kind.PARTY, hours=ALL_DAY)
    other = make_station(name="暖锋驿站（新城）")
    chess = Room.objects.create(station=station, name="棋牌室", capacity=8, max_minutes=120, horizon_days=14)
    reading = Room.objects.create(station=station, name="阅览室", capacity=20, max_minutes=240, horizon_days=14)
    for room in (chess, reading):
        for k in (cast.K1, cast.K2):
            RoomReach.objects.create(room=room, compound=k)

    for moment in (at(D1, 9, 10), at(D1, 9, 50), at(D1, 14, 5), at(D2, 23, 59, 59)):
        StationVisit.objects.create(station=station, at=moment)
    # Outside the range in local time (though inside it in UTC, or the other way round), or at another station.
    StationVisit.objects.create(station=station, at=at(D1, 0) - datetime.timedelta(seconds=1))
    StationVisit.objects.create(station=station, at=at(D2 + datetime.timedelta(days=1), 0))
    StationVisit.objects.create(station=other, at=at(D1, 9, 20))

    def book(room, start, user=cast.resident1):
        return services.booking_create(user=user, room_id=room.pk, starts_at=start,
                                       ends_at=start + datetime.timedelta(hours=1), attendees=2, purpose="下棋",
                                       now=start - datetime.timedelta(days=1))

    came = book(chess, at(D1, 9))
    services.booking_check_in(user=cast.resident1, room_id=chess.pk, now=at(D1, 8, 50))
    book(reading, at(D1, 14))
    services.release_no_shows(now=at(D1, 14, 20))
    gone = book(chess, at(D2, 10))
    services.booking_cancel(user=cast.resident1, booking_id=gone.pk, now=at(D2, 8))
    book(reading, at(D2, 19), user=cast.resident2)

    # An activity on D2 at 16:00 (no room): two sign up, one comes (checked in 15:55, counted in that hour).
    lecture = activities.activity_publish(user=cast.community_worker, station_id=station.pk, title="党课",
                                          kind="lecture", starts_at=at(D2, 16), ends_at=at(D2, 17), capacity=5,
                                          now=at(D1, 8))
    came_to = activities.signup_create(user=cast.resident1, activity_id=lecture.pk, now=at(D1, 9))
    activities.signup_create(user=cast.resident2, activity_id=lecture.pk, now=at(D1, 9))
    activities.attendance_record(user=cast.community_worker, signup_id=came_to.pk, now=at(D2, 15, 55))
    return {"station": station, "other": other, "came": came}


ZERO = {"visits": 0, "bookings": 0, "check_ins": 0, "no_shows": 0, "attendance": 0}


def test_counts_per_day_hour_and_cell_are_exact(world):
    with timezone.override("UTC"):  # whatever the request's time zone, the figures are in China's time
        figures = usage.count([world["station"].pk], D1, D2)[world["station"].pk]
    assert figures.keys == ("visits", "bookings", "check_ins", "no_shows", "attendance")
    assert figures.days == [{"date": D1, "visits": 3, "bookings": 2, "check_ins": 1, "no_shows": 1, "attendance": 0},
                            {"date": D2, "visits": 1, "bookings": 1, "check_ins": 0, "no_shows": 0, "attendance": 1}]
    hours = {h["hour"]: {k: v for k, v in h.items() if k != "hour"} for h in figures.hours}
    assert hours == {h: ZERO for h in range(24)} | {
        8: {**ZERO, "check_ins": 1}, 9: {**ZERO, "visits": 2, "bookings": 1},
        14: {**ZERO, "visits": 1, "bookings": 1, "no_shows": 1}, 15: {**ZERO, "attendance": 1},
        19: {**ZERO, "bookings": 1}, 23: {**ZERO, "visits": 1}}
    assert [(c["date"], c["hour"]) for c in figures.cells] == [(D1, 8), (D1, 9), (D1, 14), (D2, 15), (D2, 19),
                                                               (D2, 23)]
    assert figures.totals == {"visits": 4, "bookings": 3, "check_ins": 1, "no_shows": 1, "attendance": 1}


def test_every_day_of_the_range_is_listed_even_an_empty_one(world):
    figures = usage.count([world["other"].pk], D1, D2 + datetime.timedelta(days=2))[world["other"].pk]
    assert [d["date"] for d in figures.days] == [D1 + datetime.timedelta(days=i) for i in range(4)]
    assert figures.totals == {**ZERO, "visits": 1}


def test_a_registered_measure_is_counted_with_the_others(world, monkeypatch):
    monkeypatch.setattr(usage, "_measures", dict(usage._measures))
    usage.register(usage.Measure("signed_in_visits", "实名签到", lambda: StationVisit.objects.exclude(user=None),
                                 "station_id", "at"))
    StationVisit.objects.create(station=world["station"], at=at(D2, 7), user=world["came"].booked_by)
    figures = usage.count([world["station"].pk], D1, D2)[world["station"].pk]
    assert figures.totals["signed_in_visits"] == 1 and figures.totals["visits"] == 5
    assert figures.labels["signed_in_visits"] == "实名签到"


def test_api_for_keepers_only(api, cast, world):
    path = f"/api/v1/stations/kept/{world['station'].pk}/usage"
    r = api.get(cast.property1, path, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert r.status_code == 200
    data = r.json()
    assert (data["from"], data["to"], data["station_name"]) == ("2026-03-02", "2026-03-03", "宁江新城一期二期党群驿站")
    assert data["totals"] == {"visits": 4, "bookings": 3, "check_ins": 1, "no_shows": 1, "attendance": 1}
    assert data["days"][0] == {"date": "2026-03-02", "visits": 3, "bookings": 2, "check_ins": 1, "no_shows": 1,
                               "attendance": 0}
    assert [m["key"] for m in data["measures"]] == ["visits", "bookings", "check_ins", "no_shows", "attendance"]
    assert len(data["hours"]) == 24 and len(data["cells"]) == 6
    for outsider in (cast.resident1, cast.rider1, cast.grid_worker, cast.member1):
        assert api.get(outsider, path).status_code == 404


def test_api_default_range_is_the_last_thirty_days(api, cast, world):
    data = api.get(cast.owners1, f"/api/v1/stations/kept/{world['station'].pk}/usage").json()
    today = timezone.now().astimezone(LOCAL).date()
    assert data["to"] == today.isoformat() and len(data["days"]) == 30


@pytest.mark.parametrize("query,field,message", [
    ({"from": "2026-03-05", "to": "2026-03-01"}, "to", "结束日期不能早于开始日期"),
    ({"from": "3/2/2026"}, "from", "日期格式应为 YYYY-MM-DD"),
    ({"from": "2025-01-01", "to": "2026-03-01"}, "to", "一次最多查看 366 天"),
])
def test_api_refuses_a_bad_range(api, cast, world, query, field, message):
    r = api.get(cast.property1, f"/api/v1/stations/kept/{world['station'].pk}/usage", **query)
    assert r.status_code == 400 and r.json()["field"] == field and message in r.json()["detail"]


def test_keeper_page_shows_the_figures(client, cast, world):
    client.force_login(cast.community_worker)
    r = client.get(f"/stations/kept/{world['station'].pk}/", {"from": "2026-03-02", "to": "2026-03-03"})
    body = r.content.decode()
    assert r.status_code == 200 and "使用情况" in body
    assert "扫码签到 <strong>4</strong>" in body and "活动室预约 <strong>3</strong>" in body
    assert "预约签到 <strong>1</strong>" in body and "未签到释放 <strong>1</strong>" in body
    assert "活动签到 <strong>1</strong>" in body
    r = client.get(f"/stations/kept/{world['station'].pk}/", {"from": "2026-03-05", "to": "2026-03-01"})
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
