"""Appeals' parts of each person's home (gongzhi.dashboard.homes): the desk's counts and this month's rates, a
handler's queue most urgent first, what a grid worker must verify and their patrol reports, a resident's own
appeals. Registered in AppealsConfig.ready()."""
import datetime

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.accounts.policy import acting_org_ids, can, scoped
from gongzhi.core.workdays import LOCAL, local_date
from gongzhi.dashboard.homes import Panel

from . import page_queries as pq
from . import rates
from . import workflow as wf
from gongzhi.accounts.capability import CALENDAR_MANAGE
from gongzhi.core.models import CalendarDay
from gongzhi.orgs.models import OrgKind

from .capability import APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_OVERSEE, APPEAL_VERIFY, APPEAL_WHISTLE
from .models import OPEN_STATUSES, Appeal, Channel, Status
from .selectors import DISPATCH_STATUSES, HANDLER_STATUSES, LIST_RELATED, due_today, overdue, visible_appeals

SHOWN = 5


def _month_start(now):
    day = local_date(now)
    return datetime.datetime(day.year, day.month, 1, tzinfo=LOCAL)


def _urgent_first(qs, now):
    """The most urgent first: the longest overdue, then the soonest due."""
    return pq.attach_countdowns(list(qs.select_related(*LIST_RELATED).order_by("resolve_due", "id")[:SHOWN]), now)


def desk(request):
    user, now = request.user, timezone.now()
    scope = scoped(user, APPEAL_DISPATCH, Appeal.objects.all())
    counts = scope.aggregate(
        to_dispatch=Count("id", filter=Q(status__in=DISPATCH_STATUSES)),
        overdue=Count("id", filter=overdue(now)),
        due_today=Count("id", filter=due_today(now)),
        returned=Count("id", filter=Q(status=Status.RETURNED)),
        to_verify=Count("id", filter=Q(status=Status.RESOLVED)),
    )
    month = rates.totals(rates.three_rates(rates.period_filter(visible_appeals(user), _month_start(now)), "community"))
    return {"counts": counts, "rates": month,
            "urgent": _urgent_first(scope.filter(overdue(now)), now)}


def handler(request):
    user, now = request.user, timezone.now()
    mine = Appeal.objects.filter(handler_id__in=acting_org_ids(user) or [0], status__in=HANDLER_STATUSES)
    counts = mine.aggregate(open=Count("id"), overdue=Count("id", filter=overdue(now)))
    return {"counts": counts, "urgent": _urgent_first(mine, now)}


def verifier(request):
    user, now = request.user, timezone.now()
    to_verify = scoped(user, APPEAL_VERIFY, Appeal.objects.filter(status=Status.RESOLVED))
    patrols = (Appeal.objects.filter(entered_by=user, channel=Channel.PATROL).select_related(*LIST_RELATED)
               .order_by("-id")[:SHOWN])
    return {"count": to_verify.count(), "to_verify": _urgent_first(to_verify, now),
            "patrols": pq.attach_countdowns(list(patrols), now)}


def reporter(request):
    user, now = request.user, timezone.now()
    mine = Appeal.objects.filter(reporter_id=user.pk).select_related(*LIST_RELATED).order_by("-id")
    appeals = pq.attach_countdowns(list(mine[:SHOWN]), now)
    for a in appeals:  # all theirs: the reporter's row of the transition table says, no query
        a.may_withdraw = "withdraw" in wf.allowed_actions(a.status, {wf.REPORTER})
    return {"appeals": appeals, "more": mine[SHOWN:SHOWN + 1].exists()}


def _calendar_reminder(user, now):
    """From November on, the next year when its holidays and adjusted working days are not in the calendar yet:
    deadlines would count its holidays as working days."""
    day = local_date(now)
    if day.month < 11 or not can(user, CALENDAR_MANAGE):
        return None
    return None if CalendarDay.objects.filter(date__year=day.year + 1).exists() else day.year + 1


def _open_and_overdue(now):
    return dict(open=Count("id", filter=Q(status__in=OPEN_STATUSES)), overdue=Count("id", filter=overdue(now)))


def subdistrict(request):
    """Each community side by side: open and overdue now, this month's three rates."""
    user, now = request.user, timezone.now()
    scope = scoped(user, APPEAL_WHISTLE, Appeal.objects.all())
    month = {r["key"]: r for r in rates.three_rates(rates.period_filter(scope, _month_start(now)), "community")}
    rows = []
    for r in (scope.order_by().values("compound__community_id", "compound__community__name")
              .annotate(**_open_and_overdue(now)).order_by("compound__community__name")):
        rates_now = month.get(r["compound__community_id"]) or {}
        rows.append({"name": r["compound__community__name"], "open": r["open"], "overdue": r["overdue"],
                     **{k: rates_now.get(k) for k in ("response_rate", "resolution_rate", "satisfaction_rate")}})
    return {"rows": rows, "calendar_year": _calendar_reminder(user, now)}


def oversight(request):
    """The owners' committee: how the property company handles its compound's appeals, in numbers only."""
    user, now = request.user, timezone.now()
    scope = scoped(user, APPEAL_OVERSEE, Appeal.objects.filter(handler__kind=OrgKind.PROPERTY_COMPANY))
    counts = scope.aggregate(**_open_and_overdue(now))
    return {"counts": counts, "rows": rates.three_rates(rates.period_filter(scope, _month_start(now)), "handler")}


PANELS = (
    Panel("appeals.desk", "appeals/home/desk.html", lambda u: can(u, APPEAL_DISPATCH), desk, order=10),
    Panel("appeals.handler", "appeals/home/handler.html", lambda u: bool(acting_org_ids(u)), handler, order=20),
    Panel("appeals.verify", "appeals/home/verify.html",
          lambda u: can(u, APPEAL_VERIFY) and not can(u, APPEAL_DISPATCH), verifier, order=30),
    Panel("appeals.subdistrict", "appeals/home/subdistrict.html", lambda u: can(u, APPEAL_WHISTLE), subdistrict,
          order=5),
    Panel("appeals.oversight", "appeals/home/oversight.html", lambda u: can(u, APPEAL_OVERSEE), oversight, order=15),
    Panel("appeals.mine", "appeals/home/mine.html", lambda u: can(u, APPEAL_CREATE) and not pq.is_staff(u),
          reporter, order=10),
)
