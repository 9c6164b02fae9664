"""Reads of the three lists, each scoped by the user through the policy."""
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

from gongzhi.accounts.policy import acting_org_ids, scoped

from .capability import (LEDGER_VIEW, NEED_REVIEW, NEED_VIEW, PROJECT_MANAGE, PROJECT_SERVE, PROJECT_TAKE,
                         PROJECT_VIEW, REGISTRATION_REVIEW, REGISTRATION_VIEW, RESOURCE_VIEW, SERVICE_CONFIRM,
                         SERVICE_RATE, SERVICE_VIEW)
from .models import (LedgerEntry, Need, NeedStatus, Project, ProjectMode, ProjectStatus, Registration,
                     RegistrationKind, RegistrationStatus, Resource, ServiceRecord, ServiceStatus, Take)

TENTH = Decimal("0.1")


def needs(user, *, status=None):
    qs = scoped(user, NEED_VIEW, Need.objects.select_related("compound", "project")).order_by("-created_at", "-pk")
    return qs.filter(status=status) if status else qs


def my_needs(user):
    return Need.objects.filter(poster=user).select_related("compound", "project").order_by("-created_at", "-pk")


def needs_to_review(user):
    return scoped(user, NEED_REVIEW, Need.objects.filter(status=NeedStatus.OPEN).select_related("compound")) \
        .order_by("created_at", "pk")


def registrations(user, *, status=None):
    qs = scoped(user, REGISTRATION_VIEW, Registration.objects.select_related("compound", "organisation", "user"))
    qs = qs.order_by("-created_at", "-pk")
    return qs.filter(status=status) if status else qs


def registrations_to_review(user):
    return scoped(user, REGISTRATION_REVIEW, Registration.objects.filter(status=RegistrationStatus.PENDING)
                  .select_related("compound", "organisation", "user")).order_by("created_at", "pk")


def confirmed_members(user):
    """Members the user may dispatch to: confirmed registrations in the user's area."""
    return scoped(user, REGISTRATION_REVIEW, Registration.objects.filter(
        kind=RegistrationKind.MEMBER, status=RegistrationStatus.CONFIRMED, user__isnull=False))


def confirmed_units(user):
    return scoped(user, REGISTRATION_REVIEW, Registration.objects.filter(
        kind=RegistrationKind.UNIT, status=RegistrationStatus.CONFIRMED, organisation__isnull=False))


def resources(user):
    return scoped(user, RESOURCE_VIEW, Resource.objects.select_related("compound", "organisation")) \
        .order_by("-created_at", "-pk")


def projects(user, *, status=None):
    qs = scoped(user, PROJECT_VIEW, Project.objects.select_related("compound")).order_by("-created_at", "-pk")
    return qs.filter(status=status) if status else qs


def take_board(user):
    """Published projects with free places the user may take and has not taken (接单)."""
    qs = scoped(user, PROJECT_TAKE, Project.objects.filter(mode=ProjectMode.PUBLISH, status=ProjectStatus.OPEN))
    return qs.filter(taken__lt=F("places")).exclude(pk__in=Take.objects.filter(user=user).values("project_id")) \
        .select_related("compound").order_by("starts_on", "pk")


def my_projects(user):
    """Projects the user serves on: taken by them, or dispatched to a unit they act for."""
    return scoped(user, PROJECT_SERVE, Project.objects.select_related("compound")) \
        .exclude(status=ProjectStatus.CLOSED).order_by("-starts_on", "-pk")


def short_of_takers(user):
    return scoped(user, PROJECT_MANAGE, Project.objects.filter(status=ProjectStatus.OPEN, mode=ProjectMode.PUBLISH)
                  ).filter(taken__lt=F("places")).select_related("compound").order_by("starts_on", "pk")


def services(user):
    return scoped(user, SERVICE_VIEW, ServiceRecord.objects.select_related("project", "compound", "provider",
                                                                           "organisation")).order_by("-served_on", "-pk")


def services_to_confirm(user):
    return scoped(user, SERVICE_CONFIRM, ServiceRecord.objects.filter(status=ServiceStatus.RECORDED)
                  .select_related("project", "compound")).order_by("served_on", "pk")


def services_to_rate(user):
    return scoped(user, SERVICE_RATE, ServiceRecord.objects.filter(served__user=user, served__rating__isnull=True)
                  .select_related("project")).order_by("-served_on", "-pk")


def served_row(service, user):
    return service.served.filter(user=user).first()


def ledger(user):
    return scoped(user, LEDGER_VIEW, LedgerEntry.objects.select_related("person", "organisation", "service__project")) \
        .order_by("-at", "-pk")


def hours_of(*, person=None, organisation=None, year=None):
    """{year: (hours, points)} of a person or a unit: the sum of their ledger lines, corrections included."""
    qs = LedgerEntry.objects.filter(person=person) if person is not None else \
        LedgerEntry.objects.filter(organisation=organisation)
    if year is not None:
        qs = qs.filter(year=year)
    rows = qs.values("year").annotate(hours=Sum("hours"), points=Sum("points")).order_by("-year")
    return {r["year"]: (_tenths(r["hours"]), r["points"] or 0) for r in rows}


def _tenths(value):
    return Decimal(value or 0).quantize(TENTH)


def my_hours(user, year):
    """The user's own hours and points this year, their commitment, and their units' hours."""
    mine = hours_of(person=user, year=year).get(year, (_tenths(0), 0))
    reg = Registration.objects.filter(user=user, kind=RegistrationKind.MEMBER,
                                      status=RegistrationStatus.CONFIRMED).first()
    units = []
    org_ids = acting_org_ids(user)
    if org_ids:
        regs = Registration.objects.filter(kind=RegistrationKind.UNIT, status=RegistrationStatus.CONFIRMED,
                                           organisation_id__in=org_ids).select_related("organisation")
        regs = list(regs)
        totals = dict(LedgerEntry.objects.filter(organisation_id__in=[r.organisation_id for r in regs], year=year)
                      .values("organisation_id").annotate(h=Sum("hours")).values_list("organisation_id", "h"))
        units = [{"organisation": r.organisation, "hours": _tenths(totals.get(r.organisation_id))} for r in regs]
    return {"year": year, "hours": mine[0], "points": mine[1],
            "commitment": reg.commitment_hours if reg else None, "units": units}


def commitments(user, year):
    """The confirmed members in the user's area with their hours this year against their commitment."""
    regs = list(confirmed_members(user).select_related("user", "compound").order_by("compound_id", "pk"))
    totals = dict(LedgerEntry.objects.filter(person_id__in=[r.user_id for r in regs], year=year)
                  .values("person_id").annotate(h=Sum("hours")).values_list("person_id", "h"))
    return [{"registration": r, "hours": totals.get(r.user_id) or Decimal("0"),
             "met": (totals.get(r.user_id) or Decimal("0")) >= r.commitment_hours} for r in regs]


def totals_by_compound(user, year):
    """Micro-services confirmed per compound this year, in the user's area."""
    return _confirmed_totals(user, year, "compound__name")


def totals_by_community(user, year):
    """Micro-services confirmed per community this year, in the user's area (the 30-a-year count of the seed)."""
    return _confirmed_totals(user, year, "compound__community__name")


def _confirmed_totals(user, year, name):
    rows = (scoped(user, SERVICE_VIEW, ServiceRecord.objects.filter(status=ServiceStatus.CONFIRMED,
                                                                    served_on__year=year))
            .values(name).annotate(n=Count("pk"), hours=Sum("hours")).order_by(name))
    return [{"name": r[name], "n": r["n"], "hours": _tenths(r["hours"])} for r in rows]


def counts_for_desk(user):
    return {"needs": needs_to_review(user).count(), "registrations": registrations_to_review(user).count(),
            "services": services_to_confirm(user).count()}



def certificate_lines(user):
    """The user's own ledger lines, oldest first, as the certificate lists them: a credit on the day of its
    service, a correction on the day it was made."""
    entries = scoped(user, LEDGER_VIEW, LedgerEntry.objects.filter(person=user)) \
        .select_related("service__project", "compound", "reverses").order_by("pk")
    out = []
    for e in entries:
        correction = e.reverses_id is not None
        day = timezone.localtime(e.at).date() if correction or e.service is None else e.service.served_on
        # A credit from another capability has no project: its own words say what the service was.
        what = e.service.project.title if e.service else (e.reverses.reason if correction else e.reason)
        out.append({"id": e.pk, "year": e.year, "day": day, "hours": e.hours, "correction": correction,
                    "reason": e.reason, "project": what, "place": e.compound.name})
    out.sort(key=lambda line: (line["year"], line["day"], line["id"]))
    return out


def rating_summary(rating):
    """What a yearly rating's sheet states besides the grade: the year's hours of the unit (or member) and the
    services counted for it, from the ledger (a reversed credit counts for none)."""
    reg = rating.registration
    who = {"organisation_id": reg.organisation_id} if reg.kind == RegistrationKind.UNIT else {"person_id": reg.user_id}
    lines = LedgerEntry.objects.filter(year=rating.year, **who)
    hours = _tenths(lines.aggregate(h=Sum("hours"))["h"])
    services = lines.filter(reverses__isnull=True, reversed_by__isnull=True).count()
    return {"hours": hours, "services": services}


def ratings_of(user, year):
    """The confirmed registrations the user may rate, with their rating for the year (or None)."""
    from .capability import REGISTRATION_RATE
    from .models import YearlyRating

    regs = list(scoped(user, REGISTRATION_RATE, Registration.objects.filter(status=RegistrationStatus.CONFIRMED))
                .select_related("organisation", "user", "compound").order_by("kind", "compound_id", "pk"))
    given = {r.registration_id: r for r in YearlyRating.objects.filter(registration__in=regs, year=year)}
    return [{"registration": r, "rating": given.get(r.pk)} for r in regs]
