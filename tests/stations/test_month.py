"""A room's month of free time against a brute-force count of quarter hours (open at that moment, by the
station's hours, holidays and closures, and held by no booking), with nights across midnight; and it costs
the same few queries for a month as for a day."""
import datetime
import random

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.core.models import CalendarDay, DayKind
from gongzhi.core.reference import bump
from gongzhi.core.workdays import LOCAL
from gongzhi.stations import selectors
from gongzhi.stations.hours import Pattern, holidays_between, is_open_at
from gongzhi.stations.models import Booking, Closure, Kind, Room, RoomReach

from .conftest import T, local

MONTH = datetime.date(2026, 10, 1)  # the National Day holidays are in it
NOW = local(datetime.date(2026, 10, 9), 13, 15)
QUARTER = datetime.timedelta(minutes=15)
# Weekdays 08:00–12:00 and 14:00–22:00, Friday and Saturday nights on to 02:00, Sunday the whole day.
HOURS = [(d, T(8), T(12)) for d in range(5)] + [(d, T(14), T(22)) for d in range(4)] + \
    [(4, T(14), T(2)), (5, T(18), T(2)), (6, T(0), T(0))]


@pytest.fixture
def busy_room(cast, make_station):
    station = make_station(name="党群驿站", kind=Kind.PARTY, hours=HOURS, closed_on_holidays=True)
    room = Room.objects.create(station=station, name="活动室", capacity=30, max_minutes=240, horizon_days=31)
    RoomReach.objects.create(room=room, compound=cast.K1)
    for day in (1, 2, 3):
        CalendarDay.objects.update_or_create(date=MONTH.replace(day=day),
                                             defaults={"kind": DayKind.HOLIDAY, "name": "国庆节"})
    bump()
    Closure.objects.create(station=station, starts_at=local(MONTH.replace(day=14), 10),
                           ends_at=local(MONTH.replace(day=16), 15, 30), reason="检修")
    return room


def _bookings(room, user, seed):
    """Random holding and cancelled bookings over the month and the night before it, never overlapping."""
    rng = random.Random(seed)
    t = local(MONTH - datetime.timedelta(days=1), 20)
    end = local(MONTH.replace(day=31), 23)
    rows = []
    while t < end:
        t += QUARTER * rng.randint(1, 40)
        length = QUARTER * rng.randint(1, 16)
        rows.append(Booking(room=room, booked_by=user, starts_at=t, ends_at=t + length, purpose="x", attendees=1,
                            compound_id=room.station.compound_id,
                            status=rng.choice(["confirmed", "confirmed", "pending", "cancelled", "refused"])))
        t += length
    Booking.objects.bulk_create(rows)
    return rows


def _brute_force(room, rows):
    """{date: free quarter hours} walking every quarter hour of the month."""
    patterns = [Pattern(w, a, b) for w, a, b in HOURS]
    holidays = holidays_between(MONTH - datetime.timedelta(days=1), MONTH.replace(day=31))
    closures = [(c.starts_at, c.ends_at) for c in Closure.objects.filter(station=room.station)]
    # A confirmed booking nobody checked in to within the grace time is a no-show: its time is free again.
    grace = datetime.timedelta(minutes=settings.STATION_NO_SHOW_GRACE_MINUTES)
    held = [(b.starts_at, b.ends_at) for b in rows if b.status == "pending"
            or (b.status == "confirmed" and (b.checked_in_at is not None or b.starts_at > NOW - grace))]
    out = {}
    t = local(MONTH, 0)
    while t < local(MONTH.replace(day=31), 0) + datetime.timedelta(days=1):
        day = t.astimezone(LOCAL).date()
        free = t >= NOW and is_open_at(t, patterns, holidays=holidays, closures=closures) \
            and not any(a <= t < b for a, b in held)
        out[day] = out.get(day, 0) + free
        t += QUARTER
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_month_agrees_with_a_quarter_hour_count(cast, busy_room, seed):
    rows = _bookings(busy_room, cast.resident1, seed)
    room = selectors.room(cast.resident1, busy_room.pk)
    got = selectors.month_free(room, MONTH, NOW)
    assert list(got) == [MONTH + datetime.timedelta(days=i) for i in range(31)]
    expected = _brute_force(busy_room, rows)
    counted = {d: sum((b - a) // QUARTER for a, b in spans) for d, spans in got.items()}
    assert counted == expected
    for d, spans in got.items():  # each day's spans lie in that day, in order, apart
        assert all(a.astimezone(LOCAL).date() == d and a < b <= local(d, 0) + datetime.timedelta(days=1)
                   for a, b in spans)
        assert all(s[1] < t[0] for s, t in zip(spans, spans[1:]))
    assert got[MONTH.replace(day=2)] == []  # a holiday


def test_a_day_is_the_month_for_that_day(cast, busy_room):
    _bookings(busy_room, cast.resident1, 7)
    room = selectors.room(cast.resident1, busy_room.pk)
    month = selectors.month_free(room, MONTH, NOW)
    for d in (MONTH.replace(day=9), MONTH.replace(day=10), MONTH.replace(day=15), MONTH.replace(day=24)):
        assert selectors.free_spans(room, d, NOW) == month[d]


def test_a_month_costs_a_few_queries_whatever_its_bookings(cast, busy_room):
    _bookings(busy_room, cast.resident1, 4)
    room = selectors.room(cast.resident1, busy_room.pk)
    room.station.hours.all()  # read with the room, as the page and the API read it
    selectors.month_free(room, MONTH, NOW)  # the calendar's cache warm
    with CaptureQueriesContext(connection) as queries:
        selectors.month_free(room, MONTH, NOW)
    # the calendar's stamp (is its cache current), the closures, the bookings
    assert len(queries) == 3, [q["sql"][:80] for q in queries]
