"""随手拍: outdoor workers report what they see on their routes (a missing manhole cover, a broken street light).

A report is an appeal like any other, filed from the phone intake page (/appeals/new/) with a photo and the
phone's position: an outdoor worker may file appeals over their beat (appeals' declaration), reads their own as
its reporter and sees what came of them on their home. What stations adds is the reward: a report that was
confirmed earns its reporter points in the three lists' service ledger, once per appeal.

Confirmed means verified (核查通过): the handling organisation resolved it, so the problem was real and dealt
with, and the grid worker, the desk or the reporter confirmed the result. A report refused (不予受理, a
duplicate), withdrawn or still in hand earns nothing; one reopened and verified again is not paid twice (the
ledger keeps one line per source). The credit is written in the verifying transaction, so it stands or falls
with the verification.

The appeals app knows nothing of this: stations listens to the appeals' timeline rows being written (each
workflow step writes exactly one, appeals.services._event), and reads the ledger through lists.services.
"""
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can
from gongzhi.core.workdays import LOCAL

from .capability import STATION_USE

SOURCE_PREFIX = "appeals.report:"
TITLE_SHOWN = 60
SHOWN = 5


def points_per_report():
    return getattr(settings, "STATIONS_REPORT_POINTS", 5)


def source_of(appeal_id):
    return f"{SOURCE_PREFIX}{appeal_id}"


def is_rider(user):
    """An outdoor worker with a beat: whose reports are 随手拍."""
    return user is not None and user.is_active and can(user, STATION_USE)


def credit_confirmed_report(event):
    """Credit the reporter of an appeal that has just been verified, if an outdoor worker reported it.
    Returns the ledger line, or None (not a rider's report, not a verification, or credited already)."""
    from gongzhi.appeals.models import Status
    from gongzhi.lists.services import ledger_credit

    if event.to_status != Status.VERIFIED:
        return None
    appeal = event.appeal
    reporter = appeal.reporter
    if reporter is None or not is_rider(reporter):
        return None
    with translation.override(settings.LANGUAGE_CODE):  # a ledger line is kept in the site's language
        reason = _("随手拍：%(title)s") % {"title": appeal.title[:TITLE_SHOWN]}
    return ledger_credit(
        person=reporter, hours=Decimal("0"), points=points_per_report(),
        year=event.at.astimezone(LOCAL).year, compound_id=appeal.compound_id, building_id=appeal.building_id,
        source=source_of(appeal.pk), reason=reason, by=event.actor)


def on_appeal_event(sender, instance, created, raw=False, **kwargs):
    """post_save of appeals.AppealEvent (connected in StationsConfig.ready)."""
    if created and not raw:
        credit_confirmed_report(instance)


def my_reports(user, year):
    """What the user's reports earned this year: the points (corrections netted), how many reports were
    credited, and the latest credits, each with the appeal it was for. Two queries."""
    from gongzhi.lists.models import LedgerEntry

    lines = LedgerEntry.objects.filter(person=user, year=year, source__startswith=SOURCE_PREFIX)
    totals = lines.aggregate(points=Sum("points"), credited=Count("pk", filter=Q(reverses__isnull=True)))
    latest = list(lines.filter(reverses__isnull=True).order_by("-at", "-pk")[:SHOWN])
    for line in latest:
        line.appeal_id = int(line.source[len(SOURCE_PREFIX):])
    return {"points": totals["points"] or 0, "credited": totals["credited"], "lines": latest,
            "per_report": points_per_report()}
