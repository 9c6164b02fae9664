"""The three rates (三率) of appeals, with the definitions shown next to them.

Counted over appeals received in the period (created_at within it) that
the asking user may see, grouped by handler, compound, community or
category. Each rate is a fraction with its numerator and denominator, so a
reader can check it; None when there is nothing to count.
"""
import datetime

from django.db.models import Case, Count, F, IntegerField, Q, When
from django.utils.translation import gettext_lazy as _

from .models import Rating, Status

DEFINITIONS = {
    "response_rate": _("响应率 = 在响应时限内接单或答复的诉求数 ÷ 已派单的诉求数"),
    "resolution_rate": _("解决率 = 已办结且居民未评价“不满意”的诉求数 ÷ 受理的诉求数（不含不予受理和居民撤回的）"),
    "satisfaction_rate": _("满意率 = 评价为“满意”或“基本满意”的诉求数 ÷ 已评价的诉求数"),
}
GROUPS = {
    "handler": ("handler_id", "handler__name"),
    "compound": ("compound_id", "compound__name"),
    "community": ("compound__community_id", "compound__community__name"),
    "category": ("category_id", "category__name"),
}
_DONE = (Status.RESOLVED, Status.VERIFIED, Status.CLOSED)
# Never taken up: refused by the desk, or taken back by the reporter before anyone accepted it. A withdrawn
# appeal is never dispatched nor rated (workflow: withdraw only from SUBMITTED), so the other two rates leave
# it out by their own definitions.
_NOT_TAKEN_UP = (Status.REJECTED, Status.WITHDRAWN)


def _ratio(num, den):
    return {"numerator": num, "denominator": den, "rate": round(num / den, 4) if den else None}


def three_rates(queryset, group_by="handler"):
    if group_by not in GROUPS:
        raise ValueError(group_by)
    key, label = GROUPS[group_by]
    rows = (queryset.order_by().values(key, label)
            .annotate(
                total=Count("id"),
                dispatched=Count("id", filter=Q(handler__isnull=False)),
                responded=Count("id", filter=Q(responded_at__isnull=False, responded_at__lte=F("respond_due"))),
                accepted=Count("id", filter=~Q(status__in=_NOT_TAKEN_UP)),
                resolved=Count("id", filter=Q(status__in=_DONE) & ~Q(rating=Rating.UNSATISFIED)),
                rated=Count("id", filter=~Q(rating="")),
                satisfied=Count("id", filter=Q(rating__in=(Rating.SATISFIED, Rating.BASICALLY))),
                overdue=Count(Case(When(resolved_at__gt=F("resolve_due"), then=1), output_field=IntegerField())),
            ).order_by(label))
    out = []
    for r in rows:
        out.append({
            "key": r[key], "name": r[label] or "—", "total": r["total"], "overdue": r["overdue"],
            "response_rate": _ratio(r["responded"], r["dispatched"]),
            "resolution_rate": _ratio(r["resolved"], r["accepted"]),
            "satisfaction_rate": _ratio(r["satisfied"], r["rated"]),
        })
    return out


def totals(rows):
    """The rates over every row of three_rates(): each fraction's numerators and denominators summed."""
    out = {"total": sum(r["total"] for r in rows), "overdue": sum(r["overdue"] for r in rows)}
    for key in ("response_rate", "resolution_rate", "satisfaction_rate"):
        out[key] = _ratio(sum(r[key]["numerator"] for r in rows), sum(r[key]["denominator"] for r in rows))
    return out


# Before and after any appeal: the bound a period open at one end gets.
_EARLIEST = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime(9999, 12, 31, tzinfo=datetime.timezone.utc)


def period_filter(queryset, start=None, end=None):
    """Received from start (inclusive) to end (exclusive); either may be open.

    A period open at one end is still bounded at both: given one bound, SQLite's planner guesses a quarter
    of the table and may walk the grouping column's index over every appeal instead (2 s for a month among
    a million); given two, it reads the created_at index for the range.
    """
    if start or end:
        queryset = queryset.filter(created_at__gte=start or _EARLIEST, created_at__lt=end or _LATEST)
    return queryset
