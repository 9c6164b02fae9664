"""Stations on the homes: an outdoor worker's nearest open rest stations and what their 随手拍 reports earned, a
resident's bookings, the keepers' bookings of today and the feedback waiting for them."""
from django.utils import timezone

from gongzhi.accounts.policy import can
from gongzhi.dashboard.homes import Panel

from gongzhi.core.workdays import LOCAL

from . import reports, selectors
from .capability import BOOKING_MANAGE, ROOM_BOOK, STATION_USE

SHOWN = 5


def nearby(request):
    """Without the phone's position (a home is rendered on the server), from the middle of the user's beat:
    the page behind the panel's link asks the phone for its place."""
    rows = list(selectors.public_stations().filter(status="open", lat__isnull=False).prefetch_related("hours")
                .order_by("name", "id")[:SHOWN])
    opened = selectors.open_now(rows)
    return {"stations": [(s, opened[s.pk]) for s in rows]}


def my_bookings(request):
    rows = list(selectors.my_bookings(request.user)[:SHOWN + 1])
    return {"bookings": rows[:SHOWN], "more": len(rows) > SHOWN}


def today(request):
    rows = list(selectors.todays_bookings(request.user)[:SHOWN * 2 + 1])
    feedback = list(selectors.open_feedback(request.user)[:SHOWN + 1])
    return {"bookings": rows[:SHOWN * 2], "more": len(rows) > SHOWN * 2, "now": timezone.now(),
            "feedback": feedback[:SHOWN], "more_feedback": len(feedback) > SHOWN}


def my_reports(request):
    """The reports themselves and what came of them are the appeals' own panel (我的诉求); this one says what
    they earned."""
    return reports.my_reports(request.user, timezone.now().astimezone(LOCAL).year)


def _books_for_themselves(user):
    return can(user, ROOM_BOOK) and not can(user, BOOKING_MANAGE)


PANELS = (
    Panel("stations.nearby", "stations/home_nearby.html", lambda u: can(u, STATION_USE), nearby, order=2),
    Panel("stations.today", "stations/home_today.html", lambda u: can(u, BOOKING_MANAGE), today, order=20),
    Panel("stations.mine", "stations/home_mine.html", _books_for_themselves, my_bookings, order=20),
    Panel("stations.reports", "stations/home_reports.html", reports.is_rider, my_reports, order=9),
)
