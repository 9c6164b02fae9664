"""Admin writes behind the appeal settings pages: categories, routing rules, the holiday calendar.

Each is keyword-only, atomic, checked against the policy module (a refusal
is a 404, like every out-of-scope object), validated with clear Chinese
messages, and audited.
"""
import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import require
from gongzhi.accounts.capability import CALENDAR_MANAGE
from .capability import CATEGORY_MANAGE
from gongzhi.core import reference
from gongzhi.core.audit import audit, diff
from gongzhi.core.models import AuditAction, CalendarDay, DayKind
from gongzhi.grid.models import Community, Compound
from gongzhi.orgs.models import Organisation, OrgKind

from .models import OPEN_STATUSES, Appeal, AppealKind, Category, HandlerLevel, RoutingRule, TimeUnit

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_HOURS = 24 * 30
MAX_WORKING_DAYS = 365
MAX_RANGE_DAYS = 31

CATEGORY_FIELDS = ("code", "name", "name_en", "parent", "kind", "handler_level", "handler_kind", "respond_amount",
                   "respond_unit", "resolve_amount", "resolve_unit", "may_be_public", "confidential", "is_active", "order",
                   "description")
RULE_FIELDS = ("name", "category", "community", "compound", "handler_kind", "handler_level", "organisation",
               "priority", "is_active")


def _text(errors, field, value, label, maximum, required=True):
    v = (value or "").strip()
    if required and not v:
        errors[field] = _("%(label)s不能为空") % {"label": label}
    elif len(v) > maximum:
        errors[field] = _("%(label)s不能超过%(n)d个字") % {"label": label, "n": maximum}
    return v


def _amount(errors, field, value, unit, label):
    try:
        value = int(value)
    except (TypeError, ValueError):
        errors[field] = _("%(label)s应为正整数") % {"label": label}
        return None
    if value <= 0:
        errors[field] = _("%(label)s必须大于0") % {"label": label}
    elif unit == TimeUnit.HOURS and value > MAX_HOURS:
        errors[field] = _("%(label)s不能超过%(n)d小时") % {"label": label, "n": MAX_HOURS}
    elif unit == TimeUnit.WORKING_DAYS and value > MAX_WORKING_DAYS:
        errors[field] = _("%(label)s不能超过%(n)d个工作日") % {"label": label, "n": MAX_WORKING_DAYS}
    return value


def _choice(errors, field, value, choices, label):
    if value not in choices:
        errors[field] = _("请选择有效的%(label)s") % {"label": label}
    return value


def _snapshot(obj, fields):
    out = {}
    for f in fields:
        v = getattr(obj, f + "_id") if hasattr(obj, f + "_id") else getattr(obj, f)
        out[f] = v
    return out


# ---- categories ----------------------------------------------------------------------------------


def _clean_category(data, instance=None):
    errors = {}
    code = _text(errors, "code", data.get("code"), _("编码"), 40)
    if code and "code" not in errors:
        if not CODE_RE.match(code):
            errors["code"] = _("编码只能包含英文字母、数字、下划线和连字符")
        elif Category.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["code"] = _("编码“%(code)s”已被使用") % {"code": code}
    out = {
        "code": code,
        "name": _text(errors, "name", data.get("name"), _("名称"), 50),
        "name_en": _text(errors, "name_en", data.get("name_en"), _("英文名称"), 80, required=False),
        "description": _text(errors, "description", data.get("description"), _("说明"), 200, required=False),
        "kind": _choice(errors, "kind", data.get("kind"), AppealKind.values, _("类型")),
        "handler_level": _choice(errors, "handler_level", data.get("handler_level"), HandlerLevel.values, _("承办层级")),
        "handler_kind": _choice(errors, "handler_kind", data.get("handler_kind"), OrgKind.values, _("承办组织类型")),
        "respond_unit": _choice(errors, "respond_unit", data.get("respond_unit"), TimeUnit.values, _("时限单位")),
        "resolve_unit": _choice(errors, "resolve_unit", data.get("resolve_unit"), TimeUnit.values, _("时限单位")),
        "may_be_public": bool(data.get("may_be_public")),
        "confidential": bool(data.get("confidential")),
        "is_active": bool(data.get("is_active")),
    }
    if out["confidential"] and out["may_be_public"]:
        errors["may_be_public"] = _("保密分类的诉求不能公开，请取消“可公开”")
    out["respond_amount"] = _amount(errors, "respond_amount", data.get("respond_amount"), out["respond_unit"], _("响应时限"))
    out["resolve_amount"] = _amount(errors, "resolve_amount", data.get("resolve_amount"), out["resolve_unit"], _("办结时限"))
    try:
        out["order"] = int(data.get("order") or 0)
        if not 0 <= out["order"] <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["order"] = _("排序应为0到100000之间的整数")
    if "respond_amount" not in errors and "resolve_amount" not in errors and not errors.keys() & {"respond_unit", "resolve_unit"}:
        # Compare in hours, counting a working day as 24 hours: responding cannot take longer than resolving.
        r = out["respond_amount"] * (1 if out["respond_unit"] == TimeUnit.HOURS else 24)
        s = out["resolve_amount"] * (1 if out["resolve_unit"] == TimeUnit.HOURS else 24)
        if r > s:
            errors["respond_amount"] = _("响应时限不能长于办结时限")
    parent = data.get("parent")
    if parent not in (None, ""):
        parent = parent if isinstance(parent, Category) else Category.objects.filter(pk=parent).first()
        if parent is None:
            errors["parent"] = _("上级分类不存在")
        elif instance is not None and instance.pk in {c.pk for c in parent.ancestors()}:
            errors["parent"] = _("不能把分类放到它自己或它的下级分类之下")
    else:
        parent = None
    out["parent"] = parent
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def category_create(*, user, **data):
    require(user, CATEGORY_MANAGE)
    values = _clean_category(data)
    category = Category.objects.create(**values)
    audit(AuditAction.CREATE, user=user, obj=category, changes=diff({}, _snapshot(category, CATEGORY_FIELDS)))
    return category


@transaction.atomic
def category_update(*, user, category, **data):
    require(user, CATEGORY_MANAGE)
    category = Category.objects.select_for_update().filter(pk=getattr(category, "pk", category)).first()
    if category is None:
        raise ValidationError({"category": _("分类不存在")})
    before = _snapshot(category, CATEGORY_FIELDS)
    values = _clean_category(data, instance=category)
    for k, v in values.items():
        setattr(category, k, v)
    category.save()
    changes = diff(before, _snapshot(category, CATEGORY_FIELDS))
    if "kind" in changes:  # its open appeals move to or from the top of every to-do
        Appeal.objects.filter(category=category, status__in=OPEN_STATUSES).update(
            urgent=category.kind == AppealKind.EMERGENCY)
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=category, changes=changes)
    return category


@transaction.atomic
def category_delete(*, user, category):
    """Only a category nothing refers to; one in use is deactivated instead."""
    require(user, CATEGORY_MANAGE)
    category = Category.objects.select_for_update().filter(pk=getattr(category, "pk", category)).first()
    if category is None:
        raise ValidationError({"category": _("分类不存在")})
    if category.children.exists():
        raise ValidationError({"category": _("该分类下还有子分类，请先删除或移走子分类")})
    if category.appeals.exists():
        raise ValidationError({"category": _("已有诉求使用该分类，不能删除；可以将其停用")})
    snapshot = _snapshot(category, CATEGORY_FIELDS)
    audit(AuditAction.DELETE, user=user, obj=category, changes=diff(snapshot, {k: None for k in snapshot}))
    category.delete()


# ---- routing rules -------------------------------------------------------------------------------


def _clean_rule(user, data):
    errors = {}
    out = {
        "name": _text(errors, "name", data.get("name"), _("名称"), 100),
        "handler_kind": data.get("handler_kind") or "",
        "handler_level": data.get("handler_level") or "",
        "is_active": bool(data.get("is_active")),
    }
    if out["handler_kind"] and out["handler_kind"] not in OrgKind.values:
        errors["handler_kind"] = _("请选择有效的承办组织类型")
    if out["handler_level"] and out["handler_level"] not in HandlerLevel.values:
        errors["handler_level"] = _("请选择有效的承办层级")
    try:
        out["priority"] = int(data.get("priority") or 0)
        if not -1000 <= out["priority"] <= 1000:
            raise ValueError
    except (TypeError, ValueError):
        errors["priority"] = _("优先级应为-1000到1000之间的整数")

    def fetch(field, model, label, **filters):
        value = data.get(field)
        if value in (None, ""):
            return None
        obj = value if isinstance(value, model) else model.objects.filter(pk=value, **filters).first()
        if obj is None:
            errors[field] = _("%(label)s不存在") % {"label": label}
        return obj

    out["category"] = fetch("category", Category, _("分类"))
    out["community"] = fetch("community", Community, _("社区"))
    out["compound"] = fetch("compound", Compound, _("小区"))
    out["organisation"] = fetch("organisation", Organisation, _("承办组织"), is_active=True)
    if not out["handler_kind"] and out["organisation"] is None and not errors.keys() & {"handler_kind", "organisation"}:
        errors["handler_kind"] = _("请选择承办组织类型，或指定承办组织")
    if out["compound"] is not None and out["community"] is not None and out["compound"].community_id != out["community"].pk:
        errors["compound"] = _("该小区不属于所选社区")
    # An admin sets rules only for places in their own scope.
    for field in ("community", "compound"):
        node = out[field]
        if node is not None and field not in errors:
            require(user, CATEGORY_MANAGE, node)
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def routing_rule_create(*, user, **data):
    require(user, CATEGORY_MANAGE)
    rule = RoutingRule.objects.create(**_clean_rule(user, data))
    audit(AuditAction.CREATE, user=user, obj=rule, changes=diff({}, _snapshot(rule, RULE_FIELDS)))
    return rule


def _locked_rule(user, rule):
    """The rule, locked for the change, if the admin may manage rules and the rule's place is theirs."""
    require(user, CATEGORY_MANAGE)
    rule = RoutingRule.objects.select_for_update().filter(pk=getattr(rule, "pk", rule)).first()
    if rule is None:
        raise ValidationError({"rule": _("派单规则不存在")})
    for node in (rule.community, rule.compound):
        if node is not None:
            require(user, CATEGORY_MANAGE, node)
    return rule


@transaction.atomic
def routing_rule_update(*, user, rule, **data):
    rule = _locked_rule(user, rule)
    before = _snapshot(rule, RULE_FIELDS)
    for k, v in _clean_rule(user, data).items():
        setattr(rule, k, v)
    rule.save()
    changes = diff(before, _snapshot(rule, RULE_FIELDS))
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=rule, changes=changes)
    return rule


@transaction.atomic
def routing_rule_delete(*, user, rule):
    rule = _locked_rule(user, rule)
    snapshot = _snapshot(rule, RULE_FIELDS)
    audit(AuditAction.DELETE, user=user, obj=rule, changes=diff(snapshot, {k: None for k in snapshot}))
    rule.delete()


# ---- the holiday calendar ------------------------------------------------------------------------


@transaction.atomic
def calendar_day_add(*, user, date, kind, name="", until=None):
    """A holiday (optionally a run of days up to `until`) or an adjusted working weekend day."""
    require(user, CALENDAR_MANAGE)
    errors = {}
    if not isinstance(date, datetime.date):
        errors["date"] = _("请选择日期")
    if kind not in DayKind.values:
        errors["kind"] = _("请选择节假日或调休上班日")
    name = _text(errors, "name", name, _("名称"), 50, required=False)
    if errors:
        raise ValidationError(errors)
    until = until or date
    if until < date:
        raise ValidationError({"until": _("结束日期不能早于开始日期")})
    if (until - date).days + 1 > MAX_RANGE_DAYS:  # before listing them: 0001-01-01 to 9999-12-31 is 3.6 million days
        raise ValidationError({"until": _("一次最多登记%(n)d天") % {"n": MAX_RANGE_DAYS}})
    days = [date + datetime.timedelta(days=i) for i in range((until - date).days + 1)]
    if kind == DayKind.WORKDAY:
        if len(days) > 1:
            raise ValidationError({"until": _("调休上班日请逐天登记")})
        if date.weekday() < 5:
            raise ValidationError({"date": _("调休上班日应为周六或周日（工作日本来就上班）")})
    taken = list(CalendarDay.objects.filter(date__in=days).order_by("date"))
    if taken:
        raise ValidationError({"date": _("%(dates)s 已登记，请先删除") % {"dates": _("、").join(f"{d.date:%Y-%m-%d}" for d in taken)}})
    rows = CalendarDay.objects.bulk_create([CalendarDay(date=d, kind=kind, name=name) for d in days])
    reference.bump()  # bulk_create sends no signal
    for row in CalendarDay.objects.filter(date__in=days):
        audit(AuditAction.CREATE, user=user, obj=row, changes={"date": [None, row.date.isoformat()], "kind": [None, kind],
                                                                "name": [None, name]})
    return rows


@transaction.atomic
def calendar_day_delete(*, user, day):
    require(user, CALENDAR_MANAGE)
    row = CalendarDay.objects.select_for_update().filter(pk=getattr(day, "pk", day)).first()
    if row is None:
        raise ValidationError({"day": _("该日期未登记")})
    audit(AuditAction.DELETE, user=user, obj=row, changes={"date": [row.date.isoformat(), None], "kind": [row.kind, None]})
    row.delete()
