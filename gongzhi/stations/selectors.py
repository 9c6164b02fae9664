"""Every read of stations: the public facts of rest stations for anyone, the rest scoped by the user."""
import datetime
import math
import re

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from gongzhi.accounts.policy import scoped
from gongzhi.core.geometry import EARTH_RADIUS_M, by_distance
from gongzhi.core.workdays import LOCAL

from .capability import (
    BOOKING_MANAGE,
    BOOKING_VIEW,
    FEEDBACK_HANDLE,
    FEEDBACK_VIEW,
    ROOM_VIEW,
    STATION_MANAGE,
    STATION_VIEW,
)
from .hours import Pattern, holidays_between, is_open_at, open_spans
from .models import (
    AMENITY_KEYS,
    HOLDING,
    Booking,
    BookingStatus,
    Closure,
    Feedback,
    FeedbackStatus,
    Kind,
    Room,
    Station,
    Status,
)

# What the public sees: rest stations that exist or will. A closed one is gone from the map.
PUBLIC_STATUSES = (Status.OPEN, Status.SOON, Status.PLANNED)
NEAREST_MAX = 50
_FIRST_RADIUS_M = 3000
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def public_stations():
    return Station.objects.filter(kind=Kind.REST, status__in=PUBLIC_STATUSES)


def public_station(pk):
    return public_stations().select_related("keeper").prefetch_related("hours").filter(pk=pk).first()


def _box(lat, lng, radius_m):
    """A lat/lng box holding every point within radius_m (a little wider: the box is cheap, misses are not)."""
    dlat = radius_m * 1.01 / _METRES_PER_DEGREE
    widest = min(89.0, abs(lat) + dlat)  # the box's edge nearer the pole is where a degree of longitude is shortest
    dlng = min(180.0, radius_m * 1.01 / (_METRES_PER_DEGREE * math.cos(math.radians(widest))))
    return {"lat__gte": lat - dlat, "lat__lte": lat + dlat, "lng__gte": lng - dlng, "lng__lte": lng + dlng}


def nearest(lat, lng, *, amenities=(), limit=10, queryset=None):
    """[(metres, station)] nearest first (ties by id), at most `limit`.

    A box around the point on the indexed lat/lng narrows the candidates; it grows until `limit` of them lie
    within its radius (only those are sure to be the nearest) or it covers the earth.
    """
    qs = (queryset if queryset is not None else public_stations()).filter(lat__isnull=False, lng__isnull=False)
    for key in amenities:
        qs = qs.filter(**{f"has_{key}": True})
    radius = _FIRST_RADIUS_M
    while True:
        whole_earth = radius > math.pi * EARTH_RADIUS_M
        candidates = qs if whole_earth else qs.filter(**_box(lat, lng, radius))
        rows = list(candidates.order_by("id").values_list("id", "lat", "lng"))
        ranked = by_distance(lat, lng, rows)
        sure = ranked if whole_earth else [r for r in ranked if r[0] <= radius]
        if len(sure) >= limit or whole_earth:
            top = sure[:limit]
            break
        radius *= 4
    stations = Station.objects.select_related("keeper").prefetch_related("hours").in_bulk([pk for _d, pk in top])
    return [(d, stations[pk]) for d, pk in top]


def patterns_of(station):
    return [Pattern(h.weekday, h.opens, h.closes) for h in station.hours.all()]


def _closures_by_station(ids, start, end):
    out = {}
    for c in Closure.objects.filter(station_id__in=ids, starts_at__lt=end, ends_at__gt=start):
        out.setdefault(c.station_id, []).append((c.starts_at, c.ends_at))
    return out


def open_now(stations, now=None):
    """{station id: open right now} for stations with their hours prefetched: one query for the closures."""
    now = now or timezone.now()
    day = now.astimezone(LOCAL).date()
    holidays = holidays_between(day - datetime.timedelta(days=1), day)
    closures = _closures_by_station([s.pk for s in stations], now - datetime.timedelta(days=1),
                                    now + datetime.timedelta(days=1))
    return {s.pk: s.status == Status.OPEN and is_open_at(
        now, patterns_of(s), holidays=holidays if s.closed_on_holidays else frozenset(),
        closures=closures.get(s.pk, ())) for s in stations}


def open_spans_of(station, first, last):
    holidays = holidays_between(first, last) if station.closed_on_holidays else frozenset()
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=LOCAL)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=LOCAL)
    closures = _closures_by_station([station.pk], start - datetime.timedelta(days=1), end).get(station.pk, ())
    return open_spans(patterns_of(station), first, last, holidays=holidays, closures=closures)


def amenity_keys(raw):
    """The amenities asked for, or None naming one that is not known."""
    keys = [k for k in (raw or []) if k]
    return None if any(k not in AMENITY_KEYS for k in keys) else keys


# ---- the keepers' and residents' side, scoped --------------------------------------------------------------

def stations_for(user):
    return scoped(user, STATION_VIEW, Station.objects.all()).select_related("keeper", "compound")


def rooms_for(user):
    return scoped(user, ROOM_VIEW, Room.objects.all()).select_related("station")


def room(user, pk):
    return rooms_for(user).prefetch_related("station__hours").filter(pk=pk).first()


def checkin_early():
    return datetime.timedelta(minutes=settings.STATION_CHECKIN_EARLY_MINUTES)


def no_show_grace():
    return datetime.timedelta(minutes=settings.STATION_NO_SHOW_GRACE_MINUTES)


def past_grace(now):
    """Confirmed bookings nobody checked in to within the grace time: no-shows, whether the sweep has marked them
    yet or not. An activity's booking is never one: its people check in to the activity, not to the room."""
    return Q(status=BookingStatus.CONFIRMED, checked_in_at__isnull=True, starts_at__lte=now - no_show_grace(),
             activity__isnull=True)


def holding(now=None):
    """The bookings that hold their room's time now: pending or confirmed, and not a no-show the sweep has not
    reached yet (the next booking would release it: services.booking_create)."""
    return Booking.objects.filter(status__in=HOLDING).exclude(past_grace(now or timezone.now()))


def _local_midnight(day):
    return datetime.datetime.combine(day, datetime.time(), tzinfo=LOCAL)


def _without(spans, taken):
    """The parts of sorted, disjoint spans that no taken span covers. Taken spans are disjoint too (holding
    bookings never overlap) and sorted by start, hence by end: one pass over both."""
    out, i = [], 0
    for a, b in spans:
        while i < len(taken) and taken[i][1] <= a:  # over before this span: over before every later one too
            i += 1
        j = i
        while j < len(taken) and taken[j][0] < b:
            ta, tb = taken[j]
            if ta > a:
                out.append((a, ta))
            a = max(a, tb)
            j += 1
        if a < b:
            out.append((a, b))
    return out


def free_between(room, first, last, now=None):
    """{local date: [(start, end)]} from `first` to `last`: when the room is open and not held by a booking, from
    now on. The same few reads for a day or a month: the station's hours (prefetched with the room, or one
    query), its closures and the calendar over the range, and the room's holding bookings over it."""
    now = now or timezone.now()
    start, end = _local_midnight(first), _local_midnight(last + datetime.timedelta(days=1))
    spans = [(max(a, now), b) for a, b in open_spans_of(room.station, first, last) if b > now]
    taken = sorted(holding(now).filter(room=room, starts_at__lt=end, ends_at__gt=start)
                   .values_list("starts_at", "ends_at"))
    days = {first + datetime.timedelta(days=i): [] for i in range((last - first).days + 1)}
    for a, b in _without(spans, taken):
        a, b = a.astimezone(LOCAL), b.astimezone(LOCAL)  # the database's times come back in UTC: say all in China's
        while a < b:  # a span open across midnight counts on each day it touches
            day = a.astimezone(LOCAL).date()
            midnight = _local_midnight(day + datetime.timedelta(days=1))
            days[day].append((a, min(b, midnight)))
            a = midnight
    return days


def free_spans(room, day, now=None):
    """[(start, end)] of the day when the room is open and not held by a booking, from now on."""
    return free_between(room, day, day, now)[day]


def month_of(raw, today):
    """The first day of a "YYYY-MM" month (today's month when empty), or None when it names no such month."""
    if not raw:
        return today.replace(day=1)
    if not re.fullmatch(r"\d{4}-\d{2}", raw):
        return None
    year, month = int(raw[:4]), int(raw[5:])
    return datetime.date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def month_free(room, month, now=None):
    """free_between over the month whose first day is `month`."""
    nxt = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return free_between(room, month, nxt - datetime.timedelta(days=1), now)


def bookings_of_day(room, day, now=None):
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=LOCAL)
    return list(holding(now).filter(room=room, starts_at__lt=start + datetime.timedelta(days=1),
                                    ends_at__gt=start).order_by("starts_at"))


def my_bookings(user, *, upcoming=True, now=None):
    now = now or timezone.now()
    qs = Booking.objects.filter(booked_by=user).select_related("room__station")
    if upcoming:
        return qs.filter(ends_at__gt=now, status__in=HOLDING).order_by("starts_at")
    return qs.order_by("-starts_at")


def visible_bookings(user):
    return scoped(user, BOOKING_VIEW, Booking.objects.all()).select_related("room__station")


def booking(user, pk):
    return visible_bookings(user).filter(pk=pk).first()


def todays_bookings(user, now=None):
    """The bookings of today at the stations the user keeps (the no-shows too: who came is what they check)."""
    now = now or timezone.now()
    day = now.astimezone(LOCAL).date()
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=LOCAL)
    return (scoped(user, BOOKING_MANAGE, Booking.objects.all()).select_related("room__station")
            .filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1),
                    status__in=(*HOLDING, BookingStatus.NO_SHOW))
            .order_by("starts_at", "id"))


def pending(user):
    return (scoped(user, BOOKING_MANAGE, Booking.objects.all()).select_related("room__station")
            .filter(status=BookingStatus.PENDING).order_by("starts_at"))



def kept_stations(user):
    """The stations the user keeps: may change their status, amenities, hours and closures."""
    return scoped(user, STATION_MANAGE, Station.objects.all()).select_related("compound").order_by("name", "id")


def kept_station(user, pk, now=None):
    """(station, its closures not yet over) if the user keeps it, else None."""
    now = now or timezone.now()
    station = kept_stations(user).prefetch_related("hours").filter(pk=pk).first()
    if station is None:
        return None, []
    return station, list(Closure.objects.filter(station=station, ends_at__gt=now).order_by("starts_at"))


def station_usage(user, station_id, first, last):
    """The usage figures of a station the user keeps (usage.Usage), or None when they keep no such station."""
    from . import usage

    if not kept_stations(user).filter(pk=station_id).exists():
        return None
    return usage.count([station_id], first, last)[station_id]


# ---- feedback ----------------------------------------------------------------------------------------------

def visible_feedback(user):
    """The feedback the user may read: their own, and all of the stations they keep."""
    return scoped(user, FEEDBACK_VIEW, Feedback.objects.all()).select_related("station")


def open_feedback(user):
    """Open feedback at the stations the user keeps, oldest first: the keepers' to-do list."""
    return (scoped(user, FEEDBACK_HANDLE, Feedback.objects.all()).select_related("station")
            .filter(status=FeedbackStatus.OPEN).order_by("created_at", "id"))


def my_feedback(user, station=None):
    if not user.is_authenticated:
        return Feedback.objects.none()
    qs = Feedback.objects.filter(author=user).select_related("station")
    return qs.filter(station=station) if station is not None else qs
