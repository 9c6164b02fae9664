"""Per-user choices of how each kind of event arrives: at once (inbox and e-mail, or inbox only), in the daily
digest, or not at all.

The kinds, their labels, defaults and which of them are mandatory come from the registered timeline sources
(core.timeline.Source.kinds): nothing here names a capability's action. A user's row exists only where they
chose other than the default.
"""
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import User
from gongzhi.core import timeline
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .models import NotificationPreference

DELIVERY_LABELS = {
    timeline.INSTANT: gettext_lazy("立即（站内+邮件）"),
    timeline.INBOX: gettext_lazy("立即（仅站内）"),
    timeline.DIGEST: gettext_lazy("每日汇总"),
    timeline.OFF: gettext_lazy("关闭"),
}


class Choice(NamedTuple):
    source: str
    action: str
    kind: timeline.Kind
    delivery: str

    @property
    def key(self):
        return f"{self.source}.{self.action}"

    @property
    def allowed(self):
        return [d for d in timeline.DELIVERIES if self.kind.allows(d)]


def catalogue():
    """[(source label, action, Kind)] of every kind someone may hear of, in the sources' order."""
    out = []
    for source in timeline.sources():
        for action in (source.kinds or source.actions):
            out.append((source.label, action, source.kind(action)))
    return out


def _kind(source_label, action):
    try:
        source = timeline.source(source_label)
    except KeyError:
        return None
    if action not in (source.kinds or source.actions):
        return None
    return source.kind(action)


def choices_of(user):
    """Every kind with how this user hears of it (their choice, else the source's default)."""
    chosen = {(s, a): d for s, a, d in NotificationPreference.objects.filter(user_id=user.pk)
              .values_list("source", "action", "delivery")}
    out = []
    for label, action, kind in catalogue():
        delivery = chosen.get((label, action), kind.default)
        if not kind.allows(delivery):  # a kind made mandatory after the user switched it off
            delivery = kind.default
        out.append(Choice(label, action, kind, delivery))
    return out


def deliveries(user_ids, source):
    """{(user id, action): delivery} for a source's events to these users: one query for a batch."""
    chosen = {}
    if user_ids:
        for uid, action, delivery in (NotificationPreference.objects.filter(user_id__in=user_ids, source=source.label)
                                      .values_list("user_id", "action", "delivery")):
            chosen[(uid, action)] = delivery
    return chosen


def delivery_for(chosen, source, uid, action):
    """How one user hears of one event: their choice where the kind still allows it, else the default."""
    kind = source.kind(action)
    delivery = chosen.get((uid, action), kind.default)
    return delivery if kind.allows(delivery) else kind.default


def _parse(items):
    """[(source, action, delivery)] from [{"source", "action", "delivery"}], or a ValidationError naming each
    item that is not a known kind set to a way it may arrive."""
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError({"preferences": _("请至少提交一项通知设置")})
    errors, parsed, seen = [], [], set()
    for item in items:
        if not isinstance(item, dict):
            errors.append(_("每一项应包含来源、事件和接收方式"))
            continue
        source, action, delivery = (str(item.get(k) or "").strip() for k in ("source", "action", "delivery"))
        kind = _kind(source, action)
        if kind is None:
            errors.append(_("未知的通知事件：%s") % f"{source}.{action}"[:80])
            continue
        if delivery not in timeline.DELIVERIES:
            errors.append(_("“%(kind)s”的接收方式无效：%(delivery)s（可选：%(known)s）") % {
                "kind": kind.label, "delivery": delivery[:20] or _("未填写"), "known": "、".join(timeline.DELIVERIES)})
            continue
        if not kind.allows(delivery):
            errors.append(_("“%(kind)s”为必达通知，只能选择立即接收") % {"kind": kind.label})
            continue
        if (source, action) in seen:
            errors.append(_("通知事件重复：%s") % kind.label)
            continue
        seen.add((source, action))
        parsed.append((source, action, kind, delivery))
    if errors:
        raise ValidationError({"preferences": errors})
    return parsed


@transaction.atomic
def preferences_set(*, user, items):
    """Set how the user hears of the kinds listed (the others keep theirs). Each item: {"source", "action",
    "delivery"}. All or none: any bad item rejects the whole request. Audited (the changed kinds, before → after).
    Returns choices_of(user)."""
    parsed = _parse(items)
    # One writer per user at a time: the user row is the lock, so two forms saved at once apply one after the
    # other, never half of each.
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = {(s, a): d for s, a, d in NotificationPreference.objects.filter(user_id=user.pk)
               .values_list("source", "action", "delivery")}
    changes = {}
    for source, action, kind, delivery in parsed:
        before = current.get((source, action), kind.default)
        # Stored as wanted already: a row exactly when the choice differs from the default.
        if before == delivery and ((source, action) in current) == (delivery != kind.default):
            continue
        if delivery == kind.default:
            NotificationPreference.objects.filter(user_id=user.pk, source=source, action=action).delete()
        else:
            NotificationPreference.objects.update_or_create(user_id=user.pk, source=source, action=action,
                                                            defaults={"delivery": delivery})
        if before != delivery:
            changes[f"{source}.{action}"] = [before, delivery]
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=user, detail="notification preferences", changes=changes)
    return choices_of(user)
