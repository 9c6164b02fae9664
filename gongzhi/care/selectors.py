"""Reads of assistance cases and home visits, always scoped by the asking user through the policy."""
import datetime

from django.conf import settings
from django.db.models import Count, Max

from gongzhi.accounts.policy import can, holds_by_place, scoped, users_with
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.people.models import Resident
from gongzhi.people.presenter import tag_choices

from .capability import (CASE_ASSIGN, CASE_COUNT, CASE_SERVE, CASE_STATUS, CASE_VIEW, CASE_WORK, MEASURE_DECIDE,
                         VISIT_VIEW)
from .models import Case, CareVisit, Measure, Stage

CASE_RELATED = ("compound__community", "building", "household", "applicant")

# How often a resident carrying a care tag is visited (days); the shortest of their tags' intervals counts.
VISIT_EVERY = {"elderly_alone": 7, "extreme_poverty": 14, "left_behind_child": 14, "empty_nest": 14,
               "disabled": 30, "dibao": 30}


def threshold():
    return getattr(settings, "CARE_COUNT_THRESHOLD", 5)


def cases(user, *, action=CASE_VIEW, stage="", q=""):
    qs = scoped(user, action, Case.objects.select_related(*CASE_RELATED))
    if stage:
        qs = qs.filter(stage=stage)
    q = (q or "").strip()
    if q:
        number = q.upper().removeprefix("BF")
        qs = qs.filter(pk=int(number)) if number.isdigit() else qs.filter(applicant__name__contains=q)
    return qs.order_by("-referred_at", "-id")


def my_cases(user):
    return scoped(user, CASE_WORK, Case.objects.select_related(*CASE_RELATED)).filter(
        stage__in=(Stage.VERIFYING, Stage.OPEN)).order_by("next_followup_on", "-referred_at")


def my_referrals(user):
    return scoped(user, CASE_STATUS, Case.objects.select_related("compound", "household")).filter(
        referred_by=user).order_by("-referred_at", "-id")


def to_assign(user):
    return scoped(user, CASE_ASSIGN, Case.objects.select_related(*CASE_RELATED)).filter(
        stage=Stage.REFERRED).order_by("referred_at", "id")


def overdue(user, today=None):
    today = today or datetime.date.today()
    return scoped(user, CASE_VIEW, Case.objects.select_related(*CASE_RELATED)).filter(
        stage=Stage.OPEN, next_followup_on__lt=today).order_by("next_followup_on")


def followups_due(user, today=None):
    today = today or datetime.date.today()
    return my_cases(user).filter(stage=Stage.OPEN, next_followup_on__lte=today)


def candidates(case):
    """Who may be assigned to the case: the community and grid workers of its place."""
    return users_with(CASE_SERVE, case).order_by("username")


def org_measures(user, *, open_only=False):
    qs = scoped(user, MEASURE_DECIDE, Measure.objects.select_related("compound", "organisation")).filter(
        organisation__isnull=False)
    if open_only:
        qs = qs.filter(outcome__in=("planned", "in_progress"))
    return qs.order_by("-started_on", "-id")


def counts(user):
    """Open cases per compound of the user's place. Below the threshold a count is shown as such ("fewer than
    5") to anyone who may not read the cases there: a small number points at a family."""
    rows = (scoped(user, CASE_COUNT, Case.objects.filter(stage=Stage.OPEN)).values("compound", "compound__name")
            .annotate(n=Count("id")).order_by("compound__name"))
    limit = threshold()
    out = []
    for row in rows:
        exact = holds_by_place(user, CASE_VIEW, Case(compound_id=row["compound"]))
        out.append({"compound": row["compound__name"], "n": row["n"] if exact or row["n"] >= limit else None,
                    "below": limit})
    return out


# ---- home visits ----------------------------------------------------------------------------------------------

def visit_tags(user):
    """The care tags the user may see (sensitive ones only where they may) that call for visits."""
    return list(tag_choices(user).filter(code__in=VISIT_EVERY))


def to_visit(user, today=None, *, compound=None):
    """Residents with care tags in the user's grid, the most overdue first: (resident, tags, last, due)."""
    today = today or datetime.date.today()
    if not can(user, VISIT_VIEW):
        return []
    tags = visit_tags(user)
    if not tags:
        return []
    qs = scoped(user, RESIDENT_VIEW, Resident.objects.filter(tags__in=tags).distinct()
                .select_related("household__building__compound"))
    if compound is not None:
        qs = qs.filter(household__building__compound_id=compound)
    qs = qs.annotate(last_visit=Max("care_visits__visited_on"))
    visible = {t.pk for t in tags}
    rows = []
    for r in qs.prefetch_related("tags"):
        home = r.household
        probe = CareVisit(compound=home.building.compound, building_id=home.building_id, household_id=home.pk)
        if not holds_by_place(user, VISIT_VIEW, probe):  # a resident the user reads, but does not visit
            continue
        own = [t for t in r.tags.all() if t.pk in visible]
        every = min(VISIT_EVERY[t.code] for t in own)
        due = r.last_visit + datetime.timedelta(days=every) if r.last_visit else today
        rows.append({"resident": r, "tags": own, "last": r.last_visit, "every": every, "due": due,
                     "overdue": due < today})
    rows.sort(key=lambda x: (x["due"], x["resident"].pk))
    return rows


def coverage(user, today=None):
    """Per compound: residents with care tags, and how many were visited within their interval."""
    today = today or datetime.date.today()
    by_compound = {}
    for row in to_visit(user, today):
        k = row["resident"].household.building.compound
        c = by_compound.setdefault(k.pk, {"compound": k.name, "tagged": 0, "covered": 0})
        c["tagged"] += 1
        c["covered"] += row["due"] >= today and row["last"] is not None
    out = sorted(by_compound.values(), key=lambda c: c["compound"])
    for c in out:
        c["percent"] = round(100 * c["covered"] / c["tagged"]) if c["tagged"] else 0
    return out


def visits(user):
    return scoped(user, VISIT_VIEW, CareVisit.objects.select_related("resident", "compound", "visited_by")) \
        .order_by("-visited_on", "-id")
