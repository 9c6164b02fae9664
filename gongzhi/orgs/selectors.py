"""Reads of organisations, their coverage and members, scoped by the asking user."""
import datetime

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.accounts.policy import scoped
from .capability import ORG_VIEW
from gongzhi.grid.models import LEVELS

from .models import Coverage, Membership, Organisation

COVERAGE_RELATED = ("subdistrict", "community", "compound", "building__compound", "household")


def current_q(today=None, prefix=""):
    """Memberships whose term has started (or has no start) and has not ended."""
    today = today or timezone.localdate()
    return ((Q(**{f"{prefix}term_start__isnull": True}) | Q(**{f"{prefix}term_start__lte": today}))
            & (Q(**{f"{prefix}term_end__isnull": True}) | Q(**{f"{prefix}term_end__gte": today})))


def organisations_for(user, *, kind=None, q=""):
    qs = scoped(user, ORG_VIEW, Organisation.objects.all())
    if kind:
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code=q))
    return qs.annotate(
        member_count=Count("memberships", filter=current_q(prefix="memberships__"), distinct=True),
    ).order_by("kind", "code")


def coverage_of(organisation):
    """The grid nodes an organisation serves, deepest level last, with their names loaded."""
    rows = list(Coverage.objects.filter(organisation=organisation).select_related(*COVERAGE_RELATED))
    return sorted(rows, key=lambda c: (LEVELS.index(c.node_level), c.node_id))


def is_current(m, today=None):
    today = today or timezone.localdate()
    return (m.term_start is None or m.term_start <= today) and (m.term_end is None or m.term_end >= today)


def members_of(organisation):
    """All posts in the organisation: current ones first, then by start of term; each marked `current`."""
    today = timezone.localdate()
    members = list(Membership.objects.filter(organisation=organisation).order_by("id"))
    for m in members:
        m.current = is_current(m, today)
    return sorted(members, key=lambda m: (not m.current, m.term_start or datetime.date.min, m.pk))
