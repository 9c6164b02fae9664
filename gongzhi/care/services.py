"""Writes of assistance cases: each keyword-only, atomic, checked against the policy, audited, and written to
the case's timeline in the same transaction. Bad input raises ValidationError ({field: [message]}) before
anything is written; a record someone changed first raises Conflict; a record outside the user's reach, 404.

Audit entries of a case name no circumstance: the clear texts (findings, health, finances, notes) are never
in `changes`, only that they changed (core.audit.SENSITIVE)."""
import datetime
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import can, deny, require
from gongzhi.appeals.capability import APPEAL_DISPATCH
from gongzhi.appeals.models import Appeal
from gongzhi.core import crypto, timeline
from gongzhi.core.audit import SENSITIVE, audit
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Household
from gongzhi.orgs.models import Organisation, OrgKind
from gongzhi.people.models import Resident

from .capability import (CASE_ASSIGN, CASE_EXPORT, CASE_REFER, CASE_SERVE, CASE_VIEW, CASE_WORK, MEASURE_DECIDE,
                         VISIT_RECORD)
from .models import (OPEN_OUTCOMES, TEMPLATES, Case, CaseType, CareEvent, CareVisit, CaseWorker, DibaoStage,
                     FollowUp, Measure, MeasureKind, Outcome, Period, Stage)

TEXT_MAX = 2000
SHORT_MAX = 300
TITLE_MAX = 100
NAME_MAX = 50
MAX_AMOUNT = Decimal("1000000")
# The hardship category of appeals: the one the desk may turn into a referral.
HARDSHIP_CATEGORY = "hardship"
# Kinds of measure an outside organisation decides (a charity's scholarship, another organisation's help).
ORG_KINDS = (MeasureKind.SCHOLARSHIP, MeasureKind.OTHER)
ORG_TYPES = (OrgKind.SOCIAL_ORG, OrgKind.RESIDENT_UNIT)
DIBAO_ORDER = list(DibaoStage.values)


class Conflict(CoreConflict):
    """Someone changed the record first: nothing was written (409 in the API)."""


def _event(**kw):
    kw.setdefault("internal", True)
    event = CareEvent.objects.create(notify_pending=timeline.wanted(), **kw)
    timeline.written(event)
    return event


# ---- input -------------------------------------------------------------------------------------------------

def _text(errors, field, value, *, required=True, limit=TEXT_MAX, label=""):
    value = str(value or "").strip()
    if limit <= TITLE_MAX:
        value = " ".join(value.split())
    if required and not value:
        errors[field] = [_("请填写%(label)s") % {"label": label}]
    elif len(value) > limit:
        errors[field] = [_("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}]
    return value


def _date(errors, field, value, label, *, required=True, not_before=None, not_after=None):
    """A date, optionally bounded: never before the referral (not_before), never in the future (not_after)."""
    if value in (None, "") and not required:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[field] = [_("请填写有效的%(label)s（年-月-日）") % {"label": label}]
            return None
    if not_before is not None and value < not_before:
        errors[field] = [_("%(label)s不能早于%(day)s") % {"label": label, "day": not_before.isoformat()}]
    elif not_after is not None and value > not_after:
        errors[field] = [_("%(label)s不能晚于今天") % {"label": label}]
    return value


def _amount(errors, field, value, *, required=False):
    if value in (None, ""):
        if required:
            errors[field] = [_("请填写金额")]
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = [_("金额应为数字（元）")]
        return None
    if not amount.is_finite():
        errors[field] = [_("金额应为数字（元）")]
    elif amount < 0:
        errors[field] = [_("金额不能为负数")]
    elif amount > MAX_AMOUNT:
        errors[field] = [_("金额不能超过%(n)s元") % {"n": MAX_AMOUNT}]
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = [_("金额最多保留两位小数")]
    else:
        return amount
    return None


def _choice(errors, field, value, choices, message, *, required=True):
    if not value and not required:
        return ""
    if value not in choices.values:
        errors[field] = [message]
    return value


def _check(obj, version):
    if version not in (None, "") and str(version) != str(obj.version):
        raise Conflict(_("该记录已被他人修改，请刷新后重试。"))


def _locked(model, pk):
    obj = model.objects.select_for_update().filter(pk=getattr(pk, "pk", pk)).first()
    if obj is None:
        raise Http404
    return obj


def _bump(obj, *fields):
    obj.version += 1
    obj.save(update_fields=[*fields, "version"])


def referral_day(case):
    return timezone.localtime(case.referred_at).date()


def _today():
    return timezone.localdate()


# ---- referral (转介) -----------------------------------------------------------------------------------------

def _place_at(obj, household):
    obj.household = household
    obj.building_id = household.building_id
    obj.compound_id = household.building.compound_id


@transaction.atomic
def refer(*, user, household, note, request=None):
    """Any staff user refers a household of their place, with what they saw. They will follow its broad status."""
    errors = {}
    note = _text(errors, "note", note, label=_("情况说明"))
    home = Household.objects.select_related("building").filter(pk=household).first() \
        if str(household or "").isdigit() else None
    case = Case(referred_by=user, referral_note_enc=crypto.encrypt(note))
    if home is None:
        errors["household"] = [_("请选择要转介的户")]
    else:
        _place_at(case, home)
        if not can(user, CASE_REFER, case):
            errors["household"] = [_("该户不在您可以转介的范围内")]
    if errors:
        raise ValidationError(errors)
    case.save()
    audit(AuditAction.CREATE, user=user, obj=case, detail="refer", request=request,
          changes={"stage": [None, case.stage], "household": [None, home.pk], "referral_note": ["", SENSITIVE]})
    _event(case=case, actor=user, action="referred")
    return case


@transaction.atomic
def refer_from_appeal(*, user, appeal, request=None):
    """The desk turns a 困难求助 appeal into a referral: the case names the appeal, the appeal lists the case."""
    appeal = Appeal.objects.select_for_update().select_related("category").filter(pk=getattr(appeal, "pk", appeal)).first()
    if appeal is None:
        raise Http404
    require(user, APPEAL_DISPATCH, appeal)
    if appeal.category.code != HARDSHIP_CATEGORY:
        raise ValidationError({"appeal": [_("只有“困难求助”类诉求可以转为帮扶转介")]})
    if appeal.care_cases.exists():
        raise ValidationError({"appeal": [_("该诉求已转为帮扶转介")]})
    case = Case(referred_by=user, appeal=appeal, compound_id=appeal.compound_id, building_id=appeal.building_id,
                household_id=appeal.household_id,
                referral_note_enc=crypto.encrypt(f"{appeal.title}\n{appeal.description}".strip()))
    if not can(user, CASE_REFER, case):
        deny(user, CASE_REFER, appeal)
        raise Http404
    case.save()
    audit(AuditAction.CREATE, user=user, obj=case, detail="refer_from_appeal", request=request,
          changes={"stage": [None, case.stage], "appeal": [None, appeal.pk]})
    _event(case=case, actor=user, action="referred", note=_("由诉求 %(ref)s 转介") % {"ref": appeal.pk})
    return case


# ---- assignment and verification -----------------------------------------------------------------------------

@transaction.atomic
def assign(*, user, case, worker, request=None):
    case = _locked(Case, case)
    require(user, CASE_ASSIGN, case)
    person = User.objects.filter(pk=worker, is_active=True).first() if str(worker or "").isdigit() else None
    if person is None or not can(person, CASE_SERVE, case):
        raise ValidationError({"worker": [_("请选择该户所在网格的社区工作者或网格员")]})
    if case.workers.filter(user=person).exists():
        raise ValidationError({"worker": [_("该人员已是本个案的工作者")]})
    CaseWorker.objects.create(case=case, user=person, assigned_by=user)
    changes = {"workers": [None, person.get_username()]}
    if case.stage == Stage.REFERRED:
        case.stage = Stage.VERIFYING
        changes["stage"] = [Stage.REFERRED, Stage.VERIFYING]
        _bump(case, "stage")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="assign", request=request, changes=changes)
    _event(case=case, actor=user, action="assigned", note=str(person))
    return case


@transaction.atomic
def unassign(*, user, case, worker, replacement=None, version=None, request=None):
    """The community's leadership takes a case worker off a case; from the commit on, the worker reads nothing
    of it (page, API, lists, search, notifications). A case being verified or helped always keeps a worker:
    removing its last one needs a replacement, assigned in the same step. Open measures the removed worker
    owned pass to the replacement, else to the longest-serving worker left."""
    case = _locked(Case, case)
    require(user, CASE_ASSIGN, case)
    errors = {}
    link = case.workers.select_related("user").filter(user_id=worker).first() if str(worker or "").isdigit() \
        else None
    if link is None:
        errors["worker"] = [_("该人员不是本个案的工作者")]
    successor = None
    if replacement not in (None, ""):
        successor = User.objects.filter(pk=replacement, is_active=True).first() \
            if str(replacement).isdigit() else None
        if successor is None or not can(successor, CASE_SERVE, case):
            errors["replacement"] = [_("请选择该户所在网格的社区工作者或网格员")]
        elif link is not None and successor.pk == link.user_id:
            errors["replacement"] = [_("接替人不能是被移除的工作者本人")]
        elif case.workers.filter(user=successor).exists():
            errors["replacement"] = [_("该人员已是本个案的工作者")]
    if errors:
        raise ValidationError(errors)
    _check(case, version)
    person = link.user
    others = list(case.workers.exclude(pk=link.pk).select_related("user").order_by("assigned_at", "id"))
    if not others and successor is None and case.stage in (Stage.VERIFYING, Stage.OPEN):
        raise ValidationError({"replacement": [
            _("%(name)s是该个案唯一的工作者：个案办理中不能没有工作者，请同时选择接替人。") % {"name": person}]})
    link.delete()
    if successor is not None:
        CaseWorker.objects.create(case=case, user=successor, assigned_by=user)
    heir = successor or (others[0].user if others else None)
    handed = []
    if heir is not None:
        for m in case.measures.select_for_update().filter(owner=person, outcome__in=OPEN_OUTCOMES):
            m.owner = heir
            m.version += 1
            m.save(update_fields=["owner", "version"])
            audit(AuditAction.UPDATE, user=user, obj=m, detail="update", request=request,
                  changes={"owner": [person.get_username(), heir.get_username()]})
            handed.append(m.pk)
    timeline.access_withdrawn("care", case.pk, person.pk)
    changes = {"workers": [person.get_username(), successor.get_username() if successor else None]}
    if handed:
        changes["measures_handed_over"] = [None, len(handed)]
    _bump(case, "stage")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="unassign", request=request, changes=changes)
    _event(case=case, actor=user, action="unassigned", note=str(person))
    if successor is not None:
        _event(case=case, actor=user, action="assigned", note=str(successor))
    return case


def _applicant(errors, case, value):
    if value in (None, ""):
        return None
    person = Resident.objects.filter(pk=value).first() if str(value).isdigit() else None
    if person is None or case.household_id is None or person.household_id != case.household_id:
        errors["applicant"] = [_("申请人应为该户的登记居民")]
        return None
    return person


def _size(errors, value):
    if value in (None, ""):
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        n = None
    if n is None or not 1 <= n <= 30:
        errors["household_size"] = [_("家庭人口应在1到30之间")]
        return None
    return n


@transaction.atomic
def verify(*, user, case, visited_on, findings, decision, visited_with="", documents_seen="", reason="",
           case_type="", health="", finances="", household_size=None, applicant=None, version=None,
           request=None):
    """The case worker records the home visit and decides: not eligible (with the reason), or open the case."""
    case = _locked(Case, case)
    require(user, CASE_WORK, case)
    errors = {}
    visited_on = _date(errors, "visited_on", visited_on, _("核实日期"), not_before=referral_day(case),
                       not_after=_today())
    findings = _text(errors, "findings", findings, label=_("核实情况"))
    visited_with = _text(errors, "visited_with", visited_with, required=False, limit=TITLE_MAX, label=_("同去人员"))
    documents_seen = _text(errors, "documents_seen", documents_seen, required=False, limit=SHORT_MAX,
                           label=_("查验材料"))
    health = _text(errors, "health", health, required=False, label=_("健康状况"))
    finances = _text(errors, "finances", finances, required=False, label=_("经济状况"))
    size = _size(errors, household_size)
    person = _applicant(errors, case, applicant)
    if decision not in ("open", "not_eligible"):
        errors["decision"] = [_("请选择核实结论")]
    elif decision == "not_eligible":
        reason = _text(errors, "reason", reason, limit=SHORT_MAX, label=_("不符合条件的原因"))
    else:
        _choice(errors, "case_type", case_type, CaseType, _("请选择困难类型"))
    if errors:
        raise ValidationError(errors)
    _check(case, version)
    if case.stage != Stage.VERIFYING:
        raise Conflict(_("该个案不在核实阶段，请刷新查看。"))
    case.verified_on, case.verified_with, case.documents_seen = visited_on, visited_with, documents_seen
    case.findings_enc, case.health_enc, case.finances_enc = (crypto.encrypt(findings), crypto.encrypt(health),
                                                            crypto.encrypt(finances))
    case.household_size, case.applicant = size, person
    case.decided_at = timezone.now()
    before = case.stage
    if decision == "open":
        case.stage, case.case_type = Stage.OPEN, case_type
        due = visited_on + datetime.timedelta(days=TEMPLATES[case_type].followup_days)
        FollowUp.objects.create(case=case, due_on=due)
        case.next_followup_on = due
    else:
        case.stage, case.decision_reason = Stage.NOT_ELIGIBLE, reason
    _bump(case, "verified_on", "verified_with", "documents_seen", "findings_enc", "health_enc", "finances_enc",
          "household_size", "applicant", "decided_at", "stage", "case_type", "decision_reason", "next_followup_on")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="open" if decision == "open" else "not_eligible",
          request=request, changes={"stage": [before, case.stage], "case_type": ["", case.case_type],
                                    "findings": ["", SENSITIVE], "health": ["", SENSITIVE if health else ""],
                                    "finances": ["", SENSITIVE if finances else ""]})
    _event(case=case, actor=user, action="opened" if decision == "open" else "not_eligible",
           note=reason if decision == "not_eligible" else "")
    return case


# ---- measures ----------------------------------------------------------------------------------------------

def _owner(errors, case, value, user):
    if value in (None, ""):
        return user
    person = User.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if person is None or not case.workers.filter(user=person).exists():
        errors["owner"] = [_("负责人应为本个案的工作者")]
        return None
    return person


def _organisation(errors, kind, value):
    if value in (None, ""):
        if kind == MeasureKind.SCHOLARSHIP:
            errors["organisation"] = [_("助学金须选择发放的社会组织")]
        return None
    org = Organisation.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if org is None or org.kind not in ORG_TYPES:
        errors["organisation"] = [_("请选择社会组织或驻区单位")]
        return None
    if kind not in ORG_KINDS:
        errors["organisation"] = [_("该类措施不交由外部组织办理")]
        return None
    return org


@transaction.atomic
def measure_add(*, user, case, kind, started_on, title="", owner=None, organisation=None, provider_name="",
                beneficiary_name="", application_note="", amount=None, period="", request=None):
    case = _locked(Case, case)
    require(user, CASE_WORK, case)
    errors = {}
    _choice(errors, "kind", kind, MeasureKind, _("请选择帮扶措施"))
    title = _text(errors, "title", title, required=False, limit=TITLE_MAX, label=_("内容"))
    started_on = _date(errors, "started_on", started_on, _("开始日期"), not_before=referral_day(case))
    person = _owner(errors, case, owner, user)
    org = _organisation(errors, kind, organisation)
    provider_name = _text(errors, "provider_name", provider_name, required=False, limit=TITLE_MAX,
                          label=_("提供方"))
    beneficiary_name = _text(errors, "beneficiary_name", beneficiary_name, required=False, limit=NAME_MAX,
                             label=_("受助人"))
    application_note = _text(errors, "application_note", application_note, required=org is not None,
                             label=_("申请说明"))
    amount = _amount(errors, "amount", amount)
    period = _choice(errors, "period", period, Period, _("请选择发放方式"), required=False)
    if errors:
        raise ValidationError(errors)
    if case.stage != Stage.OPEN:
        raise Conflict(_("个案未在帮扶中，不能新增措施。"))
    m = Measure(case=case, kind=kind, title=title, owner=person, organisation=org, provider_name=provider_name,
                beneficiary_name=beneficiary_name, application_note=application_note, started_on=started_on,
                amount=amount, period=period, compound_id=case.compound_id, building_id=case.building_id,
                household_id=case.household_id)
    if kind == MeasureKind.DIBAO:
        m.dibao_stage, m.applied_on, m.outcome = DibaoStage.APPLICATION, started_on, Outcome.IN_PROGRESS
    elif org is not None:
        m.outcome = Outcome.IN_PROGRESS
    m.save()
    audit(AuditAction.CREATE, user=user, obj=m, detail="add", request=request,
          changes={"case": [None, case.pk], "kind": [None, kind], "organisation": [None, org.pk if org else None],
                   "amount": [None, str(amount) if amount is not None else None]})
    _event(case=case, measure=m, actor=user, action="measure_sent" if org else "measure_added")
    return m


def _stage_date(errors, field, value, label, not_before):
    return _date(errors, field, value, label, not_before=not_before, not_after=_today())


@transaction.atomic
def measure_update(*, user, measure, version=None, outcome=None, ended_on=None, amount=None, period=None,
                   dibao_stage=None, on=None, notice_to=None, note="", request=None):
    """The case worker moves a measure on: a 低保 application to its next stage (with that stage's date), any
    other measure to its outcome. A measure sent to an organisation is decided by that organisation."""
    measure = _locked(Measure, measure)
    case = Case.objects.select_for_update().get(pk=measure.case_id)
    require(user, CASE_WORK, case)
    errors = {}
    note = _text(errors, "note", note, required=False, limit=SHORT_MAX, label=_("说明"))
    new_amount = _amount(errors, "amount", amount)
    period = _choice(errors, "period", period, Period, _("请选择发放方式"), required=False)
    floor = referral_day(case)
    changes = {}
    if measure.kind == MeasureKind.DIBAO and dibao_stage:
        _dibao_step(errors, measure, dibao_stage, on, notice_to, outcome, new_amount, floor, changes)
    else:
        if outcome not in (None, ""):
            _choice(errors, "outcome", outcome, Outcome, _("请选择结果"))
            if measure.organisation_id and outcome in (Outcome.APPROVED, Outcome.REFUSED):
                errors["outcome"] = [_("该措施由承办组织“%(org)s”决定") % {"org": measure.organisation}]
            elif measure.kind == MeasureKind.DIBAO and outcome in (Outcome.APPROVED, Outcome.REFUSED):
                errors["outcome"] = [_("低保的审批结果请在“审批决定”阶段记录")]
        ended = _date(errors, "ended_on", ended_on, _("结束日期"), required=False,
                      not_before=max(floor, measure.started_on))
        if not errors:
            if outcome and outcome != measure.outcome:
                changes["outcome"] = [measure.outcome, outcome]
                measure.outcome = outcome
            if ended is not None and ended != measure.ended_on:
                changes["ended_on"] = [str(measure.ended_on or ""), str(ended)]
                measure.ended_on = ended
            if new_amount is not None and new_amount != measure.amount:
                changes["amount"] = [str(measure.amount) if measure.amount is not None else None, str(new_amount)]
                measure.amount = new_amount
    if period and period != measure.period and not errors:
        changes["period"] = [measure.period, period]
        measure.period = period
    if errors:
        raise ValidationError(errors)
    _check(measure, version)
    if case.stage != Stage.OPEN:
        raise Conflict(_("个案未在帮扶中，不能更新措施。"))
    if not changes:
        raise ValidationError({"__all__": [_("没有需要更新的内容")]})
    measure.decision_note = note or measure.decision_note
    measure.version += 1
    measure.save()
    audit(AuditAction.UPDATE, user=user, obj=measure, detail="update", request=request, changes=changes)
    _event(case=case, measure=measure, actor=user, action="measure_updated", note=note)
    return measure


def _dibao_step(errors, m, stage, on, notice_to, outcome, amount, floor, changes):
    if stage not in DIBAO_ORDER:
        errors["dibao_stage"] = [_("请选择低保办理阶段")]
        return
    if not m.is_open:
        errors["dibao_stage"] = [_("该低保申请已有结果")]
        return
    current = DIBAO_ORDER.index(m.dibao_stage) if m.dibao_stage else -1
    if DIBAO_ORDER.index(stage) != current + 1:
        errors["dibao_stage"] = [_("低保须依次办理：申请、调查评议、公示、审批决定")]
        return
    previous = {DibaoStage.ASSESSMENT: m.applied_on, DibaoStage.PUBLIC_NOTICE: m.assessed_on,
                DibaoStage.DECISION: m.notice_to}.get(stage)
    label = dict(DibaoStage.choices)[stage]
    day = _date(errors, "on", on, label, not_before=max(d for d in (floor, previous) if d is not None),
                not_after=None if stage == DibaoStage.PUBLIC_NOTICE else _today())
    if stage == DibaoStage.PUBLIC_NOTICE and m.case.applicant_id is None:
        errors["dibao_stage"] = [_("公示前请先在个案中登记申请人")]
    elif stage == DibaoStage.PUBLIC_NOTICE and day is not None and "on" not in errors:
        end = _date(errors, "notice_to", notice_to, _("公示结束"), not_before=day)
        if end is not None and "notice_to" not in errors:
            m.notice_from, m.notice_to = day, end
            m.notice_code = m.notice_code or secrets.token_urlsafe(12)
    elif stage == DibaoStage.DECISION:
        if outcome not in (Outcome.APPROVED, Outcome.REFUSED):
            errors["outcome"] = [_("请选择审批结果（批准或不批准）")]
        elif outcome == Outcome.APPROVED and not amount:
            errors["amount"] = [_("批准低保须填写每月保障金额")]
        if not errors:
            m.decided_on, m.outcome = day, outcome
            if outcome == Outcome.APPROVED:
                m.amount, m.period = amount, Period.MONTHLY
            changes["outcome"] = [Outcome.IN_PROGRESS, outcome]
    elif stage == DibaoStage.ASSESSMENT and not errors:
        m.assessed_on = day
    if not errors:
        changes["dibao_stage"] = [m.dibao_stage, stage]
        m.dibao_stage = stage


@transaction.atomic
def measure_decide(*, user, measure, approved, decided_on, amount=None, period="", note="", version=None,
                   request=None):
    """The outside organisation a measure was sent to records its decision, through its own account."""
    measure = _locked(Measure, measure)
    require(user, MEASURE_DECIDE, measure)
    errors = {}
    if not isinstance(approved, bool):
        errors["approved"] = [_("请选择是否资助")]
    decided_on = _date(errors, "decided_on", decided_on, _("决定日期"), not_before=measure.started_on,
                       not_after=_today())
    amount = _amount(errors, "amount", amount, required=approved is True)
    if approved is True and amount is not None and amount <= 0:
        errors["amount"] = [_("资助金额应大于0")]
    period = _choice(errors, "period", period, Period, _("请选择发放方式"), required=False)
    note = _text(errors, "note", note, required=approved is False, limit=SHORT_MAX, label=_("说明"))
    if errors:
        raise ValidationError(errors)
    _check(measure, version)
    if not measure.is_open:
        raise Conflict(_("该申请已有决定，请刷新查看。"))
    before = measure.outcome
    measure.outcome = Outcome.APPROVED if approved else Outcome.REFUSED
    measure.decided_on, measure.decided_by, measure.decision_note = decided_on, user, note
    if approved:
        measure.amount, measure.period = amount, period or measure.period
    measure.version += 1
    measure.save()
    audit(AuditAction.UPDATE, user=user, obj=measure, detail="decide", request=request,
          changes={"outcome": [before, measure.outcome],
                   "amount": [None, str(measure.amount) if approved else None]})
    _event(case=measure.case, measure=measure, actor=user, action="measure_decided", note=note, internal=False)
    return measure


# ---- follow-up -----------------------------------------------------------------------------------------------

@transaction.atomic
def followup_record(*, user, case, done_on, note, request=None):
    """A follow-up visit done: the pending one is closed and the next is scheduled by the case type."""
    case = _locked(Case, case)
    require(user, CASE_WORK, case)
    errors = {}
    done_on = _date(errors, "done_on", done_on, _("回访日期"), not_before=referral_day(case), not_after=_today())
    note = _text(errors, "note", note, label=_("回访情况"))
    if errors:
        raise ValidationError(errors)
    if case.stage != Stage.OPEN:
        raise Conflict(_("个案未在帮扶中，不能记录回访。"))
    pending = case.followups.filter(done_on__isnull=True).first() or FollowUp(case=case, due_on=done_on)
    pending.done_on, pending.done_by, pending.note_enc = done_on, user, crypto.encrypt(note)
    pending.save()
    due = done_on + datetime.timedelta(days=TEMPLATES[case.case_type].followup_days)
    FollowUp.objects.create(case=case, due_on=due)
    case.next_followup_on = due
    _bump(case, "next_followup_on")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="followup", request=request,
          changes={"followup": [None, str(done_on)], "next_followup_on": [None, str(due)], "note": ["", SENSITIVE]})
    _event(case=case, actor=user, action="followup_recorded")
    return pending


def remind_due_followups(today=None):
    """Tell the case workers of each follow-up now due, once (the deadline watch calls this every round)."""
    today = today or _today()
    reminded = 0
    due = FollowUp.objects.filter(done_on__isnull=True, reminded_at__isnull=True, due_on__lte=today,
                                  case__stage=Stage.OPEN).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            f = FollowUp.objects.select_for_update().filter(pk=pk, reminded_at__isnull=True).first()
            if f is None:
                continue
            f.reminded_at = timezone.now()
            f.save(update_fields=["reminded_at"])
            _event(case_id=f.case_id, action="followup_due", note=f.due_on.isoformat())
            reminded += 1
    return reminded


# ---- closing ---------------------------------------------------------------------------------------------------

@transaction.atomic
def close(*, user, case, review, confirm_open=False, version=None, request=None):
    """Close with a review. Measures still open must be confirmed: they are then cancelled with the case."""
    case = _locked(Case, case)
    require(user, CASE_WORK, case)
    errors = {}
    review = _text(errors, "review", review, label=_("结案评估"))
    if errors:
        raise ValidationError(errors)
    _check(case, version)
    if case.stage != Stage.OPEN:
        raise Conflict(_("个案未在帮扶中，不能结案。"))
    still_open = list(case.measures.select_for_update().filter(outcome__in=OPEN_OUTCOMES))
    if still_open and not confirm_open:
        raise ValidationError({"confirm_open": [
            _("尚有%(n)s项措施未办结（%(names)s）：请确认后结案，这些措施将一并取消。")
            % {"n": len(still_open), "names": "、".join(m.get_kind_display() for m in still_open)}]})
    today = _today()
    for m in still_open:
        m.outcome, m.ended_on = Outcome.CANCELLED, max(today, m.started_on)
        m.version += 1
        m.save(update_fields=["outcome", "ended_on", "version"])
        audit(AuditAction.UPDATE, user=user, obj=m, detail="update", request=request,
              changes={"outcome": [Outcome.IN_PROGRESS, Outcome.CANCELLED]})
    case.followups.filter(done_on__isnull=True).delete()
    case.stage, case.review, case.closed_at, case.next_followup_on = Stage.CLOSED, review, timezone.now(), None
    _bump(case, "stage", "review", "closed_at", "next_followup_on")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="close", request=request,
          changes={"stage": [Stage.OPEN, Stage.CLOSED], "measures_cancelled": [None, len(still_open)]})
    _event(case=case, actor=user, action="closed")
    return case


@transaction.atomic
def reopen(*, user, case, reason, request=None):
    """A closed case is helped again (the next follow-up from today); a refusal goes back to verification."""
    case = _locked(Case, case)
    if not (can(user, CASE_WORK, case) or can(user, CASE_ASSIGN, case)):
        deny(user, CASE_WORK, case)
        raise Http404
    errors = {}
    reason = _text(errors, "reason", reason, limit=SHORT_MAX, label=_("重新开案的原因"))
    if errors:
        raise ValidationError(errors)
    before = case.stage
    if before == Stage.CLOSED:
        due = _today() + datetime.timedelta(days=TEMPLATES[case.case_type].followup_days)
        FollowUp.objects.create(case=case, due_on=due)
        case.stage, case.next_followup_on, case.closed_at = Stage.OPEN, due, None
    elif before == Stage.NOT_ELIGIBLE:
        case.stage, case.decision_reason = Stage.VERIFYING, ""
    else:
        raise Conflict(_("该个案未结案，无需重新开案。"))
    _bump(case, "stage", "next_followup_on", "closed_at", "decision_reason")
    audit(AuditAction.UPDATE, user=user, obj=case, detail="reopen", request=request,
          changes={"stage": [before, case.stage]})
    _event(case=case, actor=user, action="reopened", note=reason)
    return case


# ---- reading, audited -------------------------------------------------------------------------------------------

def case_viewed(*, user, case, request=None):
    """Every view of a case is in the audit log (the page, the API)."""
    audit(AuditAction.REVEAL, user=user, obj=case, detail="view", request=request)


def reveal(*, user, case, request=None):
    """The clear health and financial details, findings and referral note, for one who may read the case."""
    require(user, CASE_VIEW, case)
    audit(AuditAction.REVEAL, user=user, obj=case, detail="reveal", request=request)
    return {"referral_note": case.referral_note_clear(), "findings": case.findings_clear(),
            "health": case.health_clear(), "finances": case.finances_clear(),
            "followups": {f.pk: f.note_clear() for f in case.followups.all()}}


def export_cases(*, user, reason, request=None):
    """The cases the user may export, once a reason is stated; the export itself is audited with it."""
    if not can(user, CASE_EXPORT):
        deny(user, CASE_EXPORT)
        raise Http404
    errors = {}
    reason = _text(errors, "reason", reason, limit=SHORT_MAX, label=_("导出事由"))
    if not errors and len(reason) < 4:
        errors["reason"] = [_("请具体说明导出事由（至少4个字）")]
    if errors:
        raise ValidationError(errors)
    from . import selectors

    rows = list(selectors.cases(user, action=CASE_EXPORT))
    audit(AuditAction.EXPORT, user=user, object_type="care.case", detail="export", request=request,
          changes={"reason": reason, "rows": len(rows)})
    return rows


# ---- home visits (走访) -----------------------------------------------------------------------------------------

@transaction.atomic
def visit_record(*, user, resident, visited_on, note, concern=False, refer_note="", request=None):
    """A home visit to a resident; with a concern and what was seen, it raises a referral of their household."""
    errors = {}
    person = Resident.objects.select_related("household__building").filter(pk=resident).first() \
        if str(resident or "").isdigit() else None
    visit = CareVisit(visited_by=user, concern=bool(concern))
    if person is None or person.household_id is None:
        errors["resident"] = [_("请选择走访对象")]
    else:
        _place_at(visit, person.household)
        visit.resident = person
        if not can(user, VISIT_RECORD, visit):
            errors["resident"] = [_("该居民不在您负责的网格内")]
    today = _today()
    visited_on = _date(errors, "visited_on", visited_on, _("走访日期"),
                       not_before=today - datetime.timedelta(days=366), not_after=today)
    note = _text(errors, "note", note, label=_("走访情况"))
    if concern and refer_note:
        refer_note = _text(errors, "refer_note", refer_note, label=_("转介说明"))
    if errors:
        raise ValidationError(errors)
    visit.visited_on, visit.note_enc = visited_on, crypto.encrypt(note)
    if concern and refer_note:
        visit.raised = refer(user=user, household=person.household_id, note=refer_note, request=request)
    visit.save()
    audit(AuditAction.CREATE, user=user, obj=visit, detail="record", request=request,
          changes={"resident": [None, person.pk], "visited_on": [None, str(visited_on)], "note": ["", SENSITIVE],
                   "raised": [None, visit.raised_id]})
    return visit
