"""The deadline watch: remind handlers before the resolve deadline, escalate up the grid after it.

Run by the background worker every few minutes (tasks.watch_deadlines
re-enqueues itself), and callable directly. Each reminder and escalation
is a timeline row, so it is done at most once per level.
"""
import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import add_working_days

from .models import Appeal, HandlerLevel, Status
from .services import _event

# Statuses in which the clock runs for the handler.
RUNNING = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED,
           Status.REOPENED, Status.EXTENSION_REQUESTED)
NEXT_LEVEL = {HandlerLevel.COMPOUND: HandlerLevel.COMMUNITY, HandlerLevel.COMMUNITY: HandlerLevel.SUBDISTRICT}


def watch_deadlines(now=None):
    """Returns (reminded, escalated) counts."""
    now = now or timezone.now()
    remind_before = now + datetime.timedelta(hours=settings.APPEAL_REMIND_HOURS)
    reminded = escalated = 0
    for pk in (Appeal.objects.filter(status__in=RUNNING, reminded_at__isnull=True, resolve_due__lte=remind_before,
                                     resolve_due__gt=now).values_list("pk", flat=True)[:1000]):
        reminded += _remind(pk, now)
    for pk in (Appeal.objects.filter(status__in=RUNNING, resolve_due__lte=now)
               .exclude(escalation_level=HandlerLevel.SUBDISTRICT).values_list("pk", flat=True)[:1000]):
        escalated += _escalate(pk, now)
    return reminded, escalated


@transaction.atomic
def _remind(pk, now):
    changed = Appeal.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now)
    if not changed:
        return 0
    appeal = Appeal.objects.get(pk=pk)
    _event(appeal, None, "remind", "", "", note=_("距离办结时限不足 %d 小时") % settings.APPEAL_REMIND_HOURS,
           organisation=appeal.handler, data={"resolve_due": appeal.resolve_due.isoformat()}, at=now)
    return 1


@transaction.atomic
def _escalate(pk, now):
    appeal = Appeal.objects.select_for_update().filter(pk=pk).first()
    if appeal is None or appeal.status not in RUNNING or appeal.escalation_level == HandlerLevel.SUBDISTRICT:
        return 0
    # The first escalation comes at the deadline; each further one after more overdue working days.
    if appeal.escalated_at is not None:
        if add_working_days(appeal.escalated_at, settings.APPEAL_ESCALATE_AGAIN_WD) > now:
            return 0
    level = NEXT_LEVEL[appeal.escalation_level]
    Appeal.objects.filter(pk=pk).update(escalation_level=level, escalated_at=now, version=F("version") + 1,
                                        updated_at=now)
    appeal.refresh_from_db()
    _event(appeal, None, "escalate", "", "", note=_("已超过办结时限，升级至%s督办") % HandlerLevel(level).label,
           data={"level": level}, at=now)
    audit(AuditAction.UPDATE, obj=appeal, detail="escalate", changes={"escalation_level": [None, level]})
    return 1
