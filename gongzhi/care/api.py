"""Assistance over the JSON API: the same services, selectors and presenter as the pages, under the same policy.
Bad input answers 400 with the field at fault, a record someone changed first 409, a record out of reach 404.
Every read of a case is audited, as on its page; the sensitive details come only from the audited reveal."""
import datetime
from decimal import Decimal

from django.http import Http404
from ninja import Router, Schema
from ninja.responses import Status

from gongzhi.accounts.policy import deny, get_or_404
from gongzhi.api.base import ErrorOut, Id, Page, Text, paginate

from . import presenter, selectors, services
from .capability import CASE_STATUS, CASE_VIEW, MEASURE_DECIDE
from .models import Case, Measure

router = Router(tags=["assistance"])
Number = int | float | Text  # read by the service, which explains what is wrong with it in words
CASE_RELATED = ("compound__community", "building", "household", "applicant", "referred_by")


class ReferIn(Schema):
    household: Id
    note: Text


class ReferralOut(Schema):
    id: int
    number: str
    compound: str
    household: str
    referred_at: datetime.datetime
    status: str
    status_label: str


class CaseRowOut(Schema):
    id: int
    number: str
    name: str
    compound: str
    stage: str
    stage_label: str
    case_type: str
    case_type_label: str
    referred_at: datetime.datetime
    next_followup_on: datetime.date | None


class MeasureOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    owner: str | None
    organisation: str | None
    provider_name: str
    beneficiary_name: str
    started_on: datetime.date
    ended_on: datetime.date | None
    outcome: str
    outcome_label: str
    amount: Decimal | None
    period: str
    dibao_stage: str
    notice_from: datetime.date | None
    notice_to: datetime.date | None
    decided_on: datetime.date | None
    notice_url: str | None
    version: int


class FollowUpOut(Schema):
    due_on: datetime.date
    done_on: datetime.date | None


class CaseOut(Schema):
    id: int
    number: str
    stage: str
    stage_label: str
    case_type: str
    compound: str
    address: str
    applicant: str
    household_size: int | None
    referred_at: datetime.datetime
    referred_by: str | None
    appeal: int | None
    workers: list[str]
    verified_on: datetime.date | None
    decision_reason: str
    next_followup_on: datetime.date | None
    review: str
    measures: list[MeasureOut]
    followups: list[FollowUpOut]
    sensitive: str
    version: int


class SensitiveOut(Schema):
    referral_note: str
    findings: str
    health: str
    finances: str


class AssignIn(Schema):
    worker: Id


class UnassignIn(Schema):
    worker: Id
    replacement: Id | None = None
    version: int | None = None


class VerifyIn(Schema):
    visited_on: Text
    findings: Text
    decision: Text
    visited_with: Text = ""
    documents_seen: Text = ""
    reason: Text = ""
    case_type: Text = ""
    health: Text = ""
    finances: Text = ""
    household_size: Number | None = None
    applicant: Id | None = None
    version: int | None = None


class MeasureIn(Schema):
    kind: Text
    started_on: Text
    title: Text = ""
    owner: Id | None = None
    organisation: Id | None = None
    provider_name: Text = ""
    beneficiary_name: Text = ""
    application_note: Text = ""
    amount: Number | None = None
    period: Text = ""


class MeasureUpdateIn(Schema):
    version: int | None = None
    outcome: Text | None = None
    ended_on: Text | None = None
    amount: Number | None = None
    period: Text | None = None
    dibao_stage: Text | None = None
    on: Text | None = None
    notice_to: Text | None = None
    note: Text = ""


class FollowUpIn(Schema):
    done_on: Text
    note: Text


class CloseIn(Schema):
    review: Text
    confirm_open: bool = False
    version: int | None = None


class ReasonIn(Schema):
    reason: Text


class OrgMeasureOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    beneficiary_name: str
    compound: str
    application_note: str
    started_on: datetime.date
    outcome: str
    outcome_label: str
    amount: Decimal | None
    period: str
    decided_on: datetime.date | None
    decision_note: str
    version: int


class CareDecideIn(Schema):
    approved: bool
    decided_on: Text
    amount: Number | None = None
    period: Text = ""
    note: Text = ""
    version: int | None = None


def _measure_out(m):
    return {"id": m.pk, "kind": m.kind, "kind_label": m.get_kind_display(), "title": m.title,
            "owner": str(m.owner) if m.owner_id else None,
            "organisation": m.organisation.name if m.organisation_id else None, "provider_name": m.provider_name,
            "beneficiary_name": m.beneficiary_name, "started_on": m.started_on, "ended_on": m.ended_on,
            "outcome": m.outcome, "outcome_label": m.get_outcome_display(), "amount": m.amount, "period": m.period,
            "dibao_stage": m.dibao_stage, "notice_from": m.notice_from, "notice_to": m.notice_to,
            "decided_on": m.decided_on,
            "notice_url": f"/care/notice/{m.notice_code}/" if presenter.on_notice(m) else None, "version": m.version}


def _case_out(case):
    return {"id": case.pk, "number": case.number, "stage": case.stage, "stage_label": case.get_stage_display(),
            "case_type": case.case_type, "compound": case.compound.name,
            "address": case.household.address if case.household_id else "",
            "applicant": presenter.applicant_name(case), "household_size": case.household_size,
            "referred_at": case.referred_at, "referred_by": str(case.referred_by) if case.referred_by_id else None,
            "appeal": case.appeal_id, "workers": [str(w.user) for w in case.workers.select_related("user")],
            "verified_on": case.verified_on, "decision_reason": case.decision_reason,
            "next_followup_on": case.next_followup_on, "review": case.review,
            "measures": [_measure_out(m) for m in case.measures.select_related("owner", "organisation")],
            "followups": [{"due_on": f.due_on, "done_on": f.done_on} for f in case.followups.all()],
            "sensitive": presenter.MASKED, "version": case.version}


def _conflict(exc):
    return Status(409, {"detail": exc.message})


def _case(request, pk):
    return Case.objects.select_related(*CASE_RELATED).get(pk=pk)


# ---- referral ----

@router.post("/care/referrals", response={201: ReferralOut, 400: ErrorOut},
             summary="Refer a household in hardship (转介): you will follow only its broad status")
def refer(request, payload: ReferIn):
    case = services.refer(user=request.user, request=request, **payload.dict())
    return Status(201, presenter.referral_row(_case(request, case.pk)))


@router.get("/care/referrals", response=Page[ReferralOut], summary="Your referrals and their broad status")
def my_referrals(request, limit: int = 50, offset: int = 0):
    page = paginate(selectors.my_referrals(request.user), limit, offset)
    return {"count": page["count"], "items": [presenter.referral_row(c) for c in page["items"]]}


@router.get("/care/referrals/{pk}", response={200: ReferralOut, 404: ErrorOut})
def get_referral(request, pk: int):
    case = get_or_404(request.user, CASE_STATUS, Case.objects.select_related("compound", "household"), pk=pk)
    services.case_viewed(user=request.user, case=case, request=request)
    return presenter.referral_row(case)


@router.post("/care/from-appeal/{appeal_pk}", response={201: ReferralOut, 400: ErrorOut, 404: ErrorOut},
             summary="Turn a 困难求助 appeal into a referral (the desk)")
def from_appeal(request, appeal_pk: int):
    case = services.refer_from_appeal(user=request.user, appeal=appeal_pk, request=request)
    return Status(201, presenter.referral_row(_case(request, case.pk)))


# ---- cases ----

@router.get("/care/cases", response=Page[CaseRowOut],
            summary="Cases you may read (mine=true: those you work on); no sensitive detail")
def list_cases(request, mine: bool = False, stage: str = "", q: str = "", overdue: bool = False, limit: int = 50,
               offset: int = 0):
    qs = selectors.my_cases(request.user) if mine else selectors.overdue(request.user) if overdue \
        else selectors.cases(request.user, stage=stage, q=q)
    page = paginate(qs, limit, offset)
    return {"count": page["count"], "items": [presenter.list_row(c) for c in page["items"]]}


@router.get("/care/cases/{pk}", response={200: CaseOut, 404: ErrorOut}, summary="A case (the read is audited)")
def get_case(request, pk: int):
    case = get_or_404(request.user, CASE_VIEW, Case.objects.select_related(*CASE_RELATED), pk=pk)
    services.case_viewed(user=request.user, case=case, request=request)
    return _case_out(case)


@router.post("/care/cases/{pk}/reveal", response={200: SensitiveOut, 404: ErrorOut},
             summary="The case's health and financial details, findings and referral note (audited)")
def reveal(request, pk: int):
    case = get_or_404(request.user, CASE_VIEW, Case.objects.all(), pk=pk)
    out = services.reveal(user=request.user, case=case, request=request)
    out.pop("followups")
    return out


@router.post("/care/cases/{pk}/assign", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut})
def assign(request, pk: int, payload: AssignIn):
    services.assign(user=request.user, case=pk, worker=payload.worker, request=request)
    return _case_out(_case(request, pk))


@router.post("/care/cases/{pk}/unassign", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Take a case worker off the case (the last one of a case in progress only with a replacement)")
def unassign(request, pk: int, payload: UnassignIn):
    try:
        services.unassign(user=request.user, case=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return _case_out(_case(request, pk))


@router.post("/care/cases/{pk}/verify", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Record the verification visit and decide: open, or not eligible with the reason")
def verify(request, pk: int, payload: VerifyIn):
    try:
        services.verify(user=request.user, case=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return _case_out(_case(request, pk))


@router.post("/care/cases/{pk}/measures", response={201: MeasureOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def add_measure(request, pk: int, payload: MeasureIn):
    try:
        m = services.measure_add(user=request.user, case=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return Status(201, _measure_out(Measure.objects.select_related("owner", "organisation").get(pk=m.pk)))


@router.post("/care/measures/{pk}", response={200: MeasureOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Move a measure on: a 低保 application's next stage, or another measure's outcome")
def update_measure(request, pk: int, payload: MeasureUpdateIn):
    try:
        m = services.measure_update(user=request.user, measure=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return _measure_out(Measure.objects.select_related("owner", "organisation").get(pk=m.pk))


@router.post("/care/cases/{pk}/followups", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def followup(request, pk: int, payload: FollowUpIn):
    try:
        services.followup_record(user=request.user, case=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return _case_out(_case(request, pk))


@router.post("/care/cases/{pk}/close", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Close with a review; open measures must be confirmed (confirm_open), then are cancelled")
def close(request, pk: int, payload: CloseIn):
    try:
        services.close(user=request.user, case=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return _case_out(_case(request, pk))


@router.post("/care/cases/{pk}/reopen", response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def reopen(request, pk: int, payload: ReasonIn):
    try:
        services.reopen(user=request.user, case=pk, reason=payload.reason, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return _case_out(_case(request, pk))


@router.post("/care/export", response={200: Page[CaseRowOut], 400: ErrorOut, 404: ErrorOut},
             summary="Export the cases you may export, with a stated reason (audited); no sensitive detail")
def export(request, payload: ReasonIn):
    rows = services.export_cases(user=request.user, reason=payload.reason, request=request)
    return {"count": len(rows), "items": [presenter.list_row(c) for c in rows]}


# ---- the organisation's side ----

@router.get("/care/org-measures", response=Page[OrgMeasureOut],
            summary="Measures sent to the organisations you act for (a charity's scholarship applications)")
def org_measures(request, open_only: bool = False, limit: int = 50, offset: int = 0):
    page = paginate(selectors.org_measures(request.user, open_only=open_only), limit, offset)
    return {"count": page["count"], "items": [presenter.measure_for_org(m) for m in page["items"]]}


@router.get("/care/org-measures/{pk}", response={200: OrgMeasureOut, 404: ErrorOut})
def org_measure(request, pk: int):
    m = get_or_404(request.user, MEASURE_DECIDE, Measure.objects.select_related("compound"), pk=pk)
    if m.organisation_id is None:
        deny(request.user, MEASURE_DECIDE, m)
        raise Http404
    return presenter.measure_for_org(m)


@router.post("/care/org-measures/{pk}/decision", response={200: OrgMeasureOut, 400: ErrorOut, 404: ErrorOut,
                                                           409: ErrorOut},
             summary="The organisation records its decision on a measure sent to it")
def decide(request, pk: int, payload: CareDecideIn):
    try:
        m = services.measure_decide(user=request.user, measure=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return presenter.measure_for_org(Measure.objects.select_related("compound").get(pk=m.pk))


# ---- home visits (走访) ----

class DueVisitOut(Schema):
    resident: int
    name: str
    address: str
    tags: list[str]
    every_days: int
    last: datetime.date | None
    due: datetime.date
    overdue: bool


class VisitIn(Schema):
    resident: Id
    visited_on: Text
    note: Text
    concern: bool = False
    refer_note: Text = ""


class VisitOut(Schema):
    id: int
    resident: int
    visited_on: datetime.date
    concern: bool
    referral: int | None


@router.get("/care/visits/due", response=list[DueVisitOut],
            summary="Residents with care tags in your grid, the most overdue first, and when each is due a visit")
def visits_due(request, limit: int = 100):
    rows = selectors.to_visit(request.user)[:max(1, min(limit, 500))]
    return [{"resident": r["resident"].pk, "name": r["resident"].name, "address": r["resident"].household.address,
             "tags": [t.label for t in r["tags"]], "every_days": r["every"], "last": r["last"], "due": r["due"],
             "overdue": r["overdue"]} for r in rows]


@router.post("/care/visits", response={201: VisitOut, 400: ErrorOut},
             summary="Record a home visit; with concern and refer_note it also refers the household")
def record_visit(request, payload: VisitIn):
    v = services.visit_record(user=request.user, request=request, **payload.dict())
    return Status(201, {"id": v.pk, "resident": v.resident_id, "visited_on": v.visited_on, "concern": v.concern,
                        "referral": v.raised_id})
