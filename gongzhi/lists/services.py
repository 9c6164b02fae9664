"""Writes of the three lists: each keyword-only, atomic, checked against the policy, audited, and written to
the timeline in the same transaction. Bad input raises ValidationError ({field: [message]}) before anything
is written; a record someone else changed first raises Conflict; a record outside the user's reach, 404."""
import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import acts_for, can, require
from gongzhi.core import timeline
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.images import store_photo, validate_image
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Organisation

from .capability import (
    LEDGER_CORRECT,
    NEED_POST,
    NEED_REVIEW,
    PROJECT_MANAGE,
    PROJECT_SERVE,
    PROJECT_TAKE,
    REGISTRATION_RATE,
    REGISTRATION_REVIEW,
    REGISTRATION_SUBMIT,
    RESOURCE_OFFER,
    SERVICE_CONFIRM,
    SERVICE_RATE,
    SERVICE_VIEW,
)
from .models import (
    Category,
    Grade,
    LedgerEntry,
    ListsEvent,
    MemberSkill,
    Need,
    NeedStatus,
    Project,
    ProjectKind,
    ProjectMode,
    ProjectStatus,
    ProviderKind,
    Rating,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resource,
    ResourceKind,
    Served,
    ServicePhoto,
    ServiceRecord,
    ServiceStatus,
    Take,
    YearlyRating,
)

TITLE_MAX = 60
TEXT_MAX = 1000
REASON_MAX = 200
MAX_PEOPLE = 10000
MAX_PLACES = 200
MAX_WINDOW_DAYS = 366


class Conflict(CoreConflict):
    """Someone changed the record first (or the project filled up): nothing was written."""


def _event(**kw):
    event = ListsEvent.objects.create(notify_pending=timeline.wanted(), **kw)
    timeline.written(event)
    return event


# ---- input -------------------------------------------------------------------------------------------------

def _text(errors, field, value, *, required=True, limit=TEXT_MAX, label=None):
    value = " ".join(str(value or "").split()) if limit <= TITLE_MAX else str(value or "").strip()
    if required and not value:
        errors[field] = [_("请填写%(label)s") % {"label": label}]
    elif len(value) > limit:
        errors[field] = [_("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}]
    return value


def _choice(errors, field, value, choices, message):
    if value not in choices.values:
        errors[field] = [message]
    return value


def _date(errors, field, value, label):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        errors[field] = [_("请填写有效的%(label)s（年-月-日）") % {"label": label}]
        return None


def _whole(errors, field, value, lo, hi, label):
    try:
        d = Decimal(str(value).strip())
        n = int(d) if d.is_finite() and d == d.to_integral_value() else None
    except (InvalidOperation, TypeError, ValueError):
        n = None
    if n is None:
        errors[field] = [_("%(label)s应为整数") % {"label": label}]
        return None
    if not lo <= n <= hi:
        errors[field] = [_("%(label)s应在%(lo)s到%(hi)s之间") % {"label": label, "lo": lo, "hi": hi}]
        return None
    return n


def _window(errors, start, end, f_start, f_end):
    if start and end:
        if end < start:
            errors[f_end] = [_("结束日期不能早于开始日期")]
        elif (end - start).days > MAX_WINDOW_DAYS:
            errors[f_end] = [_("时间跨度不能超过一年")]


def _compound(errors, value):
    compound = Compound.objects.filter(pk=value).first() if str(value or "").isdigit() else None
    if compound is None:
        errors["compound"] = [_("请选择小区")]
    return compound


def _place_for(user, obj, compound):
    """Put a record a person files at their own home when it is in the compound they chose: a resident's
    role is held over their household, and the policy reads the record's place."""
    obj.compound = compound
    resident = getattr(user, "resident", None)
    household = resident.household if resident is not None else None
    if household is not None and household.building.compound_id == compound.pk:
        obj.building_id, obj.household_id = household.building_id, household.pk


def _check(obj, version):
    if version is not None and str(version) != str(obj.version):
        raise Conflict(_("该记录已被他人修改，请刷新后重试。"))


def parse_hours(errors, value, field="hours"):
    """Hours of one day's service: more than 0, at most 24, in tenths."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = [_("服务时长应为数字（小时）")]
        return None
    if not hours.is_finite() or hours <= 0:
        errors[field] = [_("服务时长应大于0小时")]
        return None
    if hours > 24:
        errors[field] = [_("一天的服务时长不能超过24小时")]
        return None
    if hours != hours.quantize(Decimal("0.1")):
        errors[field] = [_("服务时长最多保留一位小数")]
        return None
    return hours


# ---- needs (点单) --------------------------------------------------------------------------------------------

@transaction.atomic
def need_post(*, user, title, category, compound, wanted_from, wanted_to, people=1, description="",
              request=None):
    errors = {}
    title = _text(errors, "title", title, limit=TITLE_MAX, label=_("标题"))
    description = _text(errors, "description", description, required=False, label=_("说明"))
    _choice(errors, "category", category, Category, _("请选择需求类别"))
    start = _date(errors, "wanted_from", wanted_from, _("开始日期"))
    end = _date(errors, "wanted_to", wanted_to, _("结束日期"))
    _window(errors, start, end, "wanted_from", "wanted_to")
    people = _whole(errors, "people", people, 1, MAX_PEOPLE, _("受益人数"))
    place = _compound(errors, compound)
    need = Need(poster=user, title=title, description=description, topic=category, wanted_from=start,
                wanted_to=end, people=people or 1)
    if place is not None:
        _place_for(user, need, place)
        if not can(user, NEED_POST, need):
            errors["compound"] = [_("该小区不在您可以点单的范围内")]
    if errors:
        raise ValidationError(errors)
    need.save()
    audit(AuditAction.CREATE, user=user, obj=need, detail="post", request=request,
          changes={"status": [None, need.status], "category": [None, category], "compound": [None, place.pk]})
    _event(need=need, actor=user, action="need_posted")
    return need


def _locked(model, pk):
    obj = model.objects.select_for_update().filter(pk=getattr(pk, "pk", pk)).first()
    if obj is None:
        raise Http404
    return obj


@transaction.atomic
def need_decline(*, user, need, reason, version=None, request=None):
    errors = {}
    reason = _text(errors, "reason", reason, limit=REASON_MAX, label=_("原因"))
    need = _locked(Need, need)
    require(user, NEED_REVIEW, need)
    if errors:
        raise ValidationError(errors)
    _check(need, version)
    if need.status != NeedStatus.OPEN:
        raise Conflict(_("该需求已处理，请刷新查看。"))
    need.status, need.reason, need.version = NeedStatus.DECLINED, reason, need.version + 1
    need.save(update_fields=["status", "reason", "version"])
    audit(AuditAction.UPDATE, user=user, obj=need, detail="decline", request=request,
          changes={"status": [NeedStatus.OPEN, NeedStatus.DECLINED]})
    _event(need=need, actor=user, action="need_declined", note=reason)
    return need


# ---- registrations (双报到) ----------------------------------------------------------------------------------

def _skills(errors, skills):
    if isinstance(skills, str):
        skills = [s for s in skills.split(",") if s]
    skills = list(dict.fromkeys(skills or ()))
    if any(s not in Category.values for s in skills):
        errors["skills"] = [_("请从列表中选择特长")]
    return ",".join(skills)


def commitment_default():
    return Decimal(str(getattr(settings, "LISTS_YEARLY_COMMITMENT_HOURS", 12)))


@transaction.atomic
def registration_submit(*, user, kind, compound, organisation=None, work_unit="", party_branch="", skills=(),
                        weekly_hours=0, resources_note="", request=None):
    """A member registers at their home compound; a unit's contact registers the unit they act for, at the
    compound it is located in. One live registration each."""
    errors = {}
    _choice(errors, "kind", kind, RegistrationKind, _("请选择报到类型"))
    work_unit = _text(errors, "work_unit", work_unit, required=kind == RegistrationKind.MEMBER, limit=100,
                      label=_("工作单位"))
    party_branch = _text(errors, "party_branch", party_branch, required=False, limit=100, label=_("所在党组织"))
    resources_note = _text(errors, "resources_note", resources_note, required=False, label=_("可提供的资源"))
    skills = _skills(errors, skills)
    weekly_hours = _whole(errors, "weekly_hours", weekly_hours, 0, 80, _("每周可服务小时"))
    place = _compound(errors, compound)
    org = None
    if kind == RegistrationKind.UNIT:
        org = Organisation.objects.filter(pk=organisation).first() if str(organisation or "").isdigit() else None
        if org is None or not acts_for(user, org):
            errors["organisation"] = [_("请选择您代表的单位")]
    reg = Registration(kind=kind, user=user, organisation=org, work_unit=work_unit, party_branch=party_branch,
                       skills=skills, weekly_hours=weekly_hours or 0, resources_note=resources_note,
                       commitment_hours=commitment_default())
    if place is not None:
        _place_for(user, reg, place)
        if not can(user, REGISTRATION_SUBMIT, reg):
            errors["compound"] = [_("该小区不在您可以报到的范围内")]
    if errors:
        raise ValidationError(errors)
    # One live registration per member and per unit; the user's row is locked so two submissions queue.
    type(user).objects.select_for_update().filter(pk=user.pk).first()
    live = Registration.objects.filter(kind=kind).exclude(status=RegistrationStatus.REFUSED)
    if live.filter(**({"organisation": org} if org else {"user": user})).exists():
        raise ValidationError({"kind": [_("已有报到登记，请勿重复提交")]})
    reg.save()
    audit(AuditAction.CREATE, user=user, obj=reg, detail="submit", request=request,
          changes={"kind": [None, kind], "status": [None, reg.status]})
    return reg


@transaction.atomic
def registration_decide(*, user, registration, confirm, reason="", commitment_hours=None, request=None):
    errors = {}
    reg = _locked(Registration, registration)
    require(user, REGISTRATION_REVIEW, reg)
    if not confirm:
        reason = _text(errors, "reason", reason, limit=REASON_MAX, label=_("原因"))
    hours = None
    if confirm and commitment_hours not in (None, ""):
        try:
            hours = Decimal(str(commitment_hours))
        except InvalidOperation:
            hours = Decimal("-1")
        if not hours.is_finite() or not 0 <= hours <= 500:
            errors["commitment_hours"] = [_("年度服务承诺应在0到500小时之间")]
    if errors:
        raise ValidationError(errors)
    if reg.status != RegistrationStatus.PENDING:
        raise Conflict(_("该报到登记已处理，请刷新查看。"))
    before = reg.status
    reg.status = RegistrationStatus.CONFIRMED if confirm else RegistrationStatus.REFUSED
    reg.reason = "" if confirm else reason
    if hours is not None:
        reg.commitment_hours = hours
    reg.decided_by, reg.decided_at = user, timezone.now()
    reg.save(update_fields=["status", "reason", "commitment_hours", "decided_by", "decided_at"])
    if confirm and reg.kind == RegistrationKind.MEMBER and reg.user_id:
        MemberSkill.objects.bulk_create([
            MemberSkill(registration=reg, user_id=reg.user_id, compound_id=reg.compound_id, topic=topic,
                        weekly_hours=reg.weekly_hours) for topic in reg.skill_list()])
    audit(AuditAction.UPDATE, user=user, obj=reg, detail="confirm" if confirm else "refuse", request=request,
          changes={"status": [before, reg.status]})
    return reg


COMMENT_MAX = 500


@transaction.atomic
def registration_rate(*, user, registration, year, grade, comment="", request=None):
    """The community's rating of a confirmed registration for a year that has begun, once: the registration row
    is locked, and the database holds one rating per registration and year, so a second rating is refused."""
    errors = {}
    reg = _locked(Registration, registration)
    require(user, REGISTRATION_RATE, reg)
    year = _whole(errors, "year", year, 2000, timezone.localdate().year, _("年度"))
    _choice(errors, "grade", grade, Grade, _("请选择优秀、良好、合格或不合格"))
    comment = _text(errors, "comment", comment, required=False, limit=COMMENT_MAX, label=_("社区评语"))
    if reg.status != RegistrationStatus.CONFIRMED:
        errors["registration"] = [_("只能评价已确认的报到")]
    if errors:
        raise ValidationError(errors)
    if YearlyRating.objects.filter(registration=reg, year=year).exists():
        raise Conflict(_("该报到本年度已评价过。"))
    try:
        with transaction.atomic():
            rating = YearlyRating.objects.create(registration=reg, year=year, grade=grade, comment=comment,
                                                 rated_by=user)
    except IntegrityError as e:
        raise Conflict(_("该报到本年度已评价过。")) from e
    audit(AuditAction.CREATE, user=user, obj=reg, detail="rate", request=request,
          changes={"year": year, "grade": grade})
    return rating


# ---- resources ---------------------------------------------------------------------------------------------

@transaction.atomic
def resource_offer(*, user, title, kind, category, provider_kind, compound, capacity=1, organisation=None,
                   available_from=None, available_to=None, request=None):
    errors = {}
    title = _text(errors, "title", title, limit=TITLE_MAX, label=_("名称"))
    _choice(errors, "kind", kind, ResourceKind, _("请选择资源类型"))
    _choice(errors, "category", category, Category, _("请选择服务类别"))
    _choice(errors, "provider_kind", provider_kind, ProviderKind, _("请选择提供方类型"))
    capacity = _whole(errors, "capacity", capacity, 1, MAX_PEOPLE, _("可服务人次"))
    start = _date(errors, "available_from", available_from, _("开始日期")) if available_from else None
    end = _date(errors, "available_to", available_to, _("结束日期")) if available_to else None
    _window(errors, start, end, "available_from", "available_to")
    place = _compound(errors, compound)
    org = None
    if organisation not in (None, ""):
        org = Organisation.objects.filter(pk=organisation).first() if str(organisation).isdigit() else None
        if org is None or not acts_for(user, org):
            errors["organisation"] = [_("请选择您代表的单位")]
    res = Resource(title=title, kind=kind, topic=category, provider_kind=provider_kind, capacity=capacity or 1,
                   offered_by=None if org else user, organisation=org, available_from=start, available_to=end)
    if place is not None:
        res.compound = place
        if not can(user, RESOURCE_OFFER, res):
            errors["compound"] = [_("该小区不在您可以登记资源的范围内")]
    if errors:
        raise ValidationError(errors)
    res.save()
    audit(AuditAction.CREATE, user=user, obj=res, detail="offer", request=request,
          changes={"kind": [None, kind], "category": [None, category]})
    return res


# ---- projects (派单 / 接单) -----------------------------------------------------------------------------------

@transaction.atomic
def project_create(*, user, needs, title, mode, places=1, kind=ProjectKind.ONE_OFF, starts_on=None, ends_on=None,
                   description="", providers=(), units=(), request=None):
    """A project from one or several open needs of one compound. Dispatched (派单): to the chosen members
    (`providers`, user ids) and units (`units`, organisation ids), who take its places at once; published: for
    members to take, `places` at most."""
    errors = {}
    title = _text(errors, "title", title, limit=TITLE_MAX, label=_("项目名称"))
    description = _text(errors, "description", description, required=False, label=_("说明"))
    _choice(errors, "mode", mode, ProjectMode, _("请选择派单或公开接单"))
    _choice(errors, "kind", kind, ProjectKind, _("请选择项目类型"))
    places = _whole(errors, "places", places, 1, MAX_PLACES, _("名额"))
    ids = sorted({int(n) for n in (needs or ()) if str(n).isdigit()})
    found = list(Need.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if not ids or len(found) != len(ids) or any(not can(user, NEED_REVIEW, n) for n in found):
        errors["needs"] = [_("请选择要纳入项目的需求")]
        found = []
    elif any(n.status != NeedStatus.OPEN for n in found):
        errors["needs"] = [_("只能选择待受理的需求")]
    elif len({n.compound_id for n in found}) > 1:
        errors["needs"] = [_("一个项目的需求应在同一小区")]
    start = _date(errors, "starts_on", starts_on or (min(n.wanted_from for n in found) if found else None),
                  _("开始日期"))
    end = _date(errors, "ends_on", ends_on or (max(n.wanted_to for n in found) if found else None), _("结束日期"))
    _window(errors, start, end, "starts_on", "ends_on")
    chosen_users, chosen_orgs = [], []
    if mode == ProjectMode.DISPATCH:
        from .selectors import confirmed_members, confirmed_units

        user_ids = {int(p) for p in providers or () if str(p).isdigit()}
        org_ids = {int(p) for p in units or () if str(p).isdigit()}
        chosen_users = list(confirmed_members(user).filter(user_id__in=user_ids).values_list("user_id", flat=True))
        chosen_orgs = list(confirmed_units(user).filter(organisation_id__in=org_ids)
                           .values_list("organisation_id", flat=True))
        if len(chosen_users) != len(user_ids) or len(chosen_orgs) != len(org_ids) or not user_ids | org_ids:
            errors["providers"] = [_("请从已报到的党员和单位中选择派单对象")]
        elif places is not None and len(user_ids | org_ids) > places:
            errors["places"] = [_("派单对象不能多于名额")]
    if errors:
        raise ValidationError(errors)
    first = found[0]
    project = Project(title=title, description=description, topic=first.topic, kind=kind, mode=mode,
                      places=places, starts_on=start, ends_on=end, created_by=user, compound_id=first.compound_id,
                      building_id=first.building_id if len(found) == 1 else None)
    require(user, PROJECT_MANAGE, project)
    project.save()
    for n in found:
        n.status, n.project, n.version = NeedStatus.IN_PROJECT, project, n.version + 1
        n.save(update_fields=["status", "project", "version"])
        audit(AuditAction.UPDATE, user=user, obj=n, detail="bundle", request=request,
              changes={"status": [NeedStatus.OPEN, NeedStatus.IN_PROJECT], "project": [None, project.pk]})
        _event(need=n, project=project, actor=user, action="need_in_project")
    takes = [Take(project=project, user_id=u, dispatched=True) for u in sorted(chosen_users)]
    takes += [Take(project=project, organisation_id=o, dispatched=True) for o in sorted(chosen_orgs)]
    Take.objects.bulk_create(takes)
    project.taken = len(takes)
    project.save(update_fields=["taken"])
    audit(AuditAction.CREATE, user=user, obj=project, detail="create", request=request,
          changes={"needs": ids, "mode": mode, "places": places})
    if takes:
        audit(AuditAction.UPDATE, user=user, obj=project, detail="dispatch", request=request,
              changes={"users": sorted(chosen_users), "units": sorted(chosen_orgs)})
    _event(project=project, actor=user, action="project_dispatched" if takes else "project_published")
    return project


@transaction.atomic
def project_take(*, user, project, request=None):
    """A member takes a place on a published project. The project row is locked for the whole check-and-add,
    and the database refuses more takers than places, so N places never get N+1 takers."""
    project = _locked(Project, project)
    require(user, PROJECT_TAKE, project)
    if project.status != ProjectStatus.OPEN:
        raise Conflict(_("该项目已结束，不能接单。"))
    if Take.objects.filter(project=project, user=user).exists():
        raise Conflict(_("您已接过该项目。"))
    if project.taken >= project.places:
        raise Conflict(_("该项目名额已满。"))
    try:
        with transaction.atomic():
            Take.objects.create(project=project, user=user)
            Project.objects.filter(pk=project.pk).update(taken=F("taken") + 1, version=F("version") + 1)
    except IntegrityError as e:
        raise Conflict(_("该项目名额已满。")) from e
    project.refresh_from_db(fields=["taken", "version"])
    audit(AuditAction.UPDATE, user=user, obj=project, detail="take", request=request,
          changes={"taken": [project.taken - 1, project.taken]})
    _event(project=project, actor=user, action="project_taken")
    return project


# ---- services and rating (评单) --------------------------------------------------------------------------------

MAX_PHOTOS = 9


def _clean_photos(files):
    """Each upload checked and re-encoded before any lock is taken; too many is refused before decoding any."""
    files = [f for f in (files or ()) if f]
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("每条服务记录最多上传 %d 张照片") % MAX_PHOTOS]})
    cleaned = []
    for f in files:
        try:
            cleaned.append(validate_image(f))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.message_dict.get("photo", exc.messages)}) from exc
    return cleaned


def _store_photos(user, service, cleaned, request=None):
    for clean in cleaned:
        photo = store_photo(ServicePhoto(service=service, uploaded_by=user), clean, save=lambda p: p.save())
        audit(AuditAction.CREATE, user=user, obj=photo, request=request, changes={"service": [None, service.pk]})


def service_record(*, user, project, served_on, hours, people_served=1, note="", organisation=None, photos=(),
                   request=None):
    """A taker records a day's service on a project: as themselves, or for the unit the project was
    dispatched to, with photos of it if they like. The residents whose needs the project answers are asked to
    rate it."""
    cleaned = _clean_photos(photos)
    return _service_record(user=user, project=project, served_on=served_on, hours=hours,
                           people_served=people_served, note=note, organisation=organisation, photos=cleaned,
                           request=request)


@transaction.atomic
def _service_record(*, user, project, served_on, hours, people_served, note, organisation, photos, request):
    errors = {}
    project = _locked(Project, project)
    require(user, PROJECT_SERVE, project)
    day = _date(errors, "served_on", served_on, _("服务日期"))
    if day and day > timezone.localdate():
        errors["served_on"] = [_("服务日期不能晚于今天")]
    hours = parse_hours(errors, hours)
    people_served = _whole(errors, "people_served", people_served, 1, MAX_PEOPLE, _("服务人数"))
    note = _text(errors, "note", note, required=False, label=_("服务内容"))
    org = None
    if organisation not in (None, ""):
        org_id = int(organisation) if str(organisation).isdigit() else None
        if org_id is None or not project.takes.filter(organisation_id=org_id).exists() or not acts_for(user, org_id):
            errors["organisation"] = [_("请选择接到该项目派单的单位")]
        else:
            org = Organisation.objects.get(pk=org_id)
    elif not project.takes.filter(user=user).exists():
        errors["organisation"] = [_("请选择接到该项目派单的单位")]
    if errors:
        raise ValidationError(errors)
    if project.status == ProjectStatus.CLOSED:
        raise Conflict(_("该项目已关闭。"))
    service = ServiceRecord.objects.create(
        project=project, provider=user, organisation=org, served_on=day, hours=hours, people_served=people_served,
        note=note, compound_id=project.compound_id, building_id=project.building_id)
    posters = sorted(set(project.needs.exclude(poster=None).values_list("poster_id", flat=True)))
    Served.objects.bulk_create([Served(service=service, user_id=p) for p in posters])
    audit(AuditAction.CREATE, user=user, obj=service, detail="record", request=request,
          changes={"project": project.pk, "hours": str(hours), "people_served": people_served})
    _store_photos(user, service, photos, request)
    _event(service=service, project=project, actor=user, action="service_recorded")
    return service


def service_photo_add(*, user, service, file, request=None):
    """A provider adds a photo to their service until the community confirms it."""
    if not file:
        raise ValidationError({"photos": [_("请选择图片")]})
    cleaned = _clean_photos([file])
    with transaction.atomic():
        service = _locked(ServiceRecord, service)
        if not can(user, SERVICE_VIEW, service):
            raise Http404
        if service.provider_id != user.pk:
            raise ValidationError({"photos": [_("只有服务人可以上传服务照片")]})
        if service.status != ServiceStatus.RECORDED:
            raise Conflict(_("服务已确认，不能再上传照片。"))
        if service.photos.count() >= MAX_PHOTOS:
            raise ValidationError({"photos": [_("每条服务记录最多上传 %d 张照片") % MAX_PHOTOS]})
        _store_photos(user, service, cleaned, request)
    return service


@transaction.atomic
def service_rate(*, user, service, rating, comment="", request=None):
    """The resident served rates a service once."""
    errors = {}
    service = _locked(ServiceRecord, service)
    require(user, SERVICE_RATE, service)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    if rating not in Rating.values:
        errors["rating"] = [_("请选择满意、基本满意或不满意")]
    comment = _text(errors, "comment", comment, required=False, limit=REASON_MAX, label=_("评价意见"))
    if errors:
        raise ValidationError(errors)
    row = Served.objects.select_for_update().get(service=service, user=user)
    if row.rating is not None:
        raise Conflict(_("您已评价过这次服务。"))
    row.rating, row.comment, row.rated_at = rating, comment, timezone.now()
    row.save(update_fields=["rating", "comment", "rated_at"])
    audit(AuditAction.UPDATE, user=user, obj=service, detail="rate", request=request, changes={"rating": rating})
    _event(service=service, actor=user, action="service_rated")
    return row


def points_for(hours):
    return int(hours * getattr(settings, "LISTS_POINTS_PER_HOUR", 10))


@transaction.atomic
def service_confirm(*, user, service, version=None, request=None):
    """The community confirms a service: it enters the ledger (hours for the person, or for the unit, and
    points for a person), and the project's needs are done once the project is one-off."""
    service = _locked(ServiceRecord, service)
    require(user, SERVICE_CONFIRM, service)
    _check(service, version)
    if service.status != ServiceStatus.RECORDED:
        raise Conflict(_("该服务记录已确认。"))
    service.status, service.confirmed_by, service.confirmed_at = ServiceStatus.CONFIRMED, user, timezone.now()
    service.version += 1
    service.save(update_fields=["status", "confirmed_by", "confirmed_at", "version"])
    entry = LedgerEntry(service=service, year=service.served_on.year, hours=service.hours, by=user,
                        compound_id=service.compound_id, building_id=service.building_id)
    if service.organisation_id:
        entry.organisation_id = service.organisation_id
    else:
        entry.person_id, entry.points = service.provider_id, points_for(service.hours)
    entry.save()
    audit(AuditAction.UPDATE, user=user, obj=service, detail="confirm", request=request,
          changes={"status": [ServiceStatus.RECORDED, ServiceStatus.CONFIRMED]})
    audit(AuditAction.CREATE, user=user, obj=entry, detail="credit", request=request,
          changes={"hours": str(entry.hours), "points": entry.points, "year": entry.year})
    project = Project.objects.select_for_update().get(pk=service.project_id)
    if project.kind == ProjectKind.ONE_OFF and project.status == ProjectStatus.OPEN:
        project.status, project.version = ProjectStatus.DONE, project.version + 1
        project.save(update_fields=["status", "version"])
        project.needs.filter(status=NeedStatus.IN_PROJECT).update(status=NeedStatus.DONE, version=F("version") + 1)
    _event(service=service, project=project, actor=user, action="service_confirmed")
    return service


def ledger_credit(*, person, hours, year, compound_id, source, reason, by=None, points=None, building_id=None):
    """Credit a person for service given through another capability (an activity's volunteer, a rider's
    confirmed report): one ledger line, once per `source`. The caller has checked its own rules; this writes
    inside the caller's transaction. Returns the line, or None when that source was credited already."""
    hours = Decimal(hours)
    if hours < 0 or hours > 24:
        raise ValueError(f"hours out of range: {hours}")
    if not source or len(source) > LedgerEntry._meta.get_field("source").max_length:
        raise ValueError(f"bad source: {source!r}")
    if LedgerEntry.objects.filter(source=source, reverses__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                person=person, year=year, hours=hours, points=points_for(hours) if points is None else points,
                reason=reason[:REASON_MAX], source=source, by=by, compound_id=compound_id, building_id=building_id)
    except IntegrityError:  # credited by a concurrent caller a moment ago
        return None
    audit(AuditAction.CREATE, user=by, obj=entry, detail="credit",
          changes={"hours": str(entry.hours), "points": entry.points, "year": entry.year, "source": source})
    return entry


@transaction.atomic
def ledger_correct(*, user, entry, reason, request=None):
    """Reverse one ledger line with a new line of the opposite hours and points. A line that does not exist,
    is a reversal itself or was reversed already matches nothing to correct: refused."""
    errors = {}
    reason = _text(errors, "reason", reason, limit=REASON_MAX, label=_("冲正原因"))
    original = LedgerEntry.objects.select_for_update().filter(pk=getattr(entry, "pk", entry)).first() \
        if str(getattr(entry, "pk", entry)).isdigit() else None
    if original is None or not can(user, LEDGER_CORRECT, original):
        errors["entry"] = [_("没有找到要冲正的台账记录")]
    elif original.reverses_id is not None:
        errors["entry"] = [_("冲正记录不能再冲正")]
    elif LedgerEntry.objects.filter(reverses=original).exists():
        errors["entry"] = [_("该台账记录已冲正过")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            reversal = LedgerEntry.objects.create(
                service=original.service, person=original.person, organisation=original.organisation,
                year=original.year, hours=-original.hours, points=-original.points, reverses=original,
                reason=reason, source=original.source, by=user, compound_id=original.compound_id, building_id=original.building_id)
    except IntegrityError as e:  # reversed by someone else in the meantime (one reversal per line)
        raise ValidationError({"entry": [_("该台账记录已冲正过")]}) from e
    audit(AuditAction.CREATE, user=user, obj=reversal, detail="correct", request=request,
          changes={"reverses": original.pk, "hours": str(reversal.hours)})
    return reversal
