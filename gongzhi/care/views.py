"""Assistance pages: parse, call the services and selectors, render. Permissions come from the policy; what a
viewer sees of a case, from the presenter."""
import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, deny, get_or_404, holds_by_place
from gongzhi.core.forms import refusal_as_message
from gongzhi.grid.models import Compound, Household
from gongzhi.orgs.models import Organisation
from gongzhi.people.models import Resident

from . import presenter, selectors, services
from .capability import (CASE_ASSIGN, CASE_EXPORT, CASE_REFER, CASE_STATUS, CASE_VIEW, MEASURE_DECIDE,
                         VISIT_RECORD, VISIT_VIEW)
from .models import (TEMPLATES, Case, CareVisit, CaseType, DibaoStage, Measure, MeasureKind, Outcome, Period,
                     Stage)

CASE_RELATED = ("compound__community", "building", "household", "applicant", "referred_by", "appeal")


def _errors(exc):
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}




@login_required
def index(request):
    u = request.user
    lead = can(u, CASE_VIEW)
    stage, q = request.GET.get("stage", ""), request.GET.get("q", "")
    if stage not in Stage.values:
        stage = ""
    rows = [presenter.list_row(c) for c in selectors.cases(u, stage=stage, q=q)[:100]] if lead else []
    mine = [presenter.list_row(c) for c in selectors.my_cases(u)[:50]]
    if not (lead or mine or can(u, CASE_REFER)):
        raise Http404
    return render(request, "care/index.html", {
        "lead": lead, "rows": rows, "mine": mine, "stage": stage, "q": q, "stages": Stage.choices,
        "overdue": [presenter.list_row(c) for c in selectors.overdue(u, timezone.localdate())[:50]] if lead else [],
        "counts": selectors.counts(u), "may_refer": can(u, CASE_REFER), "may_export": can(u, CASE_EXPORT),
        "may_visit": can(u, VISIT_VIEW)})


def _refer_compounds(user):
    return [k for k in Compound.objects.order_by("community_id", "code") if can(user, CASE_REFER, Case(compound=k))]


@login_required
def refer(request):
    u = request.user
    if not can(u, CASE_REFER):
        raise Http404
    compounds = _refer_compounds(u)
    data, errors = request.POST if request.method == "POST" else request.GET, {}
    chosen = next((k for k in compounds if str(k.pk) == data.get("compound")), compounds[0] if compounds else None)
    if request.method == "POST":
        try:
            services.refer(user=u, household=data.get("household"), note=data.get("note"), request=request)
            messages.success(request, _("转介已提交，社区将安排核实。您可在“我的转介”查看受理状态。"))
            return redirect("care:referrals")
        except ValidationError as exc:
            errors = _errors(exc)
    households = Household.objects.filter(building__compound=chosen).select_related("building") \
        .order_by("building__code", "code") if chosen else []
    return render(request, "care/refer.html", {"compounds": compounds, "chosen": chosen, "households": households,
                                               "data": data, "errors": errors}, status=400 if errors else 200)


@login_required
def referrals(request):
    rows = [presenter.referral_row(c) for c in selectors.my_referrals(request.user)[:100]]
    return render(request, "care/referrals.html", {"rows": rows})


def _case_or_404(user, pk):
    case = Case.objects.select_related(*CASE_RELATED).filter(pk=pk).first()
    if case is None:
        raise Http404
    if presenter.standing(user, case) is None:
        deny(user, CASE_STATUS, case)
        raise Http404
    return case


def _detail(request, case, *, revealed=None, errors=None, status=200):
    u = request.user
    stand = presenter.standing(u, case)
    services.case_viewed(user=u, case=case, request=request)
    if stand == "referrer":
        return render(request, "care/referral.html", {"row": presenter.referral_row(case)})
    work = stand == "worker"
    measures = list(case.measures.select_related("owner", "organisation"))
    for m in measures:
        m.public = presenter.on_notice(m)
        m.next_stage = presenter.next_dibao_stage(m)
    template = case.template
    workers = list(case.workers.select_related("user").order_by("assigned_at", "id"))
    candidates = list(selectors.candidates(case)) if can(u, CASE_ASSIGN, case) else []
    serving = {w.user_id for w in workers}
    return render(request, "care/case.html", {
        "case": case, "work": work, "may_assign": can(u, CASE_ASSIGN, case), "revealed": revealed,
        "workers": workers, "measures": measures, "candidates": candidates,
        "replacements": [c for c in candidates if c.pk not in serving],
        "events": list(case.events.select_related("actor", "measure").order_by("at", "id")),
        "followups": list(case.followups.select_related("done_by")), "case_types": CaseType.choices,
        "templates": {k: TEMPLATES[k] for k in CaseType.values},
        "typical": template.measures if template else (), "kinds": MeasureKind.choices,
        "periods": Period.choices, "outcomes": Outcome.choices, "dibao_stages": DibaoStage.choices,
        "orgs": Organisation.objects.filter(kind__in=services.ORG_TYPES, is_active=True).order_by("name"),
        "residents": Resident.objects.filter(household_id=case.household_id) if case.household_id else [],
        "today": timezone.localdate().isoformat(), "errors": errors or {},
        "masked": presenter.MASKED, "name": presenter.mask_name(presenter.applicant_name(case)),
    }, status=status)


@login_required
def case_detail(request, pk):
    return _detail(request, _case_or_404(request.user, pk))


@login_required
@require_POST
def case_reveal(request, pk):
    case = get_or_404(request.user, CASE_VIEW, Case.objects.select_related(*CASE_RELATED), pk=pk)
    return _detail(request, case, revealed=services.reveal(user=request.user, case=case, request=request))


def _act(request, pk, fn, success, **kw):
    with refusal_as_message(request):
        fn(user=request.user, case=pk, request=request, **kw)
        messages.success(request, success)
    return redirect("care:case", pk=pk)


@login_required
@require_POST
def case_assign(request, pk):
    return _act(request, pk, services.assign, _("已分派个案工作者。"), worker=request.POST.get("worker"))


@login_required
@require_POST
def case_unassign(request, pk):
    p = request.POST
    return _act(request, pk, services.unassign, _("已移除个案工作者。"), worker=p.get("worker"),
                replacement=p.get("replacement"), version=p.get("version"))


@login_required
@require_POST
def case_verify(request, pk):
    p = request.POST
    return _act(request, pk, services.verify, _("已记录核实结论。"), visited_on=p.get("visited_on"),
                findings=p.get("findings"), decision=p.get("decision"), visited_with=p.get("visited_with", ""),
                documents_seen=p.get("documents_seen", ""), reason=p.get("reason", ""),
                case_type=p.get("case_type", ""), health=p.get("health", ""), finances=p.get("finances", ""),
                household_size=p.get("household_size"), applicant=p.get("applicant"), version=p.get("version"))


@login_required
@require_POST
def measure_new(request, pk):
    p = request.POST
    return _act(request, pk, services.measure_add, _("已新增帮扶措施。"), kind=p.get("kind"),
                started_on=p.get("started_on"), title=p.get("title", ""), owner=p.get("owner"),
                organisation=p.get("organisation"), provider_name=p.get("provider_name", ""),
                beneficiary_name=p.get("beneficiary_name", ""), application_note=p.get("application_note", ""),
                amount=p.get("amount"), period=p.get("period", ""))


@login_required
@require_POST
def measure_update(request, pk):
    p = request.POST
    measure = get_object_or_404(Measure, pk=pk)
    with refusal_as_message(request):
        services.measure_update(user=request.user, measure=pk, version=p.get("version"), outcome=p.get("outcome"),
                                ended_on=p.get("ended_on"), amount=p.get("amount"), period=p.get("period"),
                                dibao_stage=p.get("dibao_stage"), on=p.get("on"), notice_to=p.get("notice_to"),
                                note=p.get("note", ""), request=request)
        messages.success(request, _("已更新措施。"))
    return redirect("care:case", pk=measure.case_id)


@login_required
@require_POST
def followup(request, pk):
    return _act(request, pk, services.followup_record, _("已记录回访，下次回访已排期。"),
                done_on=request.POST.get("done_on"), note=request.POST.get("note"))


@login_required
@require_POST
def close(request, pk):
    p = request.POST
    return _act(request, pk, services.close, _("个案已结案。"), review=p.get("review"),
                confirm_open=p.get("confirm_open") == "1", version=p.get("version"))


@login_required
@require_POST
def reopen(request, pk):
    return _act(request, pk, services.reopen, _("个案已重新开案。"), reason=request.POST.get("reason"))


@login_required
@require_POST
def from_appeal(request, appeal_pk):
    with refusal_as_message(request):
        case = services.refer_from_appeal(user=request.user, appeal=appeal_pk, request=request)
        messages.success(request, _("已转为帮扶转介 %(n)s。") % {"n": case.number})
        return redirect("care:case", pk=case.pk)
    return redirect("appeals:detail", appeal_pk)


# ---- the organisation's side ----

@login_required
def org_measures(request):
    rows = [presenter.measure_for_org(m) for m in selectors.org_measures(request.user)[:100]]
    if not rows and not can(request.user, MEASURE_DECIDE):
        from gongzhi.accounts.policy import acting_org_ids
        if not acting_org_ids(request.user):
            raise Http404
    return render(request, "care/org_measures.html", {"rows": rows})


@login_required
def org_measure(request, pk):
    measure = get_or_404(request.user, MEASURE_DECIDE, Measure.objects.select_related("compound", "organisation"),
                         pk=pk)
    errors = {}
    if request.method == "POST":
        p = request.POST
        approved = {"yes": True, "no": False}.get(p.get("approved"), p.get("approved"))
        try:
            services.measure_decide(user=request.user, measure=pk, approved=approved, decided_on=p.get("decided_on"),
                                    amount=p.get("amount"), period=p.get("period", ""), note=p.get("note", ""),
                                    version=p.get("version"), request=request)
            messages.success(request, _("已记录决定。"))
            return redirect("care:org_measure", pk=pk)
        except ValidationError as exc:
            errors = _errors(exc)
        except services.Conflict as exc:
            errors = {"__all__": [exc.message]}
    measure.refresh_from_db()
    return render(request, "care/org_measure.html", {
        "m": presenter.measure_for_org(measure), "org": measure.organisation, "open": measure.is_open,
        "errors": errors, "data": request.POST, "periods": Period.choices,
        "today": timezone.localdate().isoformat()}, status=400 if errors else 200)


# ---- the public notice (公示) ----

def notice(request, code):
    measure = Measure.objects.select_related("case__compound__community", "case__applicant").filter(
        notice_code=code).first() if code else None
    if measure is None or not presenter.on_notice(measure):
        raise Http404
    return render(request, "care/notice.html", {"n": presenter.public_notice(measure)})


# ---- export ----

@login_required
def export(request):
    if not can(request.user, CASE_EXPORT):
        raise Http404
    errors = {}
    if request.method == "POST":
        try:
            rows = services.export_cases(user=request.user, reason=request.POST.get("reason"), request=request)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="care-cases.csv"'
            response.write("\ufeff")
            w = csv.writer(response)
            w.writerow([_("编号"), _("申请人"), _("小区"), _("困难类型"), _("阶段"), _("转介时间"), _("下次回访"),
                        _("措施")])
            for c in rows:
                r = presenter.list_row(c)
                kinds = "、".join(m.get_kind_display() + "·" + m.get_outcome_display() for m in c.measures.all())
                w.writerow([r["number"], r["name"], r["compound"], r["case_type_label"], r["stage_label"],
                            timezone.localtime(c.referred_at).date().isoformat(), c.next_followup_on or "", kinds])
            return response
    return render(request, "care/export.html", {"errors": errors}, status=400 if errors else 200)


# ---- home visits (走访) ----

@login_required
def visits(request):
    u = request.user
    if not can(u, VISIT_VIEW):
        raise Http404
    today = timezone.localdate()
    rows = selectors.to_visit(u, today)
    return render(request, "care/visits.html", {
        "rows": rows[:200], "total": len(rows), "due": sum(1 for r in rows if r["due"] <= today),
        "coverage": selectors.coverage(u, today) if can(u, CASE_VIEW) else [], "today": today,
        "may_record": can(u, VISIT_RECORD), "recent": list(selectors.visits(u)[:20])})


@login_required
def visit_new(request, resident):
    u = request.user
    person = Resident.objects.select_related("household__building__compound").filter(pk=resident).first()
    if person is None or person.household_id is None:
        raise Http404
    probe = CareVisit(resident=person, household=person.household, building_id=person.household.building_id,
                      compound_id=person.household.building.compound_id)
    if not holds_by_place(u, VISIT_RECORD, probe):
        deny(u, VISIT_RECORD, probe)
        raise Http404
    errors, data = {}, request.POST
    if request.method == "POST":
        try:
            visit = services.visit_record(user=u, resident=person.pk, visited_on=data.get("visited_on"),
                                          note=data.get("note"), concern=data.get("concern") == "1",
                                          refer_note=data.get("refer_note", ""), request=request)
            messages.success(request, _("走访已记录。") + (_("已同时转介社区核实。") if visit.raised_id else ""))
            return redirect("care:visits")
        except ValidationError as exc:
            errors = _errors(exc)
    return render(request, "care/visit_new.html", {"person": person, "errors": errors, "data": data,
                                                   "today": timezone.localdate().isoformat()},
                  status=400 if errors else 200)
