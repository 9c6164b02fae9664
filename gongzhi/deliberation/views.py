"""Deliberation's pages: parse, call the services and selectors, render. Permissions come from the policy."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, get_or_404, scoped
from gongzhi.core.forms import refusal_as_message
from gongzhi.grid.models import Compound

from . import selectors, services
from .capability import (MEETING_MANAGE, MEETING_VIEW, RESOLUTION_MANAGE, RESOLUTION_REPORT, RESOLUTION_VIEW, TOPIC_MANAGE, TOPIC_RAISE,
                         TOPIC_SUPPORT, TOPIC_VIEW, VOTE_MANAGE, VOTE_VIEW)
from .models import (Channel, ItemKind, Meeting, MeetingStatus, Resolution, Topic, TopicStatus, Vote, VoteKind,
                     VoteStatus)


def _errors(exc):
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _compounds_for(user, action, model):
    return [k for k in Compound.objects.order_by("community_id", "code") if can(user, action, model(compound=k))]


@login_required
def index(request):
    u = request.user
    return render(request, "deliberation/index.html", {
        "votes": list(selectors.votes(u)[:30]), "topics": list(selectors.topics(u)[:30]),
        "resolutions": list(selectors.resolutions(u)[:30]),
        "meetings": list(scoped(u, MEETING_VIEW, Meeting.objects.select_related("compound"))[:20]),
        "may_meet": bool(_compounds_for(u, MEETING_MANAGE, Meeting)),
        "may_vote_new": bool(_compounds_for(u, VOTE_MANAGE, Vote)),
        "may_raise": bool(_compounds_for(u, TOPIC_RAISE, Topic)),
        "may_resolve": bool(_compounds_for(u, RESOLUTION_MANAGE, Resolution)),
        "may_mediate": _may_mediate(u),
    })


# ---- votes -------------------------------------------------------------------------------------------------

def _vote(request, pk):
    return get_or_404(request.user, VOTE_VIEW, Vote.objects.select_related("compound"), pk=pk)


@login_required
def vote_new(request):
    compounds = _compounds_for(request.user, VOTE_MANAGE, Vote)
    if not compounds:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        items = [{"text": t, "item_kind": k} for t, k in zip(data.getlist("item_text"), data.getlist("item_kind"))]
        try:
            vote = services.vote_create(
                user=request.user, request=request, compound=data.get("compound"), title=data.get("title"),
                description=data.get("description", ""), vote_kind=data.get("vote_kind"), items=items,
                opens_at=data.get("opens_at"), closes_at=data.get("closes_at"), secret=bool(data.get("secret")),
                changeable=bool(data.get("changeable")), quorum_percent=data.get("quorum_percent") or None,
                majority_numerator=data.get("majority_numerator") or 1,
                majority_denominator=data.get("majority_denominator") or 2,
                majority_strict=data.get("majority_strict", "1") == "1", topic=data.get("topic") or None)
            messages.success(request, _("表决已创建（草稿），核对后即可开始投票。"))
            return redirect("deliberation:vote", pk=vote.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    now = timezone.localtime()
    return render(request, "deliberation/vote_new.html", {
        "errors": errors, "data": data, "compounds": compounds, "kinds": VoteKind.choices,
        "item_kinds": ItemKind.choices, "topic": request.GET.get("topic", ""),
        "opens": now.strftime("%Y-%m-%dT%H:%M"),
        "closes": (now + timezone.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")}, status=400 if errors else 200)


@login_required
def vote_detail(request, pk):
    vote = _vote(request, pk)
    u = request.user
    manage = can(u, VOTE_MANAGE, vote)
    units = selectors.my_units(u, vote) if vote.status != VoteStatus.DRAFT else []
    ctx = {"vote": vote, "items": list(vote.items.all()), "units": units,
           "ballot": selectors.my_ballot(u, vote) if units else None, "may_manage": manage,
           "in_period": vote.in_period(), "result_visible": selectors.result_visible(u, vote),
           "problems": services.roll_problems(vote.compound) if manage and vote.is_assembly
           and vote.status == VoteStatus.DRAFT else [],
           "roll_units": vote.roll.order_by("household__address").select_related("household")
           if manage and vote.status == VoteStatus.OPEN else [],
           "closed_by_time": vote.status == VoteStatus.OPEN and timezone.now() >= vote.closes_at}
    return render(request, "deliberation/vote.html", ctx)


@login_required
@require_POST
def vote_ballot(request, pk):
    vote = _vote(request, pk)
    choices = {str(i.pk): request.POST.get(f"item_{i.pk}", "") for i in vote.items.all()}
    with refusal_as_message(request):
        services.ballot_cast(user=request.user, vote=vote.pk, choices=choices, unit=request.POST.get("unit") or None,
                             request=request)
        messages.success(request, _("您的选票已提交。截止前可修改。") if vote.changeable else _("您的选票已提交。"))
    return redirect("deliberation:vote", pk=vote.pk)


@login_required
@require_POST
def vote_enter(request, pk):
    vote = _vote(request, pk)
    if not can(request.user, VOTE_MANAGE, vote):
        raise Http404
    choices = {str(i.pk): request.POST.get(f"item_{i.pk}", "") for i in vote.items.all()}
    with refusal_as_message(request):
        services.ballot_enter(user=request.user, vote=vote.pk, unit=request.POST.get("unit"), choices=choices,
                              channel=request.POST.get("channel", Channel.PAPER),
                              proxy_name=request.POST.get("proxy_name", ""),
                              proxy_authorisation=request.POST.get("proxy_authorisation", ""), request=request)
        messages.success(request, _("选票已录入。"))
    return redirect("deliberation:vote", pk=vote.pk)


@login_required
@require_POST
def vote_step(request, pk, step):
    vote = _vote(request, pk)
    if not can(request.user, VOTE_MANAGE, vote):
        raise Http404
    with refusal_as_message(request):
        if step == "open":
            services.vote_open(user=request.user, vote=vote.pk, version=request.POST.get("version"), request=request)
            messages.success(request, _("名册已锁定，表决开始。"))
        else:
            services.vote_close(user=request.user, vote=vote.pk, request=request)
            messages.success(request, _("表决已结束，结果已公告。"))
    return redirect("deliberation:vote", pk=vote.pk)


@login_required
def vote_result(request, pk):
    vote = _vote(request, pk)
    if not selectors.result_visible(request.user, vote):
        raise Http404
    return render(request, "deliberation/result.html", {"vote": vote, "result": selectors.result(vote)})


# ---- topics ------------------------------------------------------------------------------------------------

@login_required
def topic_new(request):
    compounds = _compounds_for(request.user, TOPIC_RAISE, Topic)
    if not compounds:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            topic = services.topic_raise(user=request.user, request=request, compound=data.get("compound"),
                                         title=data.get("title"), body=data.get("body", ""))
            messages.success(request, _("议题已提出，邀请邻居支持吧。"))
            return redirect("deliberation:topic", pk=topic.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    return render(request, "deliberation/topic_new.html", {"errors": errors, "data": data, "compounds": compounds},
                  status=400 if errors else 200)


@login_required
def topic_detail(request, pk):
    topic = get_or_404(request.user, TOPIC_VIEW, Topic.objects.select_related("compound"), pk=pk)
    u = request.user
    return render(request, "deliberation/topic.html", {
        "topic": topic, "supported": topic.supports.filter(user=u).exists(),
        "may_support": topic.status == TopicStatus.OPEN and topic.raised_by_id != u.pk
        and services.may_in_compound(u, TOPIC_SUPPORT, Topic, topic.compound),
        "may_manage": can(u, TOPIC_MANAGE, topic), "moves": services.TOPIC_MOVES.get(topic.status, ()),
        "statuses": dict(TopicStatus.choices), "votes": list(topic.votes.all()),
        "resolutions": list(topic.resolutions.all()),
        "may_vote_new": can(u, VOTE_MANAGE, Vote(compound=topic.compound)),
        "may_resolve": can(u, RESOLUTION_MANAGE, Resolution(compound=topic.compound))})


@login_required
@require_POST
def topic_support(request, pk):
    get_or_404(request.user, TOPIC_VIEW, Topic.objects.all(), pk=pk)
    with refusal_as_message(request):
        topic = services.topic_support(user=request.user, topic=pk, request=request)
        messages.success(request, _("已列入议程，感谢支持！") if topic.status == TopicStatus.AGENDA else _("感谢支持！"))
    return redirect("deliberation:topic", pk=pk)


@login_required
@require_POST
def topic_decide(request, pk):
    get_or_404(request.user, TOPIC_MANAGE, Topic.objects.all(), pk=pk)
    with refusal_as_message(request):
        services.topic_decide(user=request.user, topic=pk, status=request.POST.get("status"),
                              outcome=request.POST.get("outcome", ""), version=request.POST.get("version"),
                              request=request)
        messages.success(request, _("议题状态已更新。"))
    return redirect("deliberation:topic", pk=pk)


# ---- resolutions -------------------------------------------------------------------------------------------

@login_required
def resolution_new(request):
    from gongzhi.orgs.models import Coverage, Organisation

    compounds = _compounds_for(request.user, RESOLUTION_MANAGE, Resolution)
    if not compounds:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            res = services.resolution_create(
                user=request.user, request=request, compound=data.get("compound"), title=data.get("title"),
                due_on=data.get("due_on"), responsible_org=data.get("responsible_org") or None,
                responsible_user=request.user if data.get("responsible_self") else None,
                topic=data.get("topic") or None, vote=data.get("vote") or None)
            messages.success(request, _("决议已登记，将公开跟踪至完成。"))
            return redirect("deliberation:resolution", pk=res.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    orgs = Organisation.objects.filter(
        pk__in=Coverage.objects.filter(compound__in=compounds).values("organisation")).order_by("name")
    return render(request, "deliberation/resolution_new.html", {
        "errors": errors, "data": data, "compounds": compounds, "orgs": orgs,
        "topic": request.GET.get("topic", ""), "vote_id": request.GET.get("vote", ""),
        "due": (timezone.localdate() + timezone.timedelta(days=30)).isoformat()}, status=400 if errors else 200)


@login_required
def resolution_detail(request, pk):
    res = get_or_404(request.user, RESOLUTION_VIEW, Resolution.objects.select_related(
        "compound", "responsible_org", "responsible_user", "topic", "vote"), pk=pk)
    return render(request, "deliberation/resolution.html", {
        "res": res, "may_report": can(request.user, RESOLUTION_REPORT, res) and res.status != "done",
        "events": list(res.events.filter(internal=False).select_related("actor").order_by("at", "id"))})


@login_required
@require_POST
def resolution_progress(request, pk):
    get_or_404(request.user, RESOLUTION_VIEW, Resolution.objects.all(), pk=pk)
    with refusal_as_message(request):
        services.resolution_progress(user=request.user, resolution=pk, progress=request.POST.get("progress"),
                                     note=request.POST.get("note", ""), version=request.POST.get("version"),
                                     request=request)
        messages.success(request, _("进展已更新。"))
    return redirect("deliberation:resolution", pk=pk)


# ---- meetings ----------------------------------------------------------------------------------------------

def _bookable_rooms(user):
    from gongzhi.stations.capability import ROOM_BOOK
    from gongzhi.stations.models import Room

    return list(scoped(user, ROOM_BOOK, Room.objects.filter(is_open=True).select_related("station"))
                .order_by("station__name", "name"))


@login_required
def meeting_new(request):
    compounds = _compounds_for(request.user, MEETING_MANAGE, Meeting)
    if not compounds:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            meeting = services.meeting_schedule(
                user=request.user, request=request, compound=data.get("compound"), title=data.get("title"),
                starts_at=data.get("starts_at"), ends_at=data.get("ends_at"), topics=data.getlist("topics"),
                invitees=data.get("invitees", ""), room=data.get("room") or None,
                place_note=data.get("place_note", ""), attendees=data.get("attendees") or 10)
            messages.success(request, _("议事会已安排。"))
            return redirect("deliberation:meeting", pk=meeting.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    agenda = selectors.topics(request.user).filter(status__in=(TopicStatus.OPEN, TopicStatus.AGENDA),
                                                   compound__in=compounds)
    start = (timezone.localtime() + timezone.timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
    return render(request, "deliberation/meeting_new.html", {
        "errors": errors, "data": data, "compounds": compounds, "rooms": _bookable_rooms(request.user),
        "agenda": agenda, "starts": start.strftime("%Y-%m-%dT%H:%M"),
        "ends": (start + timezone.timedelta(hours=1, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "invitees": _("业委会、物业服务企业、小区党支部、社区居委会")}, status=400 if errors else 200)


def _meeting(request, pk, action=MEETING_VIEW):
    return get_or_404(request.user, action, Meeting.objects.select_related("compound", "booking__room__station"),
                      pk=pk)


@login_required
def meeting_detail(request, pk):
    meeting = _meeting(request, pk)
    return render(request, "deliberation/meeting.html", {
        "meeting": meeting, "agenda": list(meeting.topics.all()),
        "may_manage": can(request.user, MEETING_MANAGE, meeting),
        "started": timezone.now() >= meeting.starts_at})


@login_required
@require_POST
def meeting_record(request, pk):
    _meeting(request, pk)
    with refusal_as_message(request):
        services.meeting_record(user=request.user, meeting=pk, attendance=request.POST.get("attendance", ""),
                                attendees_count=request.POST.get("attendees_count"),
                                minutes=request.POST.get("minutes", ""), decisions=request.POST.get("decisions", ""),
                                to_vote=request.POST.getlist("to_vote"), version=request.POST.get("version"),
                                request=request)
        messages.success(request, _("会议纪要已保存。"))
    return redirect("deliberation:meeting", pk=pk)


@login_required
def meeting_pdf(request, pk):
    from django.http import HttpResponse

    from .pdf import minutes_pdf

    meeting = _meeting(request, pk)
    if meeting.status != MeetingStatus.HELD:
        raise Http404
    response = HttpResponse(minutes_pdf(meeting), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-{meeting.pk}.pdf"'
    return response


# ---- mediation ---------------------------------------------------------------------------------------------
# Confidential records: anyone the policy does not let read one gets 404 on every page of it, as if it did not exist.

def _mediation_compounds(user):
    from .capability import MEDIATION_MANAGE
    from .models import Mediation

    return _compounds_for(user, MEDIATION_MANAGE, Mediation)


def _may_mediate(user):
    """The community's leadership, or a mediator of some record (a relationship, not a role)."""
    from .capability import MEDIATION_VIEW

    return can(user, MEDIATION_VIEW) or selectors.mediations(user).exists()


@login_required
def mediation_list(request):
    from .models import DisputeType, MediationStatus

    if not _may_mediate(request.user):
        raise Http404
    g = request.GET
    rows = selectors.mediations(request.user, status=g.get("status", ""), dispute_type=g.get("type", ""),
                                q=g.get("q", ""))
    return render(request, "deliberation/mediations.html", {
        "rows": list(rows[:100]), "statuses": MediationStatus.choices, "types": DisputeType.choices,
        "status": g.get("status", ""), "type": g.get("type", ""), "q": g.get("q", "")[:50],
        "may_open": bool(_mediation_compounds(request.user))})


def _candidates(compounds):
    from .models import Mediation

    seen, out = set(), []
    for k in compounds:
        for u in services.mediation_candidates(Mediation(compound=k)):
            if u.pk not in seen:
                seen.add(u.pk)
                out.append(u)
    return out


@login_required
def mediation_new(request):
    from .models import DisputeType, PartySide

    compounds = _mediation_compounds(request.user)
    if not compounds:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        parties = [{"side": s, "name": n, "phone": p} for s, n, p in
                   zip(data.getlist("party_side"), data.getlist("party_name"), data.getlist("party_phone")) if n.strip()]
        try:
            record = services.mediation_open(
                user=request.user, request=request, compound=data.get("compound"),
                household=data.get("household") or None, dispute_type=data.get("dispute_type"),
                summary=data.get("summary"), parties=parties, mediators=data.getlist("mediators"))
            messages.success(request, _("调解记录已建立，已通知调解员。"))
            return redirect("deliberation:mediation", pk=record.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    return render(request, "deliberation/mediation_new.html", {
        "errors": errors, "data": data, "compounds": compounds, "types": DisputeType.choices,
        "sides": PartySide.choices, "candidates": _candidates(compounds),
        "chosen": data.getlist("mediators") if data else []}, status=400 if errors else 200)


def _mediation_page(request, record, *, revealed=None, errors=None, status=200):
    from . import presenter
    from .models import HandOver

    return render(request, "deliberation/mediation.html", {
        "m": presenter.detail(record, request.user, revealed), "record": record, "errors": errors or {},
        "handovers": HandOver.choices, "today": timezone.localdate().isoformat(), "revealed": bool(revealed),
        "appeal_visible": bool(record.appeal_id) and _appeal_visible(request.user, record.appeal_id)},
        status=status)


def _appeal_visible(user, appeal_id):
    from gongzhi.appeals.capability import APPEAL_VIEW
    from gongzhi.appeals.models import Appeal

    return scoped(user, APPEAL_VIEW, Appeal.objects.filter(pk=appeal_id)).exists()


@login_required
def mediation_detail(request, pk):
    return _mediation_page(request, selectors.mediation(request.user, pk))


@login_required
@require_POST
def mediation_reveal(request, pk):
    record = selectors.mediation(request.user, pk)
    return _mediation_page(request, record, revealed=services.mediation_reveal(user=request.user, mediation=record,
                                                                               request=request))


MEDIATION_STEPS = {
    "session": (lambda r, u, p: services.mediation_session(
        user=u, request=r, mediation=p, held_on=r.POST.get("held_on"), attended=r.POST.get("attended", ""),
        notes=r.POST.get("notes"), version=r.POST.get("version")), _("调解过程已记录。")),
    "agree": (lambda r, u, p: services.mediation_agree(
        user=u, request=r, mediation=p, agreement=r.POST.get("agreement"), agreed_on=r.POST.get("agreed_on"),
        follow_up_on=r.POST.get("follow_up_on") or None, version=r.POST.get("version")), _("调解协议已登记。")),
    "hand_over": (lambda r, u, p: services.mediation_hand_over(
        user=u, request=r, mediation=p, handed_to=r.POST.get("handed_to"), reason=r.POST.get("reason"),
        version=r.POST.get("version")), _("纠纷已移交。")),
    "follow_up": (lambda r, u, p: services.mediation_follow_up(
        user=u, request=r, mediation=p, held_on=r.POST.get("held_on"), notes=r.POST.get("notes"),
        close=bool(r.POST.get("close")), version=r.POST.get("version")), _("回访已记录。")),
    "close": (lambda r, u, p: services.mediation_close(
        user=u, request=r, mediation=p, reason=r.POST.get("reason"), version=r.POST.get("version")),
        _("调解已结案。")),
}


@login_required
@require_POST
def mediation_step(request, pk, step):
    from .capability import MEDIATION_WORK

    record = selectors.mediation_to_act_on(request.user, pk, MEDIATION_WORK)
    write, said = MEDIATION_STEPS[step]
    try:
        write(request, request.user, record.pk)
    except ValidationError as exc:
        return _mediation_page(request, selectors.mediation(request.user, pk), errors=_errors(exc), status=400)
    except services.Conflict as exc:
        messages.error(request, exc.message)
        return redirect("deliberation:mediation", pk=pk)
    messages.success(request, said)
    return redirect("deliberation:mediation", pk=pk)


@login_required
@require_POST
def mediation_from_appeal(request, appeal_pk):
    from gongzhi.appeals.capability import APPEAL_DISPATCH
    from gongzhi.appeals.models import Appeal

    get_or_404(request.user, APPEAL_DISPATCH, Appeal.objects.all(), pk=appeal_pk)
    with refusal_as_message(request):
        record = services.mediation_from_appeal(user=request.user, appeal=appeal_pk,
                                                dispute_type=request.POST.get("dispute_type"),
                                                mediators=request.POST.getlist("mediators"), request=request)
        messages.success(request, _("已转为调解记录。"))
        return redirect("deliberation:mediation", pk=record.pk)
    return redirect("appeals:detail", pk=appeal_pk)
