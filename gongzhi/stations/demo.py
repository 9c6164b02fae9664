"""Stations for the demo: the 宁江新城一期二期党群驿站 with its four rooms, two more party-and-masses stations,
the two 暖锋驿站 (one open, one opening soon) and rest stations around Xingning kept by shops, banks and
petrol stations, a month of bookings behind and a week ahead (those past checked in by their QR code, or, one in
eight, released as no-shows), and a month of QR visits at the open stations, most of them anonymous, some by
rider1. rider1's beat becomes the sub-district. Everything goes through the services with the timeline muted;
the random stream is its own (the seed + 4)."""
import datetime
import math
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.core import timeline
from gongzhi.core.geometry import nearest
from gongzhi.core.workdays import LOCAL
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Organisation, OrgKind

from django.db import transaction

from . import activity_demo, selectors, services
from .models import Booking, BookingStatus, Kind, Room, RoomReach, Station, Status

T = datetime.time
DAILY = "daily"
WEEKDAYS = range(7)

# name, (east, north) of 宁江新城一期's centre in km, status, amenities, hours: (weekdays, opens, closes)
REST = [
    ("暖锋驿站（宁江新城）", (0.25, -0.15), Status.OPEN,
     ("seats", "water", "charging", "microwave", "toilet", "first_aid", "climate", "wifi"), (WEEKDAYS, T(0), T(0))),
    ("暖锋驿站（福兴路）", (1.40, -0.60), Status.SOON, ("seats", "water", "charging", "toilet", "first_aid"),
     (WEEKDAYS, T(7), T(23))),
    ("中国石化兴宁福兴加油站爱心驿站", (-1.60, 0.90), Status.OPEN, ("seats", "water", "charging", "toilet"),
     (WEEKDAYS, T(0), T(0))),
    ("兴宁农商银行新城支行劳动者港湾", (0.60, 0.70), Status.OPEN, ("seats", "water", "microwave", "climate", "wifi"),
     (range(5), T(8, 30), T(17, 30))),
    ("兴宁市人民医院门口骑手之家", (2.30, 1.40), Status.OPEN, ("seats", "water", "charging", "first_aid"),
     (WEEKDAYS, T(20), T(8))),
    ("神光山公园户外劳动者驿站", (-2.80, 2.10), Status.OPEN, ("seats", "water", "toilet"), (WEEKDAYS, T(6), T(22))),
    ("兴宁汽车站司机休息室", (3.10, -1.20), Status.OPEN, ("seats", "water", "charging", "toilet", "climate"),
     (WEEKDAYS, T(5, 30), T(23, 30))),
    ("城南市场快递员驿站", (1.10, -2.40), Status.PLANNED, ("seats", "water", "charging"), (WEEKDAYS, T(8), T(20))),
]
PARTY = [
    ("宁江新城一期二期党群驿站", 0, (0.30, 0.10), (0, 1), "community_office"),
    ("江南明珠花园党群驿站", 3, (0.0, 0.05), (3,), "community_office"),
    ("福兴雅苑党群驿站", 5, (0.05, 0.0), (5,), "community_office"),
]
ROOMS = [("活动室", 40, 180, False), ("棋牌室", 8, 120, False), ("阅览室", 20, 240, False), ("议事厅", 15, 120, True)]
PURPOSES = ["楼栋议事会", "象棋对弈", "亲子阅读", "老年合唱排练", "业主代表座谈", "党员学习", "书法练习"]
BOOKED_DAYS = range(-30, 8)  # from a month back to a week ahead
NO_SHOW_SHARE = 0.125
VISIT_DAYS = 30
# Visits a day: a rest station on a main road sees more than a party-and-masses station in a compound.
VISITS_A_DAY = {Kind.REST: (4, 14), Kind.PARTY: (2, 8)}
# When outdoor workers stop: lunch and the evening rush (hours not listed weigh 1).
HOUR_WEIGHTS = {7: 2, 8: 2, 11: 4, 12: 5, 13: 4, 14: 2, 17: 3, 18: 4, 19: 4, 20: 3, 21: 2}


def _at(base_lat, base_lng, east_km, north_km):
    lat = float(base_lat) + north_km / 111.0
    lng = float(base_lng) + east_km / (111.32 * math.cos(math.radians(float(base_lat))))
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _hours(days, opens, closes):
    return [(d, opens, closes) for d in days]


def load_stations(plan):
    rng = random.Random(plan.seed + 4)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(
        username__in=["community_worker", "resident1", "resident2", "rider1", "member1"])}
    compounds = list(Compound.objects.order_by("code"))
    if "community_worker" not in users or not compounds or Station.objects.exists():
        return {"stations": 0}
    worker = users["community_worker"]
    office = Organisation.objects.filter(kind=OrgKind.COMMUNITY_OFFICE).order_by("pk").first()
    base = compounds[0]
    centres = [(k, k.center_lat, k.center_lng) for k in compounds]
    made = 0
    with timeline.muted():
        for name, ci, (east, north), served, _keeper in PARTY:
            k = compounds[ci]
            lat, lng = _at(k.center_lat, k.center_lng, east, north)
            station = services.station_create(
                user=worker, compound_id=k.pk, name=name, kind=Kind.PARTY, status=Status.OPEN, lat=lat, lng=lng,
                address=f"{k.name}会所一楼", keeper_id=office.pk if office else None, closed_on_holidays=True,
                amenities=("seats", "water", "toilet", "climate", "wifi"),
                hours=_hours(range(6), T(8, 30), T(21, 30)) + _hours([6], T(9), T(17)))
            made += 1
            for rname, capacity, max_minutes, approval in (ROOMS if ci == 0 else ROOMS[:2]):
                room = Room.objects.create(station=station, name=rname, capacity=capacity, max_minutes=max_minutes,
                                           horizon_days=14, needs_approval=approval)
                for si in served:
                    RoomReach.objects.create(room=room, compound=compounds[si])
        for name, (east, north), status, amenities, (days, opens, closes) in REST:
            lat, lng = _at(base.center_lat, base.center_lng, east, north)
            _d, home = nearest(float(lat), float(lng), centres)
            services.station_create(user=worker, compound_id=home.pk, name=name, kind=Kind.REST, status=status,
                                    lat=lat, lng=lng, address="", amenities=amenities,
                                    hours=_hours(days, opens, closes))
            made += 1
        _bookings(rng, users, compounds)
        _visits(rng, users)
        activity_demo.load_activities(random.Random(plan.seed + 5), users, worker)  # a month of them, its own stream
    rider = users.get("rider1")
    if rider is not None and base.community_id:
        # An outdoor worker's beat: the sub-district, where their home finds the stations on their way.
        RoleAssignment.objects.filter(user=rider, role=Role.OUTDOOR_WORKER).update(
            subdistrict_id=base.community.subdistrict_id)
    return {"stations": made}


def _bookings(rng, users, compounds):
    bookers = [users[u] for u in ("resident1", "resident2", "member1") if u in users]
    rooms = list(Room.objects.filter(station__name="宁江新城一期二期党群驿站").order_by("id"))
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    for offset in BOOKED_DAYS:
        day = today + datetime.timedelta(days=offset)
        for room in rooms:
            for hour in (9, 14, 19):
                if rng.random() < 0.55:
                    continue
                start = datetime.datetime.combine(day, T(hour), tzinfo=LOCAL)
                minutes = min(room.max_minutes, rng.choice([60, 90, 120]))
                booker = rng.choice(bookers)
                try:
                    services.booking_create(
                        user=booker, room_id=room.pk, starts_at=start,
                        ends_at=start + datetime.timedelta(minutes=minutes), attendees=rng.randint(2, room.capacity),
                        purpose=rng.choice(PURPOSES), now=min(now, start - datetime.timedelta(days=2)))
                except ValidationError:  # Sunday evening past closing, a holiday: not booked
                    continue
    _settle(rng, now)


def _settle(rng, now):
    """The bookings that have started are checked in to by their booker at the door (from ten minutes before to
    ten after the start), or are no-shows the sweep released; one still within its grace time is left open."""
    grace = selectors.no_show_grace()
    started = (Booking.objects.filter(status=BookingStatus.CONFIRMED, starts_at__lte=now)
               .select_related("booked_by").order_by("starts_at", "id"))
    for b in started:
        if rng.random() < NO_SHOW_SHARE:
            if b.starts_at + grace <= now:
                with transaction.atomic():
                    services.release_no_show(b.pk, b.starts_at + grace)
            continue
        at = b.starts_at + datetime.timedelta(minutes=rng.randint(-10, 10))
        if at <= now:
            services.booking_check_in(user=b.booked_by, room_id=b.room_id, now=at)


def _visits(rng, users):
    """A month of QR visits at the open stations, within their opening hours, most of them anonymous; rider1
    stops at the rest stations now and then, signed in."""
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    rider = users.get("rider1")
    stations = list(Station.objects.filter(status=Status.OPEN).prefetch_related("hours").order_by("name", "id"))
    for offset in range(-VISIT_DAYS, 1):
        day = today + datetime.timedelta(days=offset)
        for station in stations:
            hours = []  # (start of an open stretch within one hour, its end, weight)
            for a, b in selectors.open_spans_of(station, day, day):
                while a < b:
                    edge = min(b, a.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1), now)
                    if edge - a >= datetime.timedelta(minutes=1):
                        hours.append((a, edge, HOUR_WEIGHTS.get(a.astimezone(LOCAL).hour, 1)))
                    a = edge if edge > a else b
            if not hours:
                continue
            low, high = VISITS_A_DAY[station.kind]
            moments = []
            for a, b, _w in rng.choices(hours, weights=[w for _a, _b, w in hours], k=rng.randint(low, high)):
                moments.append(a + datetime.timedelta(seconds=rng.randrange(int((b - a).total_seconds()))))
            for moment in sorted(moments):
                signed = rider is not None and station.kind == Kind.REST and rng.random() < 0.1
                services.visit_record(user=rider if signed else None, station_id=station.pk, now=moment)
