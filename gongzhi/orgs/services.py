"""Writes to organisations: members and the grid nodes they cover. Policy-checked, atomic, audited."""
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import require
from gongzhi.accounts.capability import ACCOUNT_MANAGE
from .capability import ORG_CHANGE
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.core.audit import audit, diff
from gongzhi.core.models import AuditAction

from .models import SINGLE_NODE_KINDS, Coverage, Membership, Organisation

NAME_MAX = 50
POSITION_MAX = 50


def _membership_snapshot(m):
    return {"person_name": m.person_name, "position": m.position, "resident": m.resident_id, "user": m.user_id,
            "term_start": m.term_start.isoformat() if m.term_start else None,
            "term_end": m.term_end.isoformat() if m.term_end else None}


def _clean_date(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: _("日期格式应为 YYYY-MM-DD")})


@transaction.atomic
def membership_add(*, user, organisation, position, person_name="", resident=None, account=None,
                   term_start=None, term_end=None):
    """Give a person a post in an organisation. One person may hold posts in several organisations.

    The person is a resident record, a user account, or just a name. Linking
    an account lets that user see the organisation, so it needs ACCOUNT_MANAGE.
    """
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    require(user, ORG_CHANGE, org)
    if resident is not None:
        require(user, RESIDENT_VIEW, resident)
    if account is not None:
        require(user, ACCOUNT_MANAGE)
    errors = {}
    name = (person_name or "").strip() or (resident.name if resident is not None else "") \
        or (str(account) if account is not None else "")
    if not name or len(name) > NAME_MAX:
        errors["person_name"] = [ValidationError(_("姓名必填，且不超过50个字"))]
    position = (position or "").strip()
    if not position or len(position) > POSITION_MAX:
        errors["position"] = [ValidationError(_("职务必填，且不超过50个字"))]
    try:
        start = _clean_date(term_start, "term_start")
    except ValidationError as e:
        errors.update(e.error_dict)
        start = None
    try:
        end = _clean_date(term_end, "term_end")
    except ValidationError as e:
        errors.update(e.error_dict)
        end = None
    if start and end and end < start:
        errors["term_end"] = [ValidationError(_("任期结束日期不能早于开始日期"))]
    if errors:
        raise ValidationError(errors)
    same_person = {"resident": resident} if resident is not None else (
        {"user": account} if account is not None else {"person_name": name, "resident__isnull": True,
                                                         "user__isnull": True})
    today = timezone.localdate()
    open_posts = Membership.objects.filter(organisation=org, position=position, **same_person).exclude(
        term_end__lt=today)
    if end is None or end >= today:
        if open_posts.exists():
            raise ValidationError({"position": _("此人已在该组织担任该职务")})
    m = Membership.objects.create(organisation=org, resident=resident, user=account, person_name=name,
                                  position=position, term_start=start, term_end=end)
    audit(AuditAction.CREATE, user=user, obj=m, changes=diff({}, _membership_snapshot(m)))
    return m


@transaction.atomic
def membership_end(*, user, membership, on=None):
    """End a post on `on` (today by default). A post whose term had not begun is removed instead.

    Ending a post that has already ended changes nothing.
    """
    m = Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
    require(user, ORG_CHANGE, m.organisation)
    on = _clean_date(on, "term_end") or timezone.localdate()
    before = _membership_snapshot(m)
    if m.term_start is not None and m.term_start > on:
        audit(AuditAction.DELETE, user=user, obj=m, changes=diff(before, {k: None for k in before}))
        m.delete()
        return None
    if m.term_end is not None and m.term_end <= on:
        return m
    m.term_end = on
    m.save(update_fields=["term_end"])
    audit(AuditAction.UPDATE, user=user, obj=m, changes=diff(before, _membership_snapshot(m)))
    return m


@transaction.atomic
def coverage_add(*, user, organisation, node):
    """Let an organisation serve one more grid node (an owners' committee serves exactly one)."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    require(user, ORG_CHANGE, org)
    require(user, ORG_CHANGE, node)
    existing = list(Coverage.objects.filter(organisation=org))
    if any(c.node_level == node.level and c.node_id == node.pk for c in existing):
        raise ValidationError({"node_id": _("该组织已覆盖此网格节点")})
    if org.kind in SINGLE_NODE_KINDS and existing:
        raise ValidationError({"node_id": _("“%(kind)s”只能覆盖一个网格节点") % {"kind": org.get_kind_display()}})
    c = Coverage(organisation=org)
    c.set_node(node)
    c.save()
    audit(AuditAction.UPDATE, user=user, obj=org,
          changes={"coverage": [None, f"{node.level}:{node.pk} {node}"]}, detail="coverage added")
    return c


@transaction.atomic
def coverage_remove(*, user, coverage):
    """Stop an organisation serving a grid node; the last node it covers cannot be removed."""
    org = Organisation.objects.select_for_update().get(pk=coverage.organisation_id)
    require(user, ORG_CHANGE, org)
    c = Coverage.objects.select_related("subdistrict", "community", "compound", "building", "household").get(
        pk=coverage.pk)
    if not Coverage.objects.filter(organisation=org).exclude(pk=c.pk).exists():
        raise ValidationError({"coverage": _("组织至少应覆盖一个网格节点")})
    node = c.node
    c.delete()
    audit(AuditAction.UPDATE, user=user, obj=org,
          changes={"coverage": [f"{node.level}:{node.pk} {node}", None]}, detail="coverage removed")
