"""Reads that only the appeal pages need: choices for selects, countdowns, labels.

Everything here is scoped through the policy module or derived from an
appeal the caller already fetched through services.get_for_action.
"""
import math

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import acting_org_ids, can, scoped
from .capability import APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_VIEW
from gongzhi.core.workdays import calendar_between, local_date, working_days_between
from gongzhi.grid.models import Building, Community, Compound
from gongzhi.orgs.models import Organisation, OrgKind

from . import workflow as wf
from .models import CLOCK_STATUSES, PhotoKind, Rating, TimeUnit
from .photos import photo_url

# Statuses in which the resolve clock runs (and a countdown makes sense).
EVENT_LABELS = {
    "submit": gettext_lazy("提交诉求"),
    "me_too": gettext_lazy("附议"),
    "remind": gettext_lazy("到期提醒"),
    "escalate": gettext_lazy("超期升级督办"),
}

# How the reporter sees the two verification actions.
REPORTER_LABELS = {
    "verify": gettext_lazy("确认已解决"),
    "reject_result": gettext_lazy("没有解决，退回重办"),
}


# ---- who is who --------------------------------------------------------------------------------


def is_staff(user):
    """Staff see the work queues and the rates: anyone who may view appeals somewhere or acts for an organisation."""
    return can(user, APPEAL_VIEW) or bool(acting_org_ids(user))


def may_use_appeals(user):
    return can(user, APPEAL_CREATE) or is_staff(user)


def queue_tabs(user):
    """(name, label) of the queues this user works, in order."""
    tabs = []
    if can(user, APPEAL_DISPATCH):
        tabs.append(("dispatch", _("待派单")))
    if acting_org_ids(user):
        tabs.append(("handle", _("待办理")))
    if can(user, APPEAL_VERIFY):
        tabs.append(("verify", _("待核查")))
    if is_staff(user):
        tabs.append(("all", _("全部")))
    tabs.append(("mine", _("我提交的") if tabs else _("我的诉求")))
    return tabs


def channels_for(user):
    """Channels a user may enter appeals through (services.staff_channels); only staff have a choice."""
    from .services import staff_channels

    return [(c.value, c.label) for c in staff_channels(user)]


# ---- places ------------------------------------------------------------------------------------


def compounds_for(user, action=APPEAL_CREATE):
    return scoped(user, action, Compound.objects.select_related("community")).order_by("community__code", "code")


def buildings_for(compound_ids):
    return Building.objects.filter(compound_id__in=compound_ids).order_by("compound_id", "code")


def communities_for(user, action):
    return scoped(user, action, Community.objects.all()).order_by("code")


def home_compound_id(user):
    """A resident's own compound, to preselect it."""
    resident = getattr(user, "resident", None)
    household = getattr(resident, "household", None) if resident else None
    if household is not None:
        return household.building.compound_id
    return None


# ---- organisations -----------------------------------------------------------------------------


def handler_choices(appeal):
    """The dispatch form's choices: exactly what the service accepts (selectors.handler_candidates)."""
    from .selectors import handler_candidates

    return handler_candidates(appeal)


def handlers_for(compounds):
    """The queue's handler filter: organisations that may be handed appeals at these compounds (those covering them,
    their communities or their sub-districts; party branches work inside their organisation and are never handed
    one), by kind and code."""
    from django.db.models import Q

    from .selectors import _BRANCHES

    if not compounds:
        return []
    serves = (Q(coverage__compound__in=[k.pk for k in compounds])
              | Q(coverage__community__in={k.community_id for k in compounds})
              | Q(coverage__subdistrict__in={k.community.subdistrict_id for k in compounds}))
    return list(Organisation.objects.filter(serves, is_active=True).exclude(kind__in=_BRANCHES).distinct()
                .order_by("kind", "code"))


def department_choices(appeal):
    """Government departments over the appeal's sub-district that the whistle may still call."""
    called = set(appeal.whistle_calls.values_list("department_id", flat=True))
    subdistrict_id = appeal.compound.community.subdistrict_id
    return [o for o in Organisation.objects.filter(is_active=True, kind=OrgKind.GOV_DEPARTMENT,
                                                   coverage__subdistrict=subdistrict_id).distinct().order_by("code")
            if o.pk not in called]


# ---- countdowns --------------------------------------------------------------------------------


def countdown(due, unit, now=None, overrides=None):
    """{'text', 'overdue', 'soon'} for a deadline; working days (or hours for hour-based deadlines) left."""
    if due is None:
        return None
    now = now or timezone.now()
    overdue = due < now
    if unit == TimeUnit.HOURS:
        hours = (due - now).total_seconds() / 3600
        if overdue:
            n = max(1, math.ceil(-hours))
            if n > 48:  # long past an hour-based deadline: days read better
                return {"text": ngettext("已超期 %(n)d 天", "已超期 %(n)d 天", n // 24) % {"n": n // 24}, "overdue": True, "soon": False}
            return {"text": ngettext("已超期 %(n)d 小时", "已超期 %(n)d 小时", n) % {"n": n}, "overdue": True, "soon": False}
        n = max(1, math.ceil(hours))
        return {"text": ngettext("剩 %(n)d 小时", "剩 %(n)d 小时", n) % {"n": n}, "overdue": False, "soon": n <= 2}
    days = working_days_between(now, due, overrides)
    if overdue:
        if days < 0:
            return {"text": ngettext("已超期 %(n)d 个工作日", "已超期 %(n)d 个工作日", -days) % {"n": -days}, "overdue": True, "soon": False}
        return {"text": _("已超期"), "overdue": True, "soon": False}
    if days == 0:
        return {"text": _("今日到期"), "overdue": False, "soon": True}
    return {"text": ngettext("剩 %(n)d 个工作日", "剩 %(n)d 个工作日", days) % {"n": days}, "overdue": False, "soon": days <= 1}


def attach_countdowns(appeals, now=None):
    """Set `.countdown` on each appeal of a page, loading the holiday calendar once."""
    now = now or timezone.now()
    running = [a for a in appeals if a.status in CLOCK_STATUSES and a.resolve_due is not None]
    for a in appeals:
        a.countdown = None
    if not running:
        return appeals
    dates = [local_date(a.resolve_due) for a in running] + [local_date(now)]
    overrides = calendar_between(min(dates), max(dates))
    for a in running:
        a.countdown = countdown(a.resolve_due, a.category.resolve_unit, now, overrides)
    return appeals


# ---- photos ------------------------------------------------------------------------------------


def photos_of(appeal):
    """({photo, thumb, full} of what was reported, of the handler's evidence of the work done), each linking
    to the photo view: the page shows them apart, the problem with the problem and the result with the answer."""
    reported, evidence = [], []
    for p in appeal.photos.all():
        (evidence if p.kind == PhotoKind.EVIDENCE else reported).append(
            {"photo": p, "thumb": photo_url(p, "thumb"), "full": photo_url(p, "full")})
    return reported, evidence


def event_label(event):
    data = event.data or {}
    if event.action == "rate" and data.get("rating") in Rating.values:
        return _("评价：%(rating)s") % {"rating": Rating(data["rating"]).label}
    if event.action in REPORTER_LABELS and data.get("by") == "reporter":
        return REPORTER_LABELS[event.action]
    t = wf.TRANSITIONS.get(event.action)
    if t is not None:
        return t.label
    return EVENT_LABELS.get(event.action, event.action)
