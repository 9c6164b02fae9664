"""Weekly bookings and a room's month through the API and the room page, on the real clock: the conflicts listed
before anything is written, the choice to skip them, the series cancelled from one week on."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.core.workdays import LOCAL
from gongzhi.stations import services
from gongzhi.stations.models import Booking

from .conftest import local

WEEK = datetime.timedelta(weeks=1)


@pytest.fixture
def tomorrow():
    return timezone.now().astimezone(LOCAL).date() + datetime.timedelta(days=1)


def body(start, weeks, **kw):
    return {"starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "weeks": weeks, "attendees": 4, "purpose": "每周象棋"} | kw


def test_api_lists_conflicts_refuses_then_skips(api, cast, chess_room, tomorrow):
    start = local(tomorrow, 19)
    services.booking_create(user=cast.resident2, room_id=chess_room.pk, starts_at=start + WEEK,
                            ends_at=start + WEEK + datetime.timedelta(hours=1), attendees=2, purpose="下棋")
    url = f"/api/v1/stations/rooms/{chess_room.pk}/series"
    r = api.post(cast.resident1, url + "/check", body(start, 3))
    assert r.status_code == 200, r.content
    assert [(w["week"], w["free"], w["reason"]) for w in r.json()["weeks"]] == [
        (1, True, None), (2, False, "overlap"), (3, True, None)]
    r = api.post(cast.resident1, url, body(start, 3))
    assert r.status_code == 409
    assert r.json()["field"] == "weeks" and [w["week"] for w in r.json()["conflicts"]] == [2]
    assert r.json()["conflicts"][0]["reason_display"] == "该时段已被预约"
    assert not Booking.objects.filter(booked_by=cast.resident1).exists()
    r = api.post(cast.resident1, url, body(start, 3, on_conflict="skip"))
    assert r.status_code == 201, r.content
    made = r.json()
    assert [b["starts_at"][:10] for b in made["bookings"]] == [f"{tomorrow}", f"{tomorrow + 2 * WEEK}"]
    assert [w["week"] for w in made["skipped"]] == [2] and {b["series"] for b in made["bookings"]} == {made["series"]}
    r = api.get(cast.resident1, f"/api/v1/stations/series/{made['series']}")
    assert [b["id"] for b in r.json()] == [b["id"] for b in made["bookings"]]
    assert api.get(cast.resident2, f"/api/v1/stations/series/{made['series']}").status_code == 404
    assert api.get(cast.property1, f"/api/v1/stations/series/{made['series']}").status_code == 200  # a keeper
    assert api.get(cast.property1, f"/api/v1/stations/series/{made['series'][:-1]}").status_code == 404


@pytest.mark.parametrize("change,field", [({"weeks": 13}, "weeks"), ({"weeks": 1}, "weeks"),
                                          ({"attendees": 9}, "attendees"), ({"on_conflict": "maybe"}, None)])
def test_api_bad_series_input(api, cast, chess_room, tomorrow, change, field):
    r = api.post(cast.resident1, f"/api/v1/stations/rooms/{chess_room.pk}/series", body(local(tomorrow, 19), 3) | change)
    assert r.status_code == (400 if field else 422), r.content
    if field:
        assert field in str(r.json())
    assert not Booking.objects.exists()


def test_api_series_of_a_room_out_of_reach_is_404(api, cast, chess_room, tomorrow):
    r = api.post(cast.rider1, f"/api/v1/stations/rooms/{chess_room.pk}/series", body(local(tomorrow, 19), 3))
    assert r.status_code == 404
    assert api.post(None, f"/api/v1/stations/rooms/{chess_room.pk}/series", body(local(tomorrow, 19), 3)).status_code == 401


def test_api_cancels_the_series_from_a_week_on(api, cast, chess_room, tomorrow):
    r = api.post(cast.resident1, f"/api/v1/stations/rooms/{chess_room.pk}/series", body(local(tomorrow, 9), 3))
    ids = [b["id"] for b in r.json()["bookings"]]
    assert api.post(cast.resident2, f"/api/v1/stations/bookings/{ids[1]}/cancel-series").status_code == 404
    r = api.post(cast.resident1, f"/api/v1/stations/bookings/{ids[1]}/cancel-series")
    assert r.status_code == 200 and [b["id"] for b in r.json()["cancelled"]] == ids[1:]
    assert [Booking.objects.get(pk=i).status for i in ids] == ["confirmed", "cancelled", "cancelled"]
    assert api.post(cast.resident1, f"/api/v1/stations/bookings/{ids[2]}/cancel-series").status_code == 409


def test_page_lists_conflicts_and_books_the_rest_when_asked(client, cast, chess_room, tomorrow):
    services.booking_create(user=cast.resident2, room_id=chess_room.pk, starts_at=local(tomorrow + WEEK, 19),
                            ends_at=local(tomorrow + WEEK, 20), attendees=2, purpose="下棋")
    client.force_login(cast.resident1)
    url = f"/stations/rooms/{chess_room.pk}/"
    form = {"date": f"{tomorrow}", "start": "19:00", "minutes": "120", "attendees": "4", "purpose": "每周象棋",
            "weeks": "4"}
    r = client.post(url, form)
    assert r.status_code == 409
    text = r.content.decode()
    assert "有 1 周与已有安排冲突" in text and f"第 2 周（{tomorrow + WEEK} 19:00）" in text and "该时段已被预约" in text
    assert "预约其余 3 周" in text
    assert not Booking.objects.filter(booked_by=cast.resident1).exists()
    r = client.post(url, {**form, "on_conflict": "skip"})
    assert r.status_code == 302
    mine = list(Booking.objects.filter(booked_by=cast.resident1).order_by("starts_at"))
    assert [b.starts_at.astimezone(LOCAL).date() for b in mine] == [tomorrow, tomorrow + 2 * WEEK, tomorrow + 3 * WEEK]
    assert r["Location"] == f"/stations/bookings/{mine[0].pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "每周重复预约，共 3 周" in page and "取消本周及以后 2 周" in page
    r = client.post(f"/stations/bookings/{mine[1].pk}/act/", {"act": "cancel_series"})
    assert r.status_code == 302
    assert [Booking.objects.get(pk=b.pk).status for b in mine] == ["confirmed", "cancelled", "cancelled"]


def test_page_books_once_when_not_repeated(client, cast, chess_room, tomorrow):
    client.force_login(cast.resident1)
    r = client.post(f"/stations/rooms/{chess_room.pk}/", {"date": f"{tomorrow}", "start": "10:00", "minutes": "60",
                                                           "attendees": "2", "purpose": "下棋", "weeks": "1"})
    assert r.status_code == 302
    assert Booking.objects.get().series is None


# ---- a room's month ------------------------------------------------------------------------------------------

def test_api_month_gives_each_days_free_time(api, cast, chess_room, tomorrow):
    services.booking_create(user=cast.resident2, room_id=chess_room.pk, starts_at=local(tomorrow, 9),
                            ends_at=local(tomorrow, 11), attendees=2, purpose="下棋")
    r = api.get(cast.resident1, f"/api/v1/stations/rooms/{chess_room.pk}/month", month=f"{tomorrow:%Y-%m}")
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["month"] == f"{tomorrow:%Y-%m}"
    days = {d["date"]: d for d in got["days"]}
    assert len(days) in (28, 29, 30, 31) and all(k.startswith(f"{tomorrow:%Y-%m}") for k in days)
    d = days[f"{tomorrow}"]
    assert d["free_minutes"] == 12 * 60  # open 08:00–22:00, two hours of it taken
    assert [(s["starts_at"][11:16], s["ends_at"][11:16]) for s in d["free"]] == [("08:00", "09:00"), ("11:00", "22:00")]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-12", "1999-12", "abcd-ef"])
def test_api_month_refuses_a_malformed_month(api, cast, chess_room, month):
    r = api.get(cast.resident1, f"/api/v1/stations/rooms/{chess_room.pk}/month", month=month)
    assert r.status_code == 400 and r.json()["field"] == "month"


def test_api_month_of_a_room_out_of_reach_is_404(api, cast, chess_room):
    assert api.get(cast.rider1, f"/api/v1/stations/rooms/{chess_room.pk}/month").status_code == 404


def test_page_shows_the_month_and_links_the_bookable_days(client, cast, chess_room, tomorrow):
    client.force_login(cast.resident1)
    r = client.get(f"/stations/rooms/{chess_room.pk}/", {"date": f"{tomorrow}"})
    text = r.content.decode()
    assert r.status_code == 200
    grid = [c for week in r.context["month_grid"] for c in week if c]
    assert grid[0]["date"] == tomorrow.replace(day=1)
    cell = next(c for c in grid if c["date"] == tomorrow)
    assert cell["bookable"] and cell["hours"] == 14.0
    assert f'href="?date={tomorrow:%Y-%m-%d}" aria-current="date"' in text
    later = [c for c in grid if c["date"] > tomorrow + datetime.timedelta(days=14)]
    assert all(not c["bookable"] for c in later)
