"""Activities over JSON (a token needed for all of it).

Anyone who may read an activity lists and reads it, with their own sign-up and waitlist place; residents and
party members of the places it serves sign up and withdraw; whoever holds its code checks in with it; the
keepers publish, change and cancel activities, read the roster, record attendance and fetch the code.
Errors: 422 for a missing or malformed parameter, 400 naming the field for a value the rules refuse (a code
forged, expired or of another kind included), 404 for what is not the caller's to see, 409 for what lost to
another write (signed up already, changed since read, the room taken, the activity cancelled).
"""
import datetime

from django.http import Http404
from django.urls import reverse
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus

from gongzhi.accounts.policy import can
from gongzhi.api.base import ErrorOut, Id, Text

from . import activities
from . import activity_selectors as sel
from .capability import ACTIVITY_MANAGE
from .models import STANDING, ActivitySignup
from .services import Conflict

router = Router()
ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ActivityMineOut(Schema):
    id: int
    status: str
    status_display: str
    position: int
    attended_at: datetime.datetime | None


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    kind_display: str
    description: str
    station: int
    station_name: str
    room: int | None
    room_name: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    seats_taken: int
    seats_left: int
    waiting: int
    volunteer_hours: bool
    status: str
    status_display: str
    version: int
    mine: ActivityMineOut | None


def _mine_out(signup, position):
    if signup is None:
        return None
    return {"id": signup.pk, "status": signup.status, "status_display": str(signup.get_status_display()),
            "position": position, "attended_at": signup.attended_at}


def activity_out(a, mine=None, position=0):
    return {"id": a.pk, "title": a.title, "kind": a.kind, "kind_display": str(a.get_kind_display()),
            "description": a.description, "station": a.station_id, "station_name": a.station.name,
            "room": a.room_id, "room_name": a.room.name if a.room_id else None, "starts_at": a.starts_at,
            "ends_at": a.ends_at, "capacity": a.capacity, "seats_taken": a.seats_taken, "seats_left": a.seats_left,
            "waiting": getattr(a, "waiting", 0), "volunteer_hours": a.volunteer_hours, "status": a.status,
            "status_display": str(a.get_status_display()), "version": a.version, "mine": _mine_out(mine, position)}


def _one(user, pk):
    a = sel.activity(user, pk)
    if a is None:
        raise Http404
    signup = sel.my_signup(user, a.pk)
    return activity_out(a, signup, sel.position_of(signup))


def _conflict(exc, field="activity"):
    return HttpStatus(409, {"detail": exc.message, "field": field})


@router.get("/stations/activities", response=list[ActivityOut],
            summary="Activities the caller may read, not yet over (past=true: those over, latest first), 50 at most")
def activity_list(request, station: Id | None = None, past: bool = False):
    user = request.auth
    rows = list((sel.past if past else sel.upcoming)(user, station_id=station)[:sel.SHOWN])
    mine = {s.activity_id: s for s in sel.with_position(
        ActivitySignup.objects.filter(person=user, activity_id__in=[a.pk for a in rows],
                                          status__in=STANDING))}
    return [activity_out(a, mine.get(a.pk), sel.place_of(mine[a.pk]) if a.pk in mine else 0) for a in rows]


class ActivitySignupOut(Schema):
    id: int
    activity: ActivityOut
    status: str
    status_display: str
    position: int
    attended_at: datetime.datetime | None


def signup_out(s, position=None):
    position = sel.position_of(s) if position is None else position
    return {"id": s.pk, "activity": activity_out(s.activity), "status": s.status,
            "status_display": str(s.get_status_display()), "position": position, "attended_at": s.attended_at}


@router.get("/stations/activities/mine", response=list[ActivitySignupOut],
            summary="The caller's sign-ups to activities not yet over, with their place on each waitlist")
def my_signups(request):
    return [signup_out(s, sel.place_of(s)) for s in sel.my_signups(request.auth)[:sel.SHOWN]]


@router.get("/stations/activities/{int:activity_id}", response={200: ActivityOut, 404: ErrorOut},
            summary="One activity, with the caller's sign-up")
def activity_detail(request, activity_id: int):
    return _one(request.auth, activity_id)


class ActivityIn(Schema):
    title: Text
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    room: Id | None = None
    volunteer_hours: bool = False
    description: Text = ""


class ActivityPublishIn(ActivityIn):
    station: Id


class ActivityUpdateIn(ActivityIn):
    version: int


@router.post("/stations/activities", response={201: ActivityOut, **ERRORS},
             summary="Publish an activity at a station the caller keeps (in a room: the room is booked for it)")
def activity_publish(request, payload: ActivityPublishIn):
    try:
        a = activities.activity_publish(
            user=request.auth, station_id=payload.station, title=payload.title, kind=payload.kind,
            starts_at=payload.starts_at, ends_at=payload.ends_at, capacity=payload.capacity, room_id=payload.room,
            volunteer_hours=payload.volunteer_hours, description=payload.description)
    except Conflict as e:
        return _conflict(e, "starts_at")
    return HttpStatus(201, _one(request.auth, a.pk))


@router.put("/stations/activities/{int:activity_id}", response={200: ActivityOut, **ERRORS},
            summary="Change an activity not yet begun (409 if changed since read or the room is taken)")
def activity_update(request, activity_id: int, payload: ActivityUpdateIn):
    if sel.activity(request.auth, activity_id) is None:
        raise Http404
    try:
        activities.activity_update(
            user=request.auth, activity_id=activity_id, version=payload.version, title=payload.title,
            kind=payload.kind, starts_at=payload.starts_at, ends_at=payload.ends_at, capacity=payload.capacity,
            room_id=payload.room, volunteer_hours=payload.volunteer_hours, description=payload.description)
    except Conflict as e:
        return _conflict(e, "version")
    return _one(request.auth, activity_id)


class ActivityCancelIn(Schema):
    reason: Text = ""


@router.post("/stations/activities/{int:activity_id}/cancel", response={200: ActivityOut, **ERRORS},
             summary="Cancel an activity not yet begun; everyone signed up or waiting is told")
def activity_cancel(request, activity_id: int, payload: ActivityCancelIn):
    if sel.activity(request.auth, activity_id) is None:
        raise Http404
    try:
        activities.activity_cancel(user=request.auth, activity_id=activity_id, reason=payload.reason)
    except Conflict as e:
        return _conflict(e)
    return _one(request.auth, activity_id)


@router.post("/stations/activities/{int:activity_id}/signup", response={201: ActivitySignupOut, **ERRORS},
             summary="Sign up: a seat while there are any, else a place on the waitlist (409 if signed up already)")
def signup_create(request, activity_id: int):
    try:
        s = activities.signup_create(user=request.auth, activity_id=activity_id)
    except Conflict as e:
        return _conflict(e)
    s.activity = sel.activity(request.auth, activity_id)
    return HttpStatus(201, signup_out(s))


@router.post("/stations/activities/{int:activity_id}/leave", response={200: ActivityOut, **ERRORS},
             summary="Withdraw the caller's sign-up; the first on the waitlist moves up")
def signup_leave(request, activity_id: int):
    try:
        activities.signup_leave(user=request.auth, activity_id=activity_id)
    except Conflict as e:
        return _conflict(e)
    return _one(request.auth, activity_id)


class ActivityRosterRow(Schema):
    id: int
    person: str
    status: str
    position: int
    signed_up_at: datetime.datetime
    attended_at: datetime.datetime | None
    attended_via: str


class ActivityRosterOut(Schema):
    activity: ActivityOut
    confirmed: list[ActivityRosterRow]
    waiting: list[ActivityRosterRow]


def _row(s, position=0):
    return {"id": s.pk, "person": str(s.person), "status": s.status, "position": position,
            "signed_up_at": s.created_at, "attended_at": s.attended_at, "attended_via": s.attended_via}


def _managed_or_404(user, activity_id):
    a = sel.activity(user, activity_id)
    if a is None or not can(user, ACTIVITY_MANAGE, a):
        raise Http404
    return a


@router.get("/stations/activities/{int:activity_id}/signups", response={200: ActivityRosterOut, 404: ErrorOut},
            summary="The roster (keepers): those with a seat and the waitlist, each in the order they signed up")
def roster(request, activity_id: int):
    a = _managed_or_404(request.auth, activity_id)
    confirmed, waiting = sel.roster(a)
    return {"activity": activity_out(a), "confirmed": [_row(s) for s in confirmed],
            "waiting": [_row(s, i) for i, s in enumerate(waiting, 1)]}


@router.post("/stations/activities/{int:activity_id}/signups/{int:signup_id}/attend",
             response={200: ActivityRosterRow, **ERRORS},
             summary="Record that a confirmed person came (keepers; volunteer time goes to the service ledger)")
def attend(request, activity_id: int, signup_id: int):
    a = _managed_or_404(request.auth, activity_id)
    if not ActivitySignup.objects.filter(pk=signup_id, activity=a).exists():
        raise Http404
    try:
        s = activities.attendance_record(user=request.auth, signup_id=signup_id)
    except Conflict as e:
        return _conflict(e, "signup")
    return _row(s)


class ActivityCodeOut(Schema):
    url: str
    token: str
    expires_at: datetime.datetime


@router.get("/stations/activities/{int:activity_id}/code", response={200: ActivityCodeOut, 404: ErrorOut},
            summary="The activity's check-in code and the URL its QR image carries (keepers)")
def code(request, activity_id: int):
    a = _managed_or_404(request.auth, activity_id)
    token = activities.code_for(a)
    return {"url": request.build_absolute_uri(reverse("stations:activity_checkin", args=[token])), "token": token,
            "expires_at": a.ends_at}


class ActivityCheckinIn(Schema):
    token: Text


class ActivityCheckinOut(Schema):
    signup: ActivitySignupOut
    newly: bool


@router.post("/stations/activities/checkin", response={200: ActivityCheckinOut, **ERRORS},
             summary="Check in with an activity's code (400 for a forged or expired code, or another kind of code)")
def checkin(request, payload: ActivityCheckinIn):
    try:
        s, newly = activities.checkin(user=request.auth, token=payload.token)
    except Conflict as e:
        return _conflict(e, "code")
    s.activity = sel.activity(request.auth, s.activity_id)
    return {"signup": signup_out(s), "newly": newly}

