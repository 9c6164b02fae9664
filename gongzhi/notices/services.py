"""Every write of community notices: atomic, audited, checked with the policy.

A write to an existing notice locks its row and compares the version the editor saw: of two editors who
opened the same notice, the first to save wins and the other is told, with the notice left as the first
saved it (Conflict, answered 409 by the API and as a message on the page).
"""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import require
from gongzhi.core import timeline
from gongzhi.core.audit import audit, diff
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.models import AuditAction
from gongzhi.orgs.models import Organisation, OrgKind

from . import reach as reach_mod
from .capability import NOTICE_EDIT, NOTICE_PUBLISH
from .models import BODY_MAX, TITLE_MAX, Kind, Notice, NoticeEvent, NoticeReach, Status


class Conflict(CoreConflict):
    """Someone else changed the notice since the editor read it."""

    default_message = gettext_lazy("该公告已被他人修改，请刷新后查看最新内容再操作")


def _clean(*, title, body, kind, expires_at, now):
    errors = {}
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not title:
        errors["title"] = _("请填写标题")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("标题不能超过 %(n)d 个字") % {"n": TITLE_MAX}
    elif "\n" in title:
        errors["title"] = _("标题不能换行")
    if not body:
        errors["body"] = _("请填写正文")
    elif len(body) > BODY_MAX:
        errors["body"] = _("正文不能超过 %(n)d 个字") % {"n": BODY_MAX}
    if kind not in Kind.values:
        errors["kind"] = _("类别无效，应为：%(names)s") % {"names": "、".join(str(label) for label in Kind.labels)}
    if isinstance(expires_at, datetime) and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)  # as the editor's clock reads it (the site's zone)
    if expires_at is not None:
        if not isinstance(expires_at, datetime):
            errors["expires_at"] = _("有效期格式无效")
        elif expires_at <= now:
            errors["expires_at"] = _("有效期应晚于现在")
    if errors:
        raise ValidationError(errors)
    return title, body, expires_at


def _publisher(nodes):
    """The office of the widest place the notice is put up for: the sub-district's or the community's."""
    widest = min(nodes, key=lambda n: reach_mod.LEVELS.index(n.level))
    if widest.level == "subdistrict":
        return Organisation.objects.filter(kind=OrgKind.SUBDISTRICT_OFFICE, coverage__subdistrict=widest).order_by("id").first()
    community_id = widest.pk if widest.level == "community" else widest.community_id
    return Organisation.objects.filter(kind=OrgKind.COMMUNITY_OFFICE, coverage__community_id=community_id).order_by("id").first()


def _set_reach(notice, nodes):
    notice.reach.all().delete()
    refs = []
    for node in nodes:
        ref = NoticeReach(notice=notice)
        ref.set_node(node)
        refs.append(ref)
    NoticeReach.objects.bulk_create(refs)


def _event(notice, user, action, note="", notify=False):
    event = NoticeEvent.objects.create(notice=notice, actor=user, action=action, note=note,
                                       notify_pending=notify and timeline.wanted())
    timeline.written(event)
    return event


def _snapshot(notice):
    return {"title": notice.title, "body": notice.body, "kind": notice.kind, "status": notice.status,
            "expires_at": notice.expires_at.isoformat() if notice.expires_at else None, "pinned": notice.pinned,
            "reach": sorted(reach_mod.key_of(r.node) for r in notice.reach.all() if r.node is not None)}


def _locked(user, notice_id, action, version):
    try:
        notice = Notice.objects.select_for_update().get(pk=notice_id)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require(user, action, notice)
    if version is None:
        raise ValidationError({"version": _("请提供您看到的版本号（version），以免覆盖他人的修改")})
    if int(version) != notice.version:
        raise Conflict()
    return notice


def _saved(notice, now):
    notice.version += 1
    notice.updated_at = now
    notice.save()


@transaction.atomic
def notice_create(*, user, title, body, reach, kind=Kind.NOTICE, expires_at=None, pinned=False):
    """A draft put up for `reach` (keys "community:3" or grid nodes): only its editors see it until published."""
    now = timezone.now()
    title, body, expires_at = _clean(title=title, body=body, kind=kind, expires_at=expires_at, now=now)
    nodes = reach_mod.parse(user, reach) if reach and isinstance(next(iter(reach)), str) else list(reach or ())
    if not nodes:
        raise ValidationError({"reach": _("请选择公告的发布范围（社区或小区）")})
    notice = Notice.objects.create(title=title, body=body, kind=kind, status=Status.DRAFT,
                                   expires_at=expires_at, pinned=bool(pinned), created_by=user,
                                   publisher=_publisher(nodes), created_at=now, updated_at=now)
    _set_reach(notice, nodes)
    require(user, NOTICE_EDIT, notice)  # every node inside the editor's place, whatever the caller passed
    _event(notice, user, "notice_create")
    audit(AuditAction.CREATE, user=user, obj=notice, changes=diff({}, _snapshot(notice)))
    return notice


@transaction.atomic
def notice_update(*, user, notice_id, version, title, body, kind, reach, expires_at=None):
    now = timezone.now()
    notice = _locked(user, notice_id, NOTICE_EDIT, version)
    before = _snapshot(notice)
    title, body, expires_at = _clean(title=title, body=body, kind=kind, expires_at=expires_at, now=now)
    nodes = reach_mod.parse(user, reach)
    notice.title, notice.body, notice.kind, notice.expires_at = title, body, kind, expires_at
    notice.publisher = _publisher(nodes)
    _saved(notice, now)
    _set_reach(notice, nodes)
    require(user, NOTICE_EDIT, notice)
    after = _snapshot(notice)
    _event(notice, user, "notice_edit")
    audit(AuditAction.UPDATE, user=user, obj=notice, changes=diff(before, after))
    return notice


@transaction.atomic
def notice_publish(*, user, notice_id, version):
    """Published now: its readers see it and are told (one message each, through the timeline's outbox)."""
    now = timezone.now()
    notice = _locked(user, notice_id, NOTICE_PUBLISH, version)
    if notice.status == Status.PUBLISHED:
        raise ValidationError({"status": _("该公告已发布")})
    if notice.is_expired(now):
        raise ValidationError({"expires_at": _("有效期已过，请先修改有效期再发布")})
    before = notice.status
    notice.status, notice.published_at, notice.published_by = Status.PUBLISHED, now, user
    _saved(notice, now)
    _event(notice, user, "notice_publish", notify=True)
    audit(AuditAction.UPDATE, user=user, obj=notice, detail="publish", changes={"status": [before, notice.status]})
    return notice


@transaction.atomic
def notice_withdraw(*, user, notice_id, version, note=""):
    """No longer shown to readers; its editors still see it, and may publish it again."""
    now = timezone.now()
    notice = _locked(user, notice_id, NOTICE_PUBLISH, version)
    if notice.status != Status.PUBLISHED:
        raise ValidationError({"status": _("只有已发布的公告可以撤回")})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("撤回说明不能超过 200 个字")})
    notice.status = Status.WITHDRAWN
    _saved(notice, now)
    _event(notice, user, "notice_withdraw", note=note)
    audit(AuditAction.UPDATE, user=user, obj=notice, detail="withdraw",
          changes={"status": [Status.PUBLISHED, Status.WITHDRAWN]})
    return notice


@transaction.atomic
def notice_pin(*, user, notice_id, version, pinned):
    now = timezone.now()
    notice = _locked(user, notice_id, NOTICE_PUBLISH, version)
    pinned = bool(pinned)
    if notice.pinned == pinned:
        return notice
    notice.pinned = pinned
    _saved(notice, now)
    _event(notice, user, "notice_pin" if pinned else "notice_unpin")
    audit(AuditAction.UPDATE, user=user, obj=notice, detail="pin" if pinned else "unpin",
          changes={"pinned": [not pinned, pinned]})
    return notice
