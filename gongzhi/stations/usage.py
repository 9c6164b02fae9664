"""How much a station is used, per day and per hour (China's time): for its keepers' page, for
GET /api/v1/stations/kept/{id}/usage, and for a cockpit reading that.

Each figure is a Measure: a set of rows, the path from a row to its station and the moment that counts it.
The ones here are the QR visits, the bookings (by the time they use the room), the check-ins to bookings, the
no-shows and the attendance of activities (by the time people checked in). Another part adds its own with
`register(Measure(...))` when its module is imported, and every page, the API and their tests pick it up: the
figures are read from the registry, never listed by name.

One grouped query per measure, however long the range: counts per (station, local hour) from the database,
days and hours of the day summed from those here.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.workdays import LOCAL

from .models import ActivitySignup, Booking, BookingStatus, StationVisit

# The longest range one request reads: a year of days, with room for a leap one.
MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    rows: Callable  # () -> a queryset of the rows counted
    station: str  # the lookup from a row to its station's id
    moment: str  # the datetime field that places a row in an hour


_measures = {}


def register(measure):
    """Add a measure, or replace the one with its key."""
    _measures[measure.key] = measure
    return measure


def measures():
    return tuple(_measures.values())


register(Measure("visits", gettext_lazy("扫码签到"), lambda: StationVisit.objects.all(), "station_id", "at"))
register(Measure("bookings", gettext_lazy("活动室预约"),
                 lambda: Booking.objects.filter(status__in=(BookingStatus.CONFIRMED, BookingStatus.NO_SHOW)),
                 "room__station_id", "starts_at"))
register(Measure("check_ins", gettext_lazy("预约签到"), lambda: Booking.objects.filter(checked_in_at__isnull=False),
                 "room__station_id", "checked_in_at"))
register(Measure("no_shows", gettext_lazy("未签到释放"), lambda: Booking.objects.filter(status=BookingStatus.NO_SHOW),
                 "room__station_id", "starts_at"))
register(Measure("attendance", gettext_lazy("活动签到"),
                 lambda: ActivitySignup.objects.filter(attended_at__isnull=False), "activity__station_id",
                 "attended_at"))


@dataclass
class Usage:
    first: datetime.date
    last: datetime.date
    keys: tuple
    labels: dict
    days: list = field(default_factory=list)  # [{"date": d, key: n, …}] every day of the range, in order
    hours: list = field(default_factory=list)  # [{"hour": 0…23, key: n, …}] summed over the range
    cells: list = field(default_factory=list)  # [{"date": d, "hour": h, key: n, …}] the hours with any count
    totals: dict = field(default_factory=dict)


def date_range(raw_first, raw_last, today):
    """(first, last) local dates from the request's ISO dates, by default the DEFAULT_DAYS up to today;
    a ValidationError naming the field when a date is not one or the range is upside down or too long."""
    def parse(raw, name):
        if raw in (None, ""):
            return None
        if isinstance(raw, datetime.date):
            return raw
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise ValidationError({name: _("日期格式应为 YYYY-MM-DD")}) from None

    first, last = parse(raw_first, "from"), parse(raw_last, "to")
    last = last or (first + datetime.timedelta(days=DEFAULT_DAYS - 1) if first else today)
    first = first or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValidationError({"to": _("结束日期不能早于开始日期")})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"to": _("一次最多查看 %(n)d 天") % {"n": MAX_DAYS}})
    return first, last


def count(station_ids, first, last):
    """{station id: Usage} for the local dates first…last."""
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=LOCAL)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=LOCAL)
    found = measures()
    keys = tuple(m.key for m in found)
    # {station: {(date, hour): {key: n}}}
    cells = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(keys, 0)))
    for m in found:
        rows = (m.rows().filter(**{f"{m.station}__in": list(station_ids), f"{m.moment}__gte": start,
                                   f"{m.moment}__lt": end})
                .annotate(_hour=TruncHour(m.moment, tzinfo=LOCAL)).order_by()  # no ordering in the GROUP BY
                .values(m.station, "_hour").annotate(_n=Count("pk")))
        for row in rows:
            hour = row["_hour"].astimezone(LOCAL)
            cells[row[m.station]][(hour.date(), hour.hour)][m.key] += row["_n"]
    out = {}
    for station_id in station_ids:
        mine = cells.get(station_id, {})
        usage = Usage(first=first, last=last, keys=keys, labels={m.key: str(m.label) for m in found})
        per_day = {first + datetime.timedelta(days=i): dict.fromkeys(keys, 0) for i in range((last - first).days + 1)}
        per_hour = {h: dict.fromkeys(keys, 0) for h in range(24)}
        for (day, hour), counts in sorted(mine.items()):
            usage.cells.append({"date": day, "hour": hour, **counts})
            for key, n in counts.items():
                per_day[day][key] += n
                per_hour[hour][key] += n
        usage.days = [{"date": day, **counts} for day, counts in per_day.items()]
        usage.hours = [{"hour": hour, **counts} for hour, counts in per_hour.items()]
        usage.totals = {key: sum(d[key] for d in usage.days) for key in keys}
        out[station_id] = usage
    return out
