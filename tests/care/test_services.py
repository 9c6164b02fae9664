"""Assistance cases' writes: the workflow from referral to closing, and the bad input each step refuses with
nothing changed."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from gongzhi.accounts.policy import can
from gongzhi.care import presenter, selectors, services
from gongzhi.care.capability import CASE_STATUS, CASE_VIEW, CASE_WORK, MEASURE_DECIDE, MEASURE_VIEW
from gongzhi.care.models import Case, CareEvent, FollowUp, Measure, Stage
from gongzhi.core.models import AuditEntry

from .conftest import TODAY

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - datetime.timedelta(days=1)


def _state():
    return (list(Case.objects.values()), list(Measure.objects.values()), list(FollowUp.objects.values()),
            CareEvent.objects.count())


def refused(fn, field, **kw):
    before = _state()
    with pytest.raises(ValidationError) as exc:
        fn(**kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert _state() == before
    return exc.value.message_dict[field]


# ---- referral ----

def test_staff_refer_a_household_of_their_place_and_the_note_is_stored_encrypted(care, referred):
    assert referred.stage == Stage.REFERRED and referred.household_id == care.H1.pk
    assert "失业" not in referred.referral_note_enc and "失业" in referred.referral_note_clear()
    entry = AuditEntry.objects.get(object_type="care.case", detail="refer")
    assert "失业" not in str(entry.changes)


def test_referral_out_of_scope_is_refused(care):
    # property1's company serves compounds 1 and 2, not compound 3
    msg = refused(services.refer, "household", user=care.property1, household=care.H3.pk, note="看到困难")
    assert "范围" in msg[0]
    refused(services.refer, "household", user=care.resident1, household=care.H1.pk, note="看到困难")
    refused(services.refer, "household", user=care.property1, household="x", note="看到困难")
    refused(services.refer, "note", user=care.property1, household=care.H1.pk, note="  ")


def test_the_referrer_sees_only_the_broad_status(care, referred):
    assert can(care.property1, CASE_STATUS, referred)
    assert not can(care.property1, CASE_VIEW, referred)
    assert presenter.standing(care.property1, referred) == "referrer"
    row = presenter.referral_row(referred)
    assert row["status_label"] == "已接收" and "失业" not in str(row)
    services.assign(user=care.community_worker, case=referred, worker=care.grid_worker.pk)
    referred.refresh_from_db()
    assert presenter.broad_status(referred)[0] == "in_progress"


# ---- assignment, verification ----

def test_assign_only_workers_of_the_place(care, referred):
    refused(services.assign, "worker", user=care.community_worker, case=referred, worker=care.grid_worker2.pk)
    refused(services.assign, "worker", user=care.community_worker, case=referred, worker=care.property1.pk)
    with pytest.raises(Http404):
        services.assign(user=care.grid_worker, case=referred, worker=care.grid_worker.pk)
    services.assign(user=care.community_worker, case=referred, worker=care.grid_worker.pk)
    referred.refresh_from_db()
    assert referred.stage == Stage.VERIFYING
    assert can(care.grid_worker, CASE_WORK, referred) and not can(care.grid_worker2, CASE_VIEW, referred)
    assert list(selectors.candidates(referred)) == [care.community_worker, care.grid_worker]


def test_verification_dates_before_the_referral_or_ahead_are_refused(care, referred):
    services.assign(user=care.community_worker, case=referred, worker=care.grid_worker.pk)
    base = dict(user=care.grid_worker, case=referred.pk, findings="核实", decision="open", case_type="low_income")
    msg = refused(services.verify, "visited_on", visited_on=TODAY - datetime.timedelta(days=3), **base)
    assert "不能早于" in msg[0]
    refused(services.verify, "visited_on", visited_on=TODAY + datetime.timedelta(days=1), **base)
    refused(services.verify, "case_type", **{**base, "case_type": "nope"}, visited_on=TODAY)
    refused(services.verify, "reason", **{**base, "decision": "not_eligible"}, visited_on=TODAY)
    refused(services.verify, "applicant", **base, visited_on=TODAY, applicant=care.R2.pk)
    with pytest.raises(Http404):  # not its worker
        services.verify(**{**base, "user": care.grid_worker2}, visited_on=TODAY)


def test_not_eligible_with_a_reason(care, referred):
    services.assign(user=care.community_worker, case=referred, worker=care.grid_worker.pk)
    case = services.verify(user=care.grid_worker, case=referred.pk, visited_on=TODAY, findings="家有两套房产",
                           decision="not_eligible", reason="家庭财产超过标准")
    assert case.stage == Stage.NOT_ELIGIBLE and case.decision_reason == "家庭财产超过标准"
    assert not FollowUp.objects.filter(case=case).exists()
    assert presenter.broad_status(case)[0] == "concluded"


def test_open_schedules_the_first_followup_by_the_case_type(care, opened):
    assert opened.stage == Stage.OPEN
    assert opened.next_followup_on == TODAY + datetime.timedelta(days=30)
    assert "透析" not in opened.health_enc and opened.health_clear() == "奶奶慢性肾病，每周透析"
    assert "800" not in opened.finances_enc
    assert FollowUp.objects.get(case=opened).due_on == opened.next_followup_on


# ---- measures ----

def test_negative_amounts_and_dates_before_the_referral_are_refused(care, opened):
    base = dict(user=care.community_worker, case=opened.pk, kind="relief", started_on=TODAY)
    assert refused(services.measure_add, "amount", **base, amount="-100") == ["金额不能为负数"]
    refused(services.measure_add, "amount", **base, amount="abc")
    refused(services.measure_add, "started_on", **{**base, "started_on": TODAY - datetime.timedelta(days=2)})
    refused(services.measure_add, "kind", **{**base, "kind": "cash"})
    refused(services.measure_add, "organisation", **{**base, "kind": "scholarship"}, application_note="x")
    refused(services.measure_add, "organisation", **base, organisation=care.property_co.pk)
    m = services.measure_add(**base, amount="500.00", period="once")
    assert m.amount == 500 and m.compound_id == opened.compound_id and m.household_id == opened.household_id


def test_dibao_goes_through_its_stages_in_order(care, opened):
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="dibao", started_on=TODAY)
    assert m.dibao_stage == "application"
    msg = refused(services.measure_update, "dibao_stage", user=w, measure=m.pk, dibao_stage="public_notice",
                  on=TODAY, notice_to=TODAY)
    assert "依次" in msg[0]
    services.measure_update(user=w, measure=m.pk, dibao_stage="assessment", on=TODAY)
    refused(services.measure_update, "notice_to", user=w, measure=m.pk, dibao_stage="public_notice", on=TODAY,
            notice_to=YESTERDAY)
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="public_notice", on=TODAY,
                                notice_to=TODAY + datetime.timedelta(days=7))
    assert m.notice_code and presenter.on_notice(m)
    # the decision comes after the notice ends
    refused(services.measure_update, "on", user=w, measure=m.pk, dibao_stage="decision", on=TODAY,
            outcome="approved", amount="600")
    m.notice_to = TODAY
    m.save()
    refused(services.measure_update, "amount", user=w, measure=m.pk, dibao_stage="decision", on=TODAY,
            outcome="approved")
    refused(services.measure_update, "amount", user=w, measure=m.pk, dibao_stage="decision", on=TODAY,
            outcome="approved", amount="-5")
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="decision", on=TODAY, outcome="approved",
                                amount="650")
    assert m.outcome == "approved" and m.period == "monthly" and presenter.on_notice(m)


def test_scholarship_is_decided_by_its_organisation_alone(care, opened):
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="scholarship", started_on=TODAY, organisation=care.charity.pk,
                             beneficiary_name="张小明", application_note="初二，成绩良好，申请助学金")
    assert m.outcome == "in_progress"
    assert can(care.charity1, MEASURE_DECIDE, m) and can(care.charity1, MEASURE_VIEW, m)
    assert not can(care.charity1, CASE_VIEW, opened) and not can(care.charity1, CASE_STATUS, opened)
    # the case worker may not decide for the charity
    msg = refused(services.measure_update, "outcome", user=w, measure=m.pk, outcome="approved")
    assert "兴宁市善小助学协会" in msg[0]
    # another organisation: as if the measure did not exist
    with pytest.raises(Http404):
        services.measure_decide(user=care.charity2, measure=m.pk, approved=True, decided_on=TODAY, amount="2000")
    refused(services.measure_decide, "amount", user=care.charity1, measure=m.pk, approved=True, decided_on=TODAY,
            amount="-2000")
    refused(services.measure_decide, "decided_on", user=care.charity1, measure=m.pk, approved=True,
            decided_on=TODAY - datetime.timedelta(days=5), amount="2000")
    m = services.measure_decide(user=care.charity1, measure=m.pk, approved=True, decided_on=TODAY, amount="2000",
                                period="term")
    assert m.outcome == "approved" and m.decided_by == care.charity1
    assert list(selectors.org_measures(care.charity1)) == [m] and not selectors.org_measures(care.charity2).exists()
    with pytest.raises(services.Conflict):
        services.measure_decide(user=care.charity1, measure=m.pk, approved=False, decided_on=TODAY, note="撤回")


# ---- follow-up, close, reopen ----

def test_followups_are_rescheduled_and_reminded_once_when_due(care, opened):
    FollowUp.objects.filter(case=opened).update(due_on=YESTERDAY)
    Case.objects.filter(pk=opened.pk).update(next_followup_on=YESTERDAY)
    assert list(selectors.overdue(care.community_worker)) == [opened]
    assert not selectors.overdue(care.grid_worker).exists()
    assert services.remind_due_followups() == 1
    assert services.remind_due_followups() == 0
    assert CareEvent.objects.filter(case=opened, action="followup_due").count() == 1
    refused(services.followup_record, "done_on", user=care.community_worker, case=opened.pk,
            done_on=TODAY - datetime.timedelta(days=9), note="回访")
    services.followup_record(user=care.community_worker, case=opened.pk, done_on=TODAY, note="孩子已返校")
    opened.refresh_from_db()
    assert opened.next_followup_on == TODAY + datetime.timedelta(days=30)
    assert FollowUp.objects.filter(case=opened, done_on__isnull=True).count() == 1


def test_closing_with_open_measures_must_be_confirmed(care, opened):
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="relief", started_on=TODAY, amount="300")
    msg = refused(services.close, "confirm_open", user=w, case=opened.pk, review="家庭已稳定")
    assert "1项措施未办结" in msg[0]
    refused(services.close, "review", user=w, case=opened.pk, review="", confirm_open=True)
    case = services.close(user=w, case=opened.pk, review="家庭已稳定", confirm_open=True)
    assert case.stage == Stage.CLOSED and case.next_followup_on is None
    m.refresh_from_db()
    assert m.outcome == "cancelled"
    assert presenter.broad_status(case)[0] == "concluded"
    case = services.reopen(user=w, case=case.pk, reason="母亲再次失业")
    assert case.stage == Stage.OPEN and case.next_followup_on == TODAY + datetime.timedelta(days=30)
    with pytest.raises(Http404):
        services.reopen(user=care.property1, case=case.pk, reason="想看看")


def test_export_needs_a_reason_and_is_audited(care, opened):
    refused(services.export_cases, "reason", user=care.community_worker, reason="")
    refused(services.export_cases, "reason", user=care.community_worker, reason="看")
    rows = services.export_cases(user=care.community_worker, reason="季度民政统计报送")
    assert rows == [opened]
    entry = AuditEntry.objects.get(action="export", object_type="care.case")
    assert entry.changes["reason"] == "季度民政统计报送"
    with pytest.raises(Http404):
        services.export_cases(user=care.grid_worker, reason="季度民政统计报送")


def test_counts_below_the_threshold_are_not_shown_to_those_outside(care, opened):
    assert selectors.counts(care.community_worker) == [{"compound": "宁江新城一期", "n": 1, "below": 5}]
    assert selectors.counts(care.grid_worker) == [{"compound": "宁江新城一期", "n": None, "below": 5}]
    assert selectors.counts(care.property1) == []
