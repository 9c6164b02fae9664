"""Assistance's parts of the home (gongzhi.dashboard.homes): the leadership's referrals to assign and overdue
follow-ups, a case worker's cases due a visit; a grid worker's residents due a home visit; a referrer's
referrals and their broad status; an organisation's applications to decide."""
from django.utils import timezone

from gongzhi.accounts.policy import acting_org_ids, can
from gongzhi.dashboard.homes import Panel

from . import presenter, selectors
from .capability import CASE_ASSIGN, CASE_REFER, CASE_SERVE, VISIT_RECORD

SHOWN = 5


def _first(qs):
    rows = list(qs[:SHOWN + 1])
    return rows[:SHOWN], len(rows) > SHOWN


def cases(request):
    user, today = request.user, timezone.localdate()
    lead = can(user, CASE_ASSIGN)
    to_assign, more = _first(selectors.to_assign(user)) if lead else ([], False)
    due, more_due = _first(selectors.followups_due(user, today))
    return {"lead": lead, "to_assign": [presenter.list_row(c) for c in to_assign], "more": more,
            "overdue": selectors.overdue(user, today).count() if lead else 0,
            "due": [presenter.list_row(c) for c in due], "more_due": more_due, "today": today}


def visits(request):
    rows = selectors.to_visit(request.user, timezone.localdate())
    due = [r for r in rows if r["due"] <= timezone.localdate()]
    return {"rows": due[:SHOWN], "due": len(due), "total": len(rows)}


def referrals(request):
    rows, more = _first(selectors.my_referrals(request.user))
    return {"rows": [presenter.referral_row(c) for c in rows], "more": more}


def org(request):
    rows, more = _first(selectors.org_measures(request.user, open_only=True))
    return {"rows": [presenter.measure_for_org(m) for m in rows], "more": more}


def _refers_only(user):
    """Staff who refer what they notice, and neither lead nor may work cases: the property company, members."""
    return can(user, CASE_REFER) and not can(user, CASE_SERVE) and not can(user, CASE_ASSIGN)


def _grid_visitor(user):
    return can(user, VISIT_RECORD) and not can(user, CASE_ASSIGN)


def _decides(user):
    return bool(acting_org_ids(user)) and selectors.org_measures(user).exists()


PANELS = (
    Panel("care.cases", "care/home_cases.html", lambda u: can(u, CASE_ASSIGN) or can(u, CASE_SERVE), cases, order=20),
    Panel("care.visits", "care/home_visits.html", _grid_visitor, visits, order=21),
    Panel("care.referrals", "care/home_referrals.html", _refers_only, referrals, order=22),
    Panel("care.org", "care/home_org.html", _decides, org, order=23),
)
