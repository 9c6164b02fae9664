"""Writes to households and residents: validated, policy-checked, atomic, audited."""
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can, require
from gongzhi.grid.capability import HOUSEHOLD_CHANGE
from .capability import FIND_BY_ID, RESIDENT_CHANGE, REVEAL_ID, REVEAL_PHONE, TAG_MANAGE
from gongzhi.core.audit import audit, diff
from gongzhi.core.identity import birth_date_from_id, gender_from_id, validate_id_number, validate_mobile
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Household, Tenure

from . import conflicts, lookup, presenter
from .models import Relation, Resident, Tag

NAME_MAX = 50


def clean_name(value):
    v = (value or "").strip()
    if not v:
        raise ValidationError({"name": _("姓名必填")})
    if len(v) > NAME_MAX:
        raise ValidationError({"name": _("姓名不能超过50个字")})
    return v


def clean_area(value):
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"floor_area": _("专有面积应为数字（平方米）")})
    if area <= 0 or area >= Decimal("100000"):
        raise ValidationError({"floor_area": _("专有面积应大于0且小于100000平方米")})
    return area


def _resident_snapshot(r):
    return {"name": r.name, "gender": r.gender, "birth_date": r.birth_date, "household": r.household_id,
            "relation": r.relation, "note": r.note, "id_number": r.id_number_hash, "phone": r.phone_hash,
            "tags": sorted(r.tags.values_list("code", flat=True)) if r.pk else []}


def _apply_resident_fields(resident, *, name=None, id_number=None, phone=None, relation=None, note=None,
                           household=None, gender=None):
    errors = {}
    if name is not None:
        try:
            resident.name = clean_name(name)
        except ValidationError as e:
            errors.update(e.error_dict)
    if id_number is not None:
        if id_number.strip():
            try:
                v = validate_id_number(id_number)
                resident.set_id_number(v)
                resident.birth_date = birth_date_from_id(v)
                resident.gender = gender_from_id(v)
            except ValidationError as e:
                errors["id_number"] = [e]
        else:
            resident.set_id_number("")
    if phone is not None:
        if phone.strip():
            try:
                resident.set_phone(validate_mobile(phone))
            except ValidationError as e:
                errors["phone"] = [e]
        else:
            resident.set_phone("")
    if relation is not None:
        if relation not in Relation.values:
            errors["relation"] = [ValidationError(_("与户主关系无效"))]
        else:
            resident.relation = relation
    if gender is not None and not resident.id_number_hash:
        if gender not in ("", "M", "F"):
            errors["gender"] = [ValidationError(_("性别无效"))]
        else:
            resident.gender = gender
    if note is not None:
        if len(note) > 500:
            errors["note"] = [ValidationError(_("备注不能超过500个字"))]
        resident.note = note.strip()
    if household is not None:
        resident.household = household
    if errors:
        raise ValidationError(errors)


def _claim_id_number(user, resident, *, household, subject=None):
    """Before a new ID number is saved: is it free? Checking is an identifier lookup (people.lookup).

    A holder the user may find by ID number is named. Any other holder, inside
    or outside the user's scope, gets the one neutral answer and a conflict
    record for the community (people.conflicts). Raises lookup.Deferred: the
    audit rows and the record are written after the service's rollback.
    """
    term_hash = resident.id_number_hash
    if not term_hash:
        return
    lookup.check_registration_budget(user, term_hash)
    holder = (Resident.objects.select_related("household__building__compound__community")
              .filter(id_number_hash=term_hash).exclude(pk=resident.pk).first())
    if holder is None:
        return
    if can(user, FIND_BY_ID, holder):
        raise lookup.Deferred(lambda: lookup.record_registration_hit(user, term_hash), ValidationError(
            {"id_number": _("该身份证号已登记在居民“%(name)s”名下") % {"name": holder.name}}))

    def record():
        lookup.record_registration_hit(user, term_hash)
        conflicts.registration_conflict_record(user=user, household=household, name=resident.name,
                                               relation=resident.relation, id_number_hash=term_hash,
                                               existing=holder, subject=subject)

    raise lookup.Deferred(record, ValidationError({"id_number": conflicts.neutral_message()}))


def _save_claimed(resident):
    try:
        with transaction.atomic():  # a concurrent registration of the same number loses here, not with a 500
            resident.save()
    except IntegrityError:
        raise ValidationError({"id_number": conflicts.neutral_message()})


@lookup.records_after_rollback
@transaction.atomic
def resident_create(*, user, household, name, id_number="", phone="", relation=Relation.OTHER, note="",
                    gender="", tags=()):
    require(user, RESIDENT_CHANGE, household)
    resident = Resident()
    _apply_resident_fields(resident, name=name, id_number=id_number, phone=phone, relation=relation,
                           note=note, household=household, gender=gender)
    _claim_id_number(user, resident, household=household)
    _save_claimed(resident)
    if tags:
        resident_set_tags(user=user, resident=resident, tags=tags, audited=False)
    audit(AuditAction.CREATE, user=user, obj=resident, changes=diff({}, _resident_snapshot(resident), sensitive={"id_number", "phone"}))
    return resident


@lookup.records_after_rollback
@transaction.atomic
def resident_update(*, user, resident, **fields):
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    require(user, RESIDENT_CHANGE, resident)
    new_household = fields.get("household")
    if new_household is not None and new_household.pk != resident.household_id:
        require(user, RESIDENT_CHANGE, new_household)
    before = _resident_snapshot(resident)
    tags = fields.pop("tags", None)
    _apply_resident_fields(resident, **fields)
    if resident.id_number_hash != before["id_number"]:
        _claim_id_number(user, resident, household=resident.household, subject=resident)
    _save_claimed(resident)
    if tags is not None:
        resident_set_tags(user=user, resident=resident, tags=tags, audited=False)
    changes = diff(before, _resident_snapshot(resident), sensitive={"id_number", "phone"})
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=resident, changes=changes)
    return resident


@transaction.atomic
def resident_set_tags(*, user, resident, tags, audited=True):
    """Tags are codes or Tag objects; unknown codes are rejected.

    Sensitive tags are hidden from users who may not reveal the resident's ID
    number: such a user can neither set one nor (unknowingly) remove one.
    """
    require(user, RESIDENT_CHANGE, resident)
    codes = {t.code if isinstance(t, Tag) else str(t).strip() for t in tags if t}
    found = list(Tag.objects.filter(code__in=codes))
    unknown = codes - {t.code for t in found}
    if unknown:
        raise ValidationError({"tags": _("未知标签：%s") % _("、").join(sorted(unknown))})
    if not presenter.sees_sensitive(user, resident):
        if any(t.sensitive for t in found):
            raise ValidationError({"tags": _("无权设置敏感标签")})
        found += list(resident.tags.filter(sensitive=True))
        codes = {t.code for t in found}
    before = sorted(resident.tags.values_list("code", flat=True))
    resident.tags.set(found)
    if audited and before != sorted(codes):
        audit(AuditAction.UPDATE, user=user, obj=resident, changes={"tags": [before, sorted(codes)]})


@transaction.atomic
def resident_delete(*, user, resident):
    require(user, RESIDENT_CHANGE, resident)
    audit(AuditAction.DELETE, user=user, obj=resident,
          changes=diff(_resident_snapshot(resident), {k: None for k in _resident_snapshot(resident)},
                       sensitive={"id_number", "phone"}))
    resident.delete()


def resident_account(resident):
    """The resident's login account, if they have one (and it is active)."""
    from gongzhi.accounts.models import User

    return User.objects.filter(resident=resident, is_active=True).first()


def resident_password_reset(*, user, resident, request=None):
    """A one-time password for a resident who lost theirs, from staff who may change their record: shown once,
    to be replaced at their next login (accounts.services.password_reset_by_staff). Audited."""
    from gongzhi.accounts.models import Role
    from gongzhi.accounts.services import password_reset_by_staff

    require(user, RESIDENT_CHANGE, resident)
    account = resident_account(resident)
    if account is None:
        raise ValidationError({"account": _("该居民没有登录账号")})
    if account.is_staff or account.is_superuser or account.roles.exclude(role=Role.RESIDENT).exists():
        # A staff account is reset by whoever manages accounts, not from a resident's record.
        raise ValidationError({"account": _("该账号不是居民账号，不能在此重置")})
    return password_reset_by_staff(staff=user, user=account, request=request)


REVEALABLE = {"phone": REVEAL_PHONE, "id_number": REVEAL_ID}


def resident_reveal(*, user, resident, field):
    """The clear value of a sensitive field, for roles allowed to see it; every reveal is audited."""
    if field not in REVEALABLE:
        raise ValidationError({"field": _("只能查看手机号或身份证号")})
    require(user, REVEALABLE[field], resident)
    value = resident.phone_clear() if field == "phone" else resident.id_number_clear()
    audit(AuditAction.REVEAL, user=user, obj=resident, changes={"field": field})
    return value


def _household_snapshot(h):
    return {"code": h.code, "address": h.address, "floor_area": str(h.floor_area) if h.floor_area is not None else None,
            "tenure": h.tenure, "building": h.building_id}


def _apply_household_fields(h, *, code=None, address=None, floor_area="__keep__", tenure=None):
    errors = {}
    if code is not None:
        code = code.strip()
        if not code or len(code) > 32:
            errors["code"] = [ValidationError(_("房号必填，且不超过32个字符"))]
        h.code = code
    if address is not None:
        address = address.strip()
        if not address or len(address) > 200:
            errors["address"] = [ValidationError(_("地址必填，且不超过200个字"))]
        h.address = address
    if floor_area != "__keep__":
        try:
            h.floor_area = clean_area(floor_area)
        except ValidationError as e:
            errors.update(e.error_dict)
    if tenure is not None:
        if tenure not in Tenure.values:
            errors["tenure"] = [ValidationError(_("产权状态无效"))]
        h.tenure = tenure
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def household_create(*, user, building, code, address, floor_area=None, tenure=Tenure.OWNER):
    require(user, HOUSEHOLD_CHANGE, building)
    h = Household(building=building)
    _apply_household_fields(h, code=code, address=address, floor_area=floor_area, tenure=tenure)
    if Household.objects.filter(building=building, code=h.code).exists():
        raise ValidationError({"code": _("该楼栋已有此房号")})
    try:
        with transaction.atomic():  # a concurrent create of the same room loses here, not with a 500
            h.save()
    except IntegrityError:
        raise ValidationError({"code": _("该楼栋已有此房号")})
    audit(AuditAction.CREATE, user=user, obj=h, changes=diff({}, _household_snapshot(h)))
    return h


@transaction.atomic
def household_update(*, user, household, **fields):
    h = Household.objects.select_for_update().select_related("building__compound__community").get(pk=household.pk)
    require(user, HOUSEHOLD_CHANGE, h)
    before = _household_snapshot(h)
    _apply_household_fields(h, **fields)
    if Household.objects.filter(building_id=h.building_id, code=h.code).exclude(pk=h.pk).exists():
        raise ValidationError({"code": _("该楼栋已有此房号")})
    h.save()
    changes = diff(before, _household_snapshot(h))
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=h, changes=changes)
    return h


# ---- care tags (admins with TAG_MANAGE) -------------------------------------------------------


def _tag_snapshot(t):
    return {"code": t.code, "name": t.name, "name_en": t.name_en, "sensitive": t.sensitive}


def _apply_tag_fields(tag, *, name=None, name_en=None, sensitive=None):
    errors = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 50:
            errors["name"] = [ValidationError(_("标签名称必填，且不超过50个字"))]
        elif Tag.objects.filter(name=name).exclude(pk=tag.pk).exists():
            errors["name"] = [ValidationError(_("已有同名标签"))]
        tag.name = name
    if name_en is not None:
        if len(name_en.strip()) > 80:
            errors["name_en"] = [ValidationError(_("英文名称不能超过80个字符"))]
        tag.name_en = name_en.strip()
    if sensitive is not None:
        tag.sensitive = bool(sensitive)
    return errors


@transaction.atomic
def tag_create(*, user, code, name, name_en="", sensitive=False):
    require(user, TAG_MANAGE)
    tag = Tag()
    code = (code or "").strip()
    errors = _apply_tag_fields(tag, name=name, name_en=name_en, sensitive=sensitive)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        errors["code"] = [ValidationError(_("编码只能包含英文字母、数字、下划线和连字符，不超过40个字符"))]
    elif Tag.objects.filter(code=code).exists():
        errors["code"] = [ValidationError(_("已有相同编码的标签"))]
    if errors:
        raise ValidationError(errors)
    tag.code = code
    tag.save()
    audit(AuditAction.CREATE, user=user, obj=tag, changes=diff({}, _tag_snapshot(tag)))
    return tag


@transaction.atomic
def tag_update(*, user, tag, name=None, name_en=None, sensitive=None):
    require(user, TAG_MANAGE)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    before = _tag_snapshot(tag)
    errors = _apply_tag_fields(tag, name=name, name_en=name_en, sensitive=sensitive)
    if errors:
        raise ValidationError(errors)
    tag.save()
    changes = diff(before, _tag_snapshot(tag))
    if changes:
        audit(AuditAction.UPDATE, user=user, obj=tag, changes=changes)
    return tag
