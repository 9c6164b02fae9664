"""Deliberation over the JSON API: votes, ballots and results, topics and resolutions, through the same services
and selectors as the pages, under the same policy. Bad input answers 400 with the field at fault, a record someone
changed first 409, a record out of reach 404, a secret vote's result before it closes 403."""
import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from gongzhi.accounts.policy import get_or_404, scoped
from gongzhi.api.base import ErrorOut, Id, Page, Text, paginate

from . import selectors, services
from .capability import MEETING_VIEW, RESOLUTION_VIEW, TOPIC_VIEW, VOTE_VIEW
from .models import Meeting, Resolution, Topic, Vote

router = Router(tags=["deliberation"])


class ItemIn(Schema):
    text: Text
    item_kind: Text = "ordinary"


class VoteIn(Schema):
    compound: Id
    title: Text
    description: Text = ""
    vote_kind: Text = "assembly"
    items: list[ItemIn]
    opens_at: Text
    closes_at: Text
    secret: bool = False
    changeable: bool = True
    majority_numerator: int = 1
    majority_denominator: int = 2
    majority_strict: bool = True
    quorum_percent: int | None = None
    topic: Id | None = None


class ItemOut(Schema):
    id: int
    position: int
    text: str
    item_kind: str
    item_kind_label: str


class VoteOut(Schema):
    id: int
    title: str
    description: str
    vote_kind: str
    vote_kind_label: str
    compound: int
    compound_name: str
    secret: bool
    changeable: bool
    status: str
    status_label: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    items: list[ItemOut]
    my_units: list[int]
    my_ballot: dict | None
    version: int


def vote_out(v, user):
    units = selectors.my_units(user, v) if v.status != "draft" else []
    ballot = selectors.my_ballot(user, v) if units else None
    return {"id": v.pk, "title": v.title, "description": v.description, "vote_kind": v.vote_kind,
            "vote_kind_label": v.get_vote_kind_display(), "compound": v.compound_id, "compound_name": v.compound.name,
            "secret": v.secret, "changeable": v.changeable, "status": v.status, "status_label": v.get_status_display(),
            "opens_at": v.opens_at, "closes_at": v.closes_at,
            "items": [{"id": i.pk, "position": i.position, "text": i.text, "item_kind": i.item_kind,
                       "item_kind_label": i.get_item_kind_display()} for i in v.items.all()],
            "my_units": [u.household_id for u in units],
            "my_ballot": ({"choices": ballot.choices, "channel": ballot.channel, "revision": ballot.revision,
                           "changed_at": ballot.changed_at.isoformat()} if ballot else None),
            "version": v.version}


class VoteListOut(Schema):
    id: int
    title: str
    vote_kind: str
    compound: int
    compound_name: str
    status: str
    status_label: str
    secret: bool
    opens_at: datetime.datetime
    closes_at: datetime.datetime


def vote_row(v):
    return {"id": v.pk, "title": v.title, "vote_kind": v.vote_kind, "compound": v.compound_id,
            "compound_name": v.compound.name, "status": v.status, "status_label": v.get_status_display(),
            "secret": v.secret, "opens_at": v.opens_at, "closes_at": v.closes_at}


class BallotIn(Schema):
    choices: dict[str, Text]
    unit: Id | None = None
    # Staff entering a paper or proxy ballot for the owner of `unit`:
    channel: Text = "online"
    proxy_name: Text = ""
    proxy_authorisation: Text = ""


class BallotOut(Schema):
    vote: int
    unit: int | None
    channel: str
    revision: int
    choices: dict
    entered_by: str


class VoteVersionIn(Schema):
    version: int | None = None


def _conflict(exc):
    return Status(409, {"detail": exc.message})


def _vote(request, pk):
    return get_or_404(request.user, VOTE_VIEW, Vote.objects.select_related("compound"), pk=pk)


@router.get("/votes", response=Page[VoteListOut], summary="Votes you may read (your compound's, or those you run)")
def list_votes(request, status: str = "", limit: int = 50, offset: int = 0):
    page = paginate(selectors.votes(request.user, status=status), limit, offset)
    return {"count": page["count"], "items": [vote_row(v) for v in page["items"]]}


@router.post("/votes", response={201: VoteOut, 400: ErrorOut}, summary="Create a vote (draft)")
def create_vote(request, payload: VoteIn):
    data = payload.dict()
    items = data.pop("items")
    vote = services.vote_create(user=request.user, request=request, items=items, **data)
    return Status(201, vote_out(Vote.objects.select_related("compound").get(pk=vote.pk), request.user))


@router.get("/votes/{pk}", response={200: VoteOut, 404: ErrorOut})
def get_vote(request, pk: int):
    return vote_out(_vote(request, pk), request.user)


@router.post("/votes/{pk}/open", response={200: VoteOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Freeze the roll and open the vote (400 lists the units missing an owner or an area)")
def open_vote(request, pk: int, payload: VoteVersionIn):
    try:
        vote = services.vote_open(user=request.user, vote=pk, version=payload.version, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return vote_out(Vote.objects.select_related("compound").get(pk=vote.pk), request.user)


@router.post("/votes/{pk}/close", response={200: VoteOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def close_vote(request, pk: int):
    try:
        vote = services.vote_close(user=request.user, vote=pk, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return vote_out(Vote.objects.select_related("compound").get(pk=vote.pk), request.user)


@router.post("/votes/{pk}/ballots", response={200: BallotOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Cast or change your ballot; staff enter a paper or proxy ballot with channel and unit")
def cast_ballot(request, pk: int, payload: BallotIn):
    try:
        if payload.channel == "online":
            ballot = services.ballot_cast(user=request.user, vote=pk, choices=payload.choices, unit=payload.unit,
                                          request=request)
        else:
            ballot = services.ballot_enter(user=request.user, vote=pk, unit=payload.unit, choices=payload.choices,
                                           channel=payload.channel, proxy_name=payload.proxy_name,
                                           proxy_authorisation=payload.proxy_authorisation, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return {"vote": pk, "unit": ballot.household_id, "channel": ballot.channel, "revision": ballot.revision,
            "choices": ballot.choices, "entered_by": ballot.entered_by.get_username() if ballot.entered_by else ""}


class ThresholdOut(Schema):
    key: str
    part: str
    whole: str
    ratio: str
    percent: str
    threshold: str
    threshold_percent: str
    comparison: str
    passed: bool


class ResultItemOut(Schema):
    id: int
    text: str
    special: bool = False
    tests: list[ThresholdOut]
    passed: bool
    yes_area: str | None = None
    no_area: str | None = None
    abstain_area: str | None = None
    yes_owners: int | None = None
    no_owners: int | None = None
    abstain_owners: int | None = None
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None


class ResultOut(Schema):
    kind: str
    closed: bool
    valid: bool
    passed: bool
    participation: list[ThresholdOut]
    items: list[ResultItemOut]
    total_area: str | None = None
    total_owners: int | None = None
    participating_area: str | None = None
    participating_owners: int | None = None
    eligible_households: int | None = None
    participating_households: int | None = None


@router.get("/votes/{pk}/result", response={200: ResultOut, 403: ErrorOut, 404: ErrorOut},
            summary="The result: each test as an exact fraction and a percentage, and whether each item passed")
def vote_result(request, pk: int):
    vote = _vote(request, pk)
    if not selectors.result_visible(request.user, vote):
        return Status(403, {"detail": _("无记名投票的结果在投票结束后公布。") if vote.secret
                            else _("该表决尚未开始。")})
    return selectors.result(vote)


# ---- topics ------------------------------------------------------------------------------------------------

class TopicIn(Schema):
    compound: Id
    title: Text
    body: Text = ""


class TopicOut(Schema):
    id: int
    title: str
    body: str
    compound: int
    compound_name: str
    status: str
    status_label: str
    supporters: int
    threshold: int
    outcome: str
    version: int


def topic_out(t):
    return {"id": t.pk, "title": t.title, "body": t.body, "compound": t.compound_id, "compound_name": t.compound.name,
            "status": t.status, "status_label": t.get_status_display(), "supporters": t.supporters,
            "threshold": t.threshold, "outcome": t.outcome, "version": t.version}


class TopicDecideIn(Schema):
    status: Text
    outcome: Text = ""
    version: int | None = None


def _topic(request, pk):
    return get_or_404(request.user, TOPIC_VIEW, Topic.objects.select_related("compound"), pk=pk)


@router.get("/topics", response=Page[TopicOut], summary="Topics of the compounds you may read")
def list_topics(request, status: str = "", limit: int = 50, offset: int = 0):
    page = paginate(selectors.topics(request.user, status=status), limit, offset)
    return {"count": page["count"], "items": [topic_out(t) for t in page["items"]]}


@router.post("/topics", response={201: TopicOut, 400: ErrorOut}, summary="Raise a topic for a compound")
def raise_topic(request, payload: TopicIn):
    topic = services.topic_raise(user=request.user, request=request, **payload.dict())
    return Status(201, topic_out(topic))


@router.get("/topics/{pk}", response={200: TopicOut, 404: ErrorOut})
def get_topic(request, pk: int):
    return topic_out(_topic(request, pk))


@router.post("/topics/{pk}/support", response={200: TopicOut, 400: ErrorOut, 404: ErrorOut})
def support_topic(request, pk: int):
    _topic(request, pk)
    topic = services.topic_support(user=request.user, topic=pk, request=request)
    return topic_out(Topic.objects.select_related("compound").get(pk=topic.pk))


@router.post("/topics/{pk}/decision", response={200: TopicOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def decide_topic(request, pk: int, payload: TopicDecideIn):
    try:
        topic = services.topic_decide(user=request.user, topic=pk, status=payload.status, outcome=payload.outcome,
                                      version=payload.version, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return topic_out(Topic.objects.select_related("compound").get(pk=topic.pk))


# ---- resolutions -------------------------------------------------------------------------------------------

class ResolutionIn(Schema):
    compound: Id
    title: Text
    due_on: Text
    responsible_user: Id | None = None
    responsible_org: Id | None = None
    topic: Id | None = None
    vote: Id | None = None


class ResolutionOut(Schema):
    id: int
    title: str
    compound: int
    compound_name: str
    status: str
    status_label: str
    progress: int
    due_on: datetime.date
    responsible: str
    topic: int | None
    vote: int | None
    version: int


def resolution_out(r):
    who = r.responsible_org.name if r.responsible_org_id else (str(r.responsible_user) if r.responsible_user_id else "")
    return {"id": r.pk, "title": r.title, "compound": r.compound_id, "compound_name": r.compound.name,
            "status": r.status, "status_label": r.get_status_display(), "progress": r.progress, "due_on": r.due_on,
            "responsible": who, "topic": r.topic_id, "vote": r.vote_id, "version": r.version}


class ProgressIn(Schema):
    progress: int
    note: Text
    version: int | None = None


def _resolution_qs():
    return Resolution.objects.select_related("compound", "responsible_org", "responsible_user")


@router.get("/resolutions", response=Page[ResolutionOut], summary="Resolutions and how far each has got")
def list_resolutions(request, open_only: bool = False, limit: int = 50, offset: int = 0):
    page = paginate(selectors.resolutions(request.user, open_only=open_only), limit, offset)
    return {"count": page["count"], "items": [resolution_out(r) for r in page["items"]]}


@router.post("/resolutions", response={201: ResolutionOut, 400: ErrorOut, 404: ErrorOut})
def create_resolution(request, payload: ResolutionIn):
    from gongzhi.accounts.models import User

    data = payload.dict()
    if data["responsible_user"] is not None:
        data["responsible_user"] = User.objects.filter(pk=data["responsible_user"], is_active=True).first()
        if data["responsible_user"] is None:
            raise Http404
    res = services.resolution_create(user=request.user, request=request, **data)
    return Status(201, resolution_out(_resolution_qs().get(pk=res.pk)))


@router.get("/resolutions/{pk}", response={200: ResolutionOut, 404: ErrorOut})
def get_resolution(request, pk: int):
    return resolution_out(get_or_404(request.user, RESOLUTION_VIEW, _resolution_qs(), pk=pk))


@router.post("/resolutions/{pk}/progress", response={200: ResolutionOut, 400: ErrorOut, 404: ErrorOut,
                                                      409: ErrorOut})
def report_progress(request, pk: int, payload: ProgressIn):
    get_or_404(request.user, RESOLUTION_VIEW, _resolution_qs(), pk=pk)
    try:
        res = services.resolution_progress(user=request.user, resolution=pk, progress=payload.progress,
                                           note=payload.note, version=payload.version, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return resolution_out(_resolution_qs().get(pk=res.pk))


# ---- meetings ----------------------------------------------------------------------------------------------

class MeetingIn(Schema):
    compound: Id
    title: Text
    starts_at: Text
    ends_at: Text
    topics: list[Id] = []
    invitees: Text = ""
    room: Id | None = None
    place_note: Text = ""
    attendees: int = 10


class MeetingOut(Schema):
    id: int
    title: str
    compound: int
    compound_name: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    booking: int | None
    invitees: str
    topics: list[int]
    status: str
    status_label: str
    attendance: str
    attendees_count: int
    minutes: str
    decisions: str
    version: int


def meeting_out(m):
    place = m.place_note or (f"{m.booking.room.station.name} {m.booking.room.name}" if m.booking_id else "")
    return {"id": m.pk, "title": m.title, "compound": m.compound_id, "compound_name": m.compound.name,
            "starts_at": m.starts_at, "ends_at": m.ends_at, "place": place, "booking": m.booking_id,
            "invitees": m.invitees, "topics": [t.pk for t in m.topics.all()], "status": m.status,
            "status_label": m.get_status_display(), "attendance": m.attendance, "attendees_count": m.attendees_count,
            "minutes": m.minutes, "decisions": m.decisions, "version": m.version}


class MinutesIn(Schema):
    attendance: Text
    attendees_count: int
    minutes: Text
    decisions: Text
    to_vote: list[Id] = []
    version: int | None = None


def _meetings():
    return Meeting.objects.select_related("compound", "booking__room__station")


@router.get("/meetings", response=Page[MeetingOut], summary="Deliberation meetings of the compounds you may read")
def list_meetings(request, limit: int = 50, offset: int = 0):
    page = paginate(scoped(request.user, MEETING_VIEW, _meetings()), limit, offset)
    return {"count": page["count"], "items": [meeting_out(m) for m in page["items"]]}


@router.post("/meetings", response={201: MeetingOut, 400: ErrorOut},
             summary="Schedule a meeting (a station's room is booked through the stations capability)")
def schedule_meeting(request, payload: MeetingIn):
    meeting = services.meeting_schedule(user=request.user, request=request, **payload.dict())
    return Status(201, meeting_out(_meetings().get(pk=meeting.pk)))


@router.get("/meetings/{pk}", response={200: MeetingOut, 404: ErrorOut})
def get_meeting(request, pk: int):
    return meeting_out(get_or_404(request.user, MEETING_VIEW, _meetings(), pk=pk))


@router.post("/meetings/{pk}/minutes", response={200: MeetingOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Record attendance, minutes and decisions; topics in to_vote go to the owners' vote")
def record_minutes(request, pk: int, payload: MinutesIn):
    get_or_404(request.user, MEETING_VIEW, _meetings(), pk=pk)
    try:
        services.meeting_record(user=request.user, meeting=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return meeting_out(_meetings().get(pk=pk))


# ---- mediation ---------------------------------------------------------------------------------------------
# Confidential: a record out of reach is 404 on every path, and is neither listed nor counted. Names and phones
# come masked; the clear ones only from the audited reveal.

class MediationPartyIn(Schema):
    side: Text = "applicant"
    name: Text
    phone: Text = ""


class MediationIn(Schema):
    compound: Id
    household: Id | None = None
    dispute_type: Text
    summary: Text
    parties: list[MediationPartyIn]
    mediators: list[Id]


class MediationPartyOut(Schema):
    id: int
    side: str
    side_label: str
    name: str
    phone: str
    revealed: bool


class MediationSessionOut(Schema):
    id: int
    kind: str
    kind_label: str
    held_on: datetime.date
    attended: str
    notes: str
    recorded_by: str


class MediationListOut(Schema):
    id: int
    number: str
    compound: int
    compound_name: str
    dispute_type: str
    dispute_type_label: str
    status: str
    status_label: str
    created_at: datetime.datetime
    follow_up_on: datetime.date | None


class MediationOut(MediationListOut):
    summary: str
    household: str
    appeal: int | None
    parties: list[MediationPartyOut]
    mediators: list[str]
    sessions: list[MediationSessionOut]
    agreement: str
    agreed_on: datetime.date | None
    handed_to: str
    handed_to_label: str
    handover_reason: str
    handed_over_at: datetime.datetime | None
    closing_note: str
    closed_at: datetime.datetime | None
    version: int
    steps: list[str]


class MediationSessionIn(Schema):
    held_on: Text
    notes: Text
    attended: Text = ""
    version: int | None = None


class MediationAgreementIn(Schema):
    agreement: Text
    agreed_on: Text
    follow_up_on: Text | None = None
    version: int | None = None


class MediationHandOverIn(Schema):
    handed_to: Text
    reason: Text
    version: int | None = None


class MediationFollowUpIn(Schema):
    held_on: Text
    notes: Text
    close: bool = False
    version: int | None = None


class MediationCloseIn(Schema):
    reason: Text
    version: int | None = None


def _mediation_out(request, pk, revealed=None):
    from . import presenter

    out = presenter.detail(selectors.mediation(request.user, pk), request.user, revealed)
    out.pop("may_manage", None)
    return out


@router.get("/mediations", response=Page[MediationListOut],
            summary="Mediation records you may read (the community's leadership, the assigned mediators)")
def list_mediations(request, status: Text = "", dispute_type: Text = "", q: Text = "", limit: int = 50,
                    offset: int = 0):
    from . import presenter

    page = paginate(selectors.mediations(request.user, status=status, dispute_type=dispute_type, q=q), limit, offset)
    return {"count": page["count"], "items": [presenter.list_row(m) for m in page["items"]]}


@router.post("/mediations", response={201: MediationOut, 400: ErrorOut}, summary="Open a mediation record")
def open_mediation(request, payload: MediationIn):
    data = payload.dict()
    record = services.mediation_open(user=request.user, request=request, **data)
    return Status(201, _mediation_out(request, record.pk))


@router.get("/mediations/{pk}", response={200: MediationOut, 404: ErrorOut},
            summary="One mediation record, the parties' names and phones masked")
def get_mediation(request, pk: int):
    return _mediation_out(request, pk)


@router.post("/mediations/{pk}/reveal", response={200: MediationOut, 404: ErrorOut},
             summary="The record with the parties' names and phones in clear (audited)")
def reveal_mediation(request, pk: int):
    record = selectors.mediation(request.user, pk)
    return _mediation_out(request, pk, services.mediation_reveal(user=request.user, mediation=record, request=request))


def _mediation_step(request, pk, write):
    from .capability import MEDIATION_WORK

    selectors.mediation_to_act_on(request.user, pk, MEDIATION_WORK)
    try:
        write()
    except services.Conflict as exc:
        return _conflict(exc)
    return _mediation_out(request, pk)


STEP_RESPONSES = {200: MediationOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post("/mediations/{pk}/sessions", response=STEP_RESPONSES, summary="Record a mediation session")
def mediation_session(request, pk: int, payload: MediationSessionIn):
    return _mediation_step(request, pk, lambda: services.mediation_session(
        user=request.user, request=request, mediation=pk, **payload.dict()))


@router.post("/mediations/{pk}/agreement", response=STEP_RESPONSES, summary="Record the agreement reached")
def mediation_agreement(request, pk: int, payload: MediationAgreementIn):
    return _mediation_step(request, pk, lambda: services.mediation_agree(
        user=request.user, request=request, mediation=pk, **payload.dict()))


@router.post("/mediations/{pk}/hand-over", response=STEP_RESPONSES,
             summary="Hand the dispute over to the sub-district or judicial mediation")
def mediation_hand_over(request, pk: int, payload: MediationHandOverIn):
    return _mediation_step(request, pk, lambda: services.mediation_hand_over(
        user=request.user, request=request, mediation=pk, **payload.dict()))


@router.post("/mediations/{pk}/follow-up", response=STEP_RESPONSES,
             summary="Record a follow-up of an agreement or a hand-over (close=true closes the record)")
def mediation_follow_up(request, pk: int, payload: MediationFollowUpIn):
    return _mediation_step(request, pk, lambda: services.mediation_follow_up(
        user=request.user, request=request, mediation=pk, **payload.dict()))


@router.post("/mediations/{pk}/close", response=STEP_RESPONSES, summary="Close a record (withdrawn, settled)")
def mediation_close(request, pk: int, payload: MediationCloseIn):
    return _mediation_step(request, pk, lambda: services.mediation_close(
        user=request.user, request=request, mediation=pk, **payload.dict()))
