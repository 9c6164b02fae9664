"""The three lists' parts of the home (gongzhi.dashboard.homes): a resident's needs and what came of them;
a member's take-an-order board and hours; the desk's needs to review and projects short of takers."""
from django.utils import timezone

from gongzhi.accounts.policy import can
from gongzhi.dashboard.homes import Panel

from . import selectors
from .capability import NEED_POST, NEED_REVIEW, NEED_VIEW, PROJECT_SERVE, PROJECT_TAKE

SHOWN = 5


def _first(qs):
    rows = list(qs[:SHOWN + 1])
    return rows[:SHOWN], len(rows) > SHOWN


def resident(request):
    needs, more = _first(selectors.my_needs(request.user))
    to_rate = list(selectors.services_to_rate(request.user)[:SHOWN])
    return {"needs": needs, "more": more, "to_rate": to_rate}


def member(request):
    board, more = _first(selectors.take_board(request.user))
    mine = list(selectors.my_projects(request.user)[:SHOWN])
    return {"board": board, "more": more, "mine": mine,
            "hours": selectors.my_hours(request.user, timezone.localdate().year)}


def desk(request):
    needs, more = _first(selectors.needs_to_review(request.user))
    short, more_short = _first(selectors.short_of_takers(request.user))
    return {"needs": needs, "more": more, "short": short, "more_short": more_short}


def _orders_needs(user):
    """Who orders needs for themselves: may post one, and neither reads the area's needs nor takes projects."""
    return can(user, NEED_POST) and not can(user, NEED_VIEW) and not can(user, PROJECT_TAKE)


PANELS = (
    Panel("lists.desk", "lists/home_desk.html", lambda u: can(u, NEED_REVIEW), desk, order=14),
    Panel("lists.member", "lists/home_member.html", lambda u: can(u, PROJECT_TAKE) or can(u, PROJECT_SERVE),
          member, order=16),
    Panel("lists.resident", "lists/home_resident.html", _orders_needs, resident, order=18),
)
