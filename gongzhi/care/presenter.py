"""What one person sees of a case: the one place that decides it, for the pages, the API, the exports and the
notifications.

* The community's leadership and the assigned case workers read the case; its health and financial details,
  findings, referral note and follow-up notes stay masked until an audited reveal (services.reveal).
* Whoever referred it reads only that it was received and its broad status (received, in progress, concluded):
  not whether the family was found eligible, nor anything found.
* The organisation handling one measure reads that measure: its kind, whom it is for, what it was sent.
* Lists and search results show the masked name of the applicant, the compound and the stage, nothing more.
* A public notice (公示) of a 低保 decision: the surname with the given name masked, the compound (not the
  address), the household's size and the allowance; no ID, phone or account numbers.
"""
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import can
from gongzhi.core.identity import mask_name

from .capability import CASE_ASSIGN, CASE_STATUS, CASE_VIEW, CASE_WORK, MEASURE_DECIDE
from .models import DibaoStage, MeasureKind, Outcome, Stage

MASKED = "••••••"


class Broad:
    RECEIVED = _("已接收")
    IN_PROGRESS = _("处理中")
    CONCLUDED = _("已办结")


def broad_status(case):
    """What the referrer is told: received, in progress or concluded (never eligible or not)."""
    if case.stage == Stage.REFERRED:
        return "received", Broad.RECEIVED
    if case.stage in (Stage.VERIFYING, Stage.OPEN):
        return "in_progress", Broad.IN_PROGRESS
    return "concluded", Broad.CONCLUDED


def standing(user, case):
    """How the user stands to the case: "worker", "lead", "referrer" or None (nothing to see)."""
    if can(user, CASE_WORK, case):
        return "worker"
    if can(user, CASE_VIEW, case):
        return "lead"
    if can(user, CASE_STATUS, case):
        return "referrer"
    return None


def applicant_name(case):
    return case.applicant.name if case.applicant_id else ""


def list_row(case):
    """A case in a list or a search result: nothing sensitive."""
    return {"id": case.pk, "number": case.number, "name": mask_name(applicant_name(case)),
            "compound": case.compound.name, "stage": case.stage, "stage_label": case.get_stage_display(),
            "case_type": case.case_type, "case_type_label": case.get_case_type_display(),
            "referred_at": case.referred_at, "next_followup_on": case.next_followup_on}


def referral_row(case):
    """A referral as its referrer sees it: where, when, and the broad status."""
    code, label = broad_status(case)
    return {"id": case.pk, "number": case.number, "compound": case.compound.name,
            "household": case.household.address if case.household_id else "", "referred_at": case.referred_at,
            "status": code, "status_label": str(label)}


def may_assign(user, case):
    return can(user, CASE_ASSIGN, case)


def measure_for_org(measure):
    """A measure as the organisation handling it reads it."""
    return {"id": measure.pk, "kind": measure.kind, "kind_label": measure.get_kind_display(),
            "title": measure.title, "beneficiary_name": measure.beneficiary_name,
            "compound": measure.compound.name, "application_note": measure.application_note,
            "started_on": measure.started_on, "outcome": measure.outcome,
            "outcome_label": measure.get_outcome_display(), "amount": measure.amount, "period": measure.period,
            "decided_on": measure.decided_on, "decision_note": measure.decision_note, "version": measure.version}


def may_decide(user, measure):
    return can(user, MEASURE_DECIDE, measure)


def on_notice(measure):
    """A 低保 measure whose public notice may be shown: during its notice, and once approved (the standing
    list of those receiving it is public too); never once refused or cancelled."""
    if measure.kind != MeasureKind.DIBAO or not measure.notice_code:
        return False
    if measure.dibao_stage == DibaoStage.PUBLIC_NOTICE and measure.outcome == Outcome.IN_PROGRESS:
        return True
    return measure.dibao_stage == DibaoStage.DECISION and measure.outcome == Outcome.APPROVED


def public_notice(measure):
    """Only what a public notice may say."""
    case = measure.case
    return {"name": mask_name(applicant_name(case)), "compound": case.compound.name,
            "community": case.compound.community.name, "household_size": case.household_size,
            "notice_from": measure.notice_from, "notice_to": measure.notice_to,
            "approved": measure.outcome == Outcome.APPROVED, "amount": measure.amount,
            "decided_on": measure.decided_on}


def next_dibao_stage(measure):
    """The stage a 低保 application goes to next, or None (not a 低保, or decided)."""
    if measure.kind != MeasureKind.DIBAO or not measure.is_open:
        return None
    order = list(DibaoStage)
    i = order.index(measure.dibao_stage) if measure.dibao_stage else -1
    return order[i + 1] if i + 1 < len(order) else None
