"""Working days on China's calendar: weekends off, holidays off, adjusted weekends on.

Deadlines count from receipt: the day an appeal arrives does not count, and
a deadline of N working days ends at the close (23:59:59, Asia/Shanghai) of
the N-th working day after it. Hour-based deadlines (emergencies) run on the
clock, day and night.
"""
import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from .reference import cached

LOCAL = ZoneInfo(settings.TIME_ZONE)
_LOOKAHEAD_DAYS = 400


@cached
def _calendar() -> dict:
    """Every exception on the calendar, {date: is a working day} (a few dozen rows a year)."""
    from .models import CalendarDay, DayKind

    return {d: (k == DayKind.WORKDAY) for d, k in CalendarDay.objects.values_list("date", "kind")}


def calendar_between(start: datetime.date, end: datetime.date) -> dict:
    """The calendar's exceptions from start to end (local dates), {date: is a working day}."""
    return {d: w for d, w in _calendar().items() if start <= d <= end}


def is_working_day(day: datetime.date, overrides=None) -> bool:
    if overrides is None:
        overrides = calendar_between(day, day)
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(LOCAL).date()


def end_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=LOCAL)


def calendar_after(start: datetime.datetime, n: int) -> dict:
    """The calendar's exceptions that counting n working days from `start` can meet: one query, reusable."""
    day = local_date(start)
    return calendar_between(day, day + datetime.timedelta(days=max(_LOOKAHEAD_DAYS, n * 3)))


def add_working_days(start: datetime.datetime, n: int, overrides=None) -> datetime.datetime:
    """Close of the n-th working day after the day of `start` (n ≥ 1); n = 0 gives the end of today.

    `overrides`: from calendar_after(start, m) with m ≥ n, to count several deadlines on one read.
    """
    day = local_date(start)
    if n <= 0:
        return end_of_day(day)
    if overrides is None:
        overrides = calendar_after(start, n)
    counted = 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return end_of_day(day)


def add_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    return start + datetime.timedelta(hours=hours)


def working_days_between(start: datetime.datetime, end: datetime.datetime, overrides=None) -> int:
    """Working days strictly after start's day up to and including end's day (negative if end is earlier).

    `overrides`: from calendar_between() over at least those days, to count several spans on one read.
    """
    a, b = local_date(start), local_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    if overrides is None:
        overrides = calendar_between(a, b)
    count = 0
    day = a
    while day < b:
        day += datetime.timedelta(days=1)
        if is_working_day(day, overrides):
            count += 1
    return sign * count
