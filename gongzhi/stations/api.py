"""Stations over JSON.

Open without a token and throttled per client address (gongzhi.api.throttles.PublicThrottle): the nearest
rest stations to a point and one rest station, leaving feedback on one and checking in at a station by its QR
code (a token, if given, names the author or visitor). With a token: a room's free time on a day or over a month,
booking it once or weekly (a series: its conflicts listed first, refused whole or skipped), checking in to it by
the room's code, one's bookings, cancelling (a series from one week on), the keepers' approval, and for the
keepers their stations' check-in codes and usage figures.
Errors: 422 for a missing or malformed parameter, 400 naming the field for a value out of range, a booking the
rules refuse or a code that is forged, expired or not for here, 401 for a room's code without a token, 404 for
what is not the caller's to see, 409 when the time is taken or there is no booking to check in to.
"""
import datetime
import uuid
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from gongzhi.api.base import BearerAuth, ErrorOut, Text
from gongzhi.api.throttles import PublicThrottle
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import LOCAL

from . import checkin as checking
from . import codes, recurring, selectors, services, usage
from .present import public

router = Router()
ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class OpeningHoursOut(Schema):
    days: str
    times: str


class StationOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    status_display: str
    address: str
    lat: float | None
    lng: float | None
    distance_m: int | None
    open_now: bool
    amenities: list[str]
    amenity_labels: list[str]
    hours: list[OpeningHoursOut]
    keeper: str | None


class NearestOut(Schema):
    count: int
    items: list[StationOut]


class NearestIn(Schema):
    lat: float
    lng: float
    amenity: list[str] = []
    open_only: bool = False
    limit: int = 10


def _bad(field, message):
    return HttpStatus(400, {"detail": message, "field": field})


@router.get("/stations/nearest", auth=None, throttle=PublicThrottle(), response={200: NearestOut, 400: ErrorOut},
            summary="The nearest rest stations to a point, nearest first (no token needed)")
def stations_nearest(request, q: Query[NearestIn]):
    if not -90 <= q.lat <= 90:
        return _bad("lat", _("纬度应在 -90 到 90 之间"))
    if not -180 <= q.lng <= 180:
        return _bad("lng", _("经度应在 -180 到 180 之间"))
    if not 1 <= q.limit <= selectors.NEAREST_MAX:
        return _bad("limit", _("数量应在 1 到 %(n)d 之间") % {"n": selectors.NEAREST_MAX})
    keys = selectors.amenity_keys(q.amenity)
    if keys is None:
        return _bad("amenity", _("设施无效"))
    qs = selectors.public_stations().filter(status="open") if q.open_only else None
    ranked = selectors.nearest(q.lat, q.lng, amenities=keys, limit=q.limit, queryset=qs)
    opened = selectors.open_now([s for _d, s in ranked])
    items = [public(s, distance_m=d, open_now=opened[s.pk]) for d, s in ranked]
    if q.open_only:
        items = [i for i in items if i["open_now"]]
    return {"count": len(items), "items": items}


@router.get("/stations/{int:station_id}", auth=None, throttle=PublicThrottle(),
            response={200: StationOut, 404: ErrorOut}, summary="One rest station's public facts (no token needed)")
def station_detail(request, station_id: int):
    s = selectors.public_station(station_id)
    if s is None:
        raise Http404
    return public(s, open_now=selectors.open_now([s])[s.pk])


class SpanOut(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime


class RoomOut(Schema):
    id: int
    station: str
    name: str
    capacity: int
    max_minutes: int
    horizon_days: int
    needs_approval: bool
    is_open: bool


class RoomDayOut(Schema):
    room: RoomOut
    date: datetime.date
    free: list[SpanOut]


def _room_out(r):
    return {"id": r.pk, "station": r.station.name, "name": r.name, "capacity": r.capacity,
            "max_minutes": r.max_minutes, "horizon_days": r.horizon_days, "needs_approval": r.needs_approval,
            "is_open": r.is_open}


@router.get("/stations/rooms", response=list[RoomOut], summary="The rooms the caller may see")
def room_list(request):
    return [_room_out(r) for r in selectors.rooms_for(request.auth).order_by("station__name", "id")]


@router.get("/stations/rooms/{int:room_id}/free", response={200: RoomDayOut, 404: ErrorOut},
            summary="A room's free time on a day (local date, default today)")
def room_free(request, room_id: int, date: datetime.date | None = None):
    room = selectors.room(request.auth, room_id)
    if room is None:
        raise Http404
    day = date or datetime.datetime.now(LOCAL).date()
    return {"room": _room_out(room), "date": day,
            "free": [{"starts_at": a, "ends_at": b} for a, b in selectors.free_spans(room, day)]}


class BookingIn(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    attendees: int
    purpose: Text


class BookingOut(Schema):
    id: int
    room: int
    room_name: str
    station: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    attendees: int
    purpose: str
    status: str
    status_display: str
    checked_in_at: datetime.datetime | None
    series: str | None


def _booking_out(b):
    return {"id": b.pk, "room": b.room_id, "room_name": b.room.name, "station": b.room.station.name,
            "starts_at": b.starts_at, "ends_at": b.ends_at, "attendees": b.attendees, "purpose": b.purpose,
            "status": b.status, "status_display": str(b.get_status_display()), "checked_in_at": b.checked_in_at,
            "series": str(b.series) if b.series else None}


@router.post("/stations/rooms/{int:room_id}/bookings", response={201: BookingOut, **ERRORS},
             summary="Book a room (confirmed at once, or waiting for approval where the room needs it)")
def booking_create(request, room_id: int, payload: BookingIn):
    user = request.auth
    if selectors.room(user, room_id) is None:
        raise Http404
    try:
        b = services.booking_create(user=user, room_id=room_id, starts_at=payload.starts_at,
                                    ends_at=payload.ends_at, attendees=payload.attendees, purpose=payload.purpose)
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "starts_at"})
    return HttpStatus(201, _booking_out(b))


# ---- a room's month, and booking it weekly -------------------------------------------------------------------

class RoomMonthDayOut(Schema):
    date: datetime.date
    free_minutes: int
    free: list[SpanOut]


class MonthOut(Schema):
    room: RoomOut
    month: str
    days: list[RoomMonthDayOut]


@router.get("/stations/rooms/{int:room_id}/month", response={200: MonthOut, 400: ErrorOut, 404: ErrorOut},
            summary="A room's free time on each day of a month (month=YYYY-MM, default this month)")
def room_month(request, room_id: int, month: str = ""):
    room = selectors.room(request.auth, room_id)
    if room is None:
        raise Http404
    first = selectors.month_of(month, datetime.datetime.now(LOCAL).date())
    if first is None:
        return _bad("month", _("月份格式应为 YYYY-MM，例如 2026-12"))
    days = selectors.month_free(room, first)
    return {"room": _room_out(room), "month": f"{first:%Y-%m}", "days": [
        {"date": d, "free_minutes": sum(int((b - a).total_seconds()) // 60 for a, b in spans),
         "free": [{"starts_at": a, "ends_at": b} for a, b in spans]} for d, spans in days.items()]}


class SeriesIn(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    weeks: int
    attendees: int
    purpose: Text
    on_conflict: Literal["refuse", "skip"] = "refuse"


class WeekOut(Schema):
    week: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    free: bool
    reason: str | None
    reason_display: str


class SeriesCheckOut(Schema):
    conflicts: int
    weeks: list[WeekOut]


class SeriesOut(Schema):
    series: str
    bookings: list[BookingOut]
    skipped: list[WeekOut]


class SeriesConflictOut(ErrorOut):
    conflicts: list[WeekOut] = []


class CancelledOut(Schema):
    cancelled: list[BookingOut]


def _week_out(w):
    return {"week": w.number, "starts_at": w.starts_at, "ends_at": w.ends_at, "free": w.free,
            "reason": w.why or None, "reason_display": w.why_display}


def _series_kwargs(request, room_id, payload):
    if selectors.room(request.auth, room_id) is None:
        raise Http404
    return {"user": request.auth, "room_id": room_id, "starts_at": payload.starts_at, "ends_at": payload.ends_at,
            "weeks": payload.weeks, "attendees": payload.attendees, "purpose": payload.purpose}


@router.post("/stations/rooms/{int:room_id}/series/check", response={200: SeriesCheckOut, 400: ErrorOut, 404: ErrorOut},
             summary="Which weeks of a weekly booking would collide, and why (nothing is written)")
def series_check(request, room_id: int, payload: SeriesIn):
    weeks = recurring.series_check(**_series_kwargs(request, room_id, payload))
    return {"conflicts": sum(not w.free for w in weeks), "weeks": [_week_out(w) for w in weeks]}


@router.post("/stations/rooms/{int:room_id}/series", response={201: SeriesOut, 400: ErrorOut, 404: ErrorOut,
                                                              409: SeriesConflictOut},
             summary="Book a room weekly for 2–12 weeks: on_conflict=refuse writes nothing if a week collides (409 "
                     "lists them), skip books the other weeks")
def series_create(request, room_id: int, payload: SeriesIn):
    try:
        made = recurring.series_create(**_series_kwargs(request, room_id, payload),
                                       skip_conflicts=payload.on_conflict == "skip")
    except recurring.SeriesConflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "weeks", "conflicts": [_week_out(w) for w in e.weeks]})
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "starts_at", "conflicts": []})
    return HttpStatus(201, {"series": str(made.id), "bookings": [_booking_out(b) for b in made.bookings],
                            "skipped": [_week_out(w) for w in made.skipped]})


@router.get("/stations/series/{series_id}", response={200: list[BookingOut], 404: ErrorOut},
            summary="The weeks of a weekly booking the caller may see")
def series_detail(request, series_id: Text):
    try:
        series = uuid.UUID(series_id)
    except ValueError:
        raise Http404 from None  # not a series' id, so no series the caller may see
    rows = recurring.series_of(request.auth, series)
    if not rows:
        raise Http404
    return [_booking_out(b) for b in rows]


@router.post("/stations/bookings/{int:booking_id}/cancel-series", response={200: CancelledOut, **ERRORS},
             summary="Cancel a week of a weekly booking and every later week (its booker, or the keepers)")
def booking_cancel_series(request, booking_id: int):
    if selectors.booking(request.auth, booking_id) is None:
        raise Http404
    try:
        rows = recurring.series_cancel(user=request.auth, booking_id=booking_id)
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "status"})
    return {"cancelled": [_booking_out(b) for b in rows]}


@router.get("/stations/bookings", response=list[BookingOut], summary="The caller's upcoming bookings")
def my_bookings(request):
    return [_booking_out(b) for b in selectors.my_bookings(request.auth)]


@router.get("/stations/bookings/{int:booking_id}", response={200: BookingOut, 404: ErrorOut}, summary="One booking")
def booking_detail(request, booking_id: int):
    b = selectors.booking(request.auth, booking_id)
    if b is None:
        raise Http404
    return _booking_out(b)


def _act(request, booking_id, act, **kw):
    if selectors.booking(request.auth, booking_id) is None:
        raise Http404
    try:
        b = act(user=request.auth, booking_id=booking_id, **kw)
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "status"})
    return _booking_out(b)


@router.post("/stations/bookings/{int:booking_id}/cancel", response={200: BookingOut, **ERRORS},
             summary="Cancel a booking (its booker, or the station's keepers)")
def booking_cancel(request, booking_id: int):
    return _act(request, booking_id, services.booking_cancel)


@router.post("/stations/bookings/{int:booking_id}/approve", response={200: BookingOut, **ERRORS},
             summary="Approve a booking waiting for it (keepers)")
def booking_approve(request, booking_id: int):
    return _act(request, booking_id, services.booking_approve)


@router.post("/stations/bookings/{int:booking_id}/refuse", response={200: BookingOut, **ERRORS},
             summary="Refuse a booking waiting for approval (keepers)")
def booking_refuse(request, booking_id: int):
    return _act(request, booking_id, services.booking_refuse)


# ---- keepers ------------------------------------------------------------------------------------------------

class HoursRow(Schema):
    weekday: int
    opens: datetime.time
    closes: datetime.time


class ClosureOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    reason: str


class KeptOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    version: int
    closed_on_holidays: bool
    amenities: list[str]
    hours: list[HoursRow]
    closures: list[ClosureOut]


class SettingsIn(Schema):
    version: int
    status: str
    amenities: list[str] = []
    closed_on_holidays: bool = False


class HoursIn(Schema):
    version: int
    hours: list[HoursRow]


class ClosureIn(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    reason: Text


def _kept_out(user, pk):
    station, closures = selectors.kept_station(user, pk)
    if station is None:
        raise Http404
    return {"id": station.pk, "name": station.name, "kind": station.kind, "status": station.status,
            "version": station.version, "closed_on_holidays": station.closed_on_holidays,
            "amenities": station.amenities(),
            "hours": [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in station.hours.all()],
            "closures": [{"id": c.pk, "starts_at": c.starts_at, "ends_at": c.ends_at, "reason": c.reason}
                         for c in closures]}


def _kept_or_404(user, pk):
    if not selectors.kept_stations(user).filter(pk=pk).exists():
        raise Http404


@router.get("/stations/kept", response=list[KeptOut], summary="The stations the caller keeps")
def kept_list(request):
    return [_kept_out(request.auth, pk) for pk in selectors.kept_stations(request.auth).values_list("pk", flat=True)]


@router.get("/stations/kept/{int:station_id}", response={200: KeptOut, 404: ErrorOut},
            summary="A kept station: status, amenities, weekly hours and closures not yet over")
def kept_detail(request, station_id: int):
    return _kept_out(request.auth, station_id)


def _keep(request, station_id, write, field):
    _kept_or_404(request.auth, station_id)
    try:
        write()
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": field})
    return _kept_out(request.auth, station_id)


@router.put("/stations/kept/{int:station_id}/settings", response={200: KeptOut, **ERRORS},
            summary="Change a kept station's status, amenities and holiday rule (409 if changed since read)")
def kept_settings(request, station_id: int, payload: SettingsIn):
    return _keep(request, station_id, lambda: services.station_update(
        user=request.auth, station_id=station_id, version=payload.version, status=payload.status,
        amenities=payload.amenities, closed_on_holidays=payload.closed_on_holidays), "version")


@router.put("/stations/kept/{int:station_id}/hours", response={200: KeptOut, **ERRORS},
            summary="Replace a kept station's weekly hours (409 if changed since read)")
def kept_hours(request, station_id: int, payload: HoursIn):
    patterns = [(h.weekday, h.opens, h.closes) for h in payload.hours]
    return _keep(request, station_id, lambda: services.hours_set(
        user=request.auth, station_id=station_id, patterns=patterns, version=payload.version), "version")


@router.post("/stations/kept/{int:station_id}/closures", response={200: KeptOut, **ERRORS},
             summary="Close a kept station for a while")
def kept_close(request, station_id: int, payload: ClosureIn):
    return _keep(request, station_id, lambda: services.closure_add(
        user=request.auth, station_id=station_id, starts_at=payload.starts_at, ends_at=payload.ends_at,
        reason=payload.reason), "closure")


@router.delete("/stations/kept/{int:station_id}/closures/{int:closure_id}", response={200: KeptOut, **ERRORS},
               summary="Remove a temporary closure")
def kept_reopen(request, station_id: int, closure_id: int):
    return _keep(request, station_id, lambda: services.closure_remove(
        user=request.auth, station_id=station_id, closure_id=closure_id), "closure")


# ---- feedback -------------------------------------------------------------------------------------------------

def _anyone(request):
    return AnonymousUser()  # truthy: lets the call through unsigned, after a token was looked for first


class FeedbackIn(Schema):
    kind: str
    note: Text


class FeedbackOut(Schema):
    id: int
    station: int
    station_name: str
    kind: str
    kind_display: str
    note: str
    status: str
    status_display: str
    reply: str
    created_at: datetime.datetime
    handled_at: datetime.datetime | None


class HandleIn(Schema):
    reply: Text = ""


def _feedback_out(f):
    return {"id": f.pk, "station": f.station_id, "station_name": f.station.name, "kind": f.kind,
            "kind_display": str(f.get_kind_display()), "note": f.note, "status": f.status,
            "status_display": str(f.get_status_display()), "reply": f.reply, "created_at": f.created_at,
            "handled_at": f.handled_at}


@router.post("/stations/{int:station_id}/feedback", auth=[BearerAuth(), _anyone], throttle=PublicThrottle(),
             response={201: FeedbackOut, 400: ErrorOut, 404: ErrorOut},
             summary="Leave feedback on a rest station (no token needed; with one, its author is kept)")
def feedback_create(request, station_id: int, payload: FeedbackIn):
    f = services.feedback_create(user=request.auth, station_id=station_id, kind=payload.kind, note=payload.note)
    return HttpStatus(201, _feedback_out(f))


@router.get("/stations/feedback", response=list[FeedbackOut],
            summary="Open feedback at the stations the caller keeps, then the caller's own (latest 50)")
def feedback_list(request):
    user = request.auth
    kept = list(selectors.open_feedback(user)[:50])
    seen = {f.pk for f in kept}
    return [_feedback_out(f) for f in kept + [f for f in selectors.my_feedback(user)[:50] if f.pk not in seen]]


@router.get("/stations/feedback/{int:feedback_id}", response={200: FeedbackOut, 404: ErrorOut},
            summary="One piece of feedback (its author, or the station's keepers)")
def feedback_detail(request, feedback_id: int):
    f = selectors.visible_feedback(request.auth).filter(pk=feedback_id).first()
    if f is None:
        raise Http404
    return _feedback_out(f)


@router.post("/stations/feedback/{int:feedback_id}/handle", response={200: FeedbackOut, **ERRORS},
             summary="Mark feedback handled, with an optional reply (keepers; 409 if someone already did)")
def feedback_handle(request, feedback_id: int, payload: HandleIn):
    if not selectors.visible_feedback(request.auth).filter(pk=feedback_id).exists():
        raise Http404
    try:
        f = services.feedback_handle(user=request.auth, feedback_id=feedback_id, reply=payload.reply)
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "status"})
    return _feedback_out(f)


# ---- checking in by QR code -----------------------------------------------------------------------------------

class CheckinIn(Schema):
    code: Text


class CheckinOut(Schema):
    kind: str
    created: bool
    station: int
    station_name: str
    at: datetime.datetime
    room: int | None = None
    room_name: str | None = None
    booking: BookingOut | None = None
    feedback: bool


@router.post("/stations/checkin", auth=[BearerAuth(), _anyone], throttle=PublicThrottle(),
             response={200: CheckinOut, 201: CheckinOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut,
                       409: ErrorOut},
             summary="Check in by a QR code: at a station (no token needed; with one, the visitor is kept), or to "
                     "the caller's booking of a room on now (token needed). 201 when written, 200 when the caller "
                     "had checked in already")
def checkin(request, payload: CheckinIn):
    user = request.auth
    try:
        outcome = checking.check_in(user, payload.code.strip())
    except codes.CodeError as e:
        return HttpStatus(400, {"detail": str(e), "field": "code"})
    except ValidationError as e:
        return HttpStatus(400, {"detail": " ".join(e.messages), "field": "code"})
    except PermissionDenied as e:
        return HttpStatus(401, {"detail": str(e), "field": "code"})
    except services.Conflict as e:
        return HttpStatus(409, {"detail": e.message, "field": "code"})
    out = {"kind": outcome.kind, "created": outcome.created, "station": outcome.station.pk,
           "station_name": outcome.station.name,
           "feedback": selectors.public_stations().filter(pk=outcome.station.pk).exists()}
    if outcome.kind == codes.ROOM:
        out.update(at=outcome.booking.checked_in_at, room=outcome.room.pk, room_name=outcome.room.name,
                   booking=_booking_out(outcome.booking), feedback=False)
    else:
        out["at"] = outcome.visit.at
    return HttpStatus(201 if outcome.created else 200, out)


# ---- keepers: codes to print, usage figures -------------------------------------------------------------------

class CodeOut(Schema):
    kind: str
    id: int
    name: str
    url: str


class CodesOut(Schema):
    expires_at: datetime.datetime
    items: list[CodeOut]


@router.get("/stations/kept/{int:station_id}/codes", response={200: CodesOut, 404: ErrorOut},
            summary="Fresh check-in codes of a kept station and of each of its rooms: the URLs their QR images "
                    "carry, valid until expires_at (keepers; each call is audited)")
def kept_codes(request, station_id: int):
    station = selectors.kept_stations(request.auth).filter(pk=station_id).first()
    if station is None:
        raise Http404
    expires_at = codes.poster_expiry()
    targets = [(codes.STATION, station.pk, station.name)]
    targets += [(codes.ROOM, r.pk, r.name) for r in station.rooms.order_by("id")]
    items = [{"kind": kind, "id": pk, "name": name,
              "url": checking.url(request, codes.make(kind, pk, expires_at=expires_at))} for kind, pk, name in targets]
    audit(AuditAction.EXPORT, user=request.auth, obj=station, detail="codes",
          changes={"codes": [None, [f"{kind} {pk}" for kind, pk, _n in targets]]})
    return {"expires_at": expires_at, "items": items}


class UsageQuery(Schema):
    date_from: str | None = Field(None, alias="from")
    date_to: str | None = Field(None, alias="to")


class UsageMeasureOut(Schema):
    key: str
    label: str


class UsageOut(Schema):
    station: int
    station_name: str
    date_from: datetime.date = Field(serialization_alias="from")
    date_to: datetime.date = Field(serialization_alias="to")
    measures: list[UsageMeasureOut]
    totals: dict[str, int]
    days: list[dict]
    hours: list[dict]
    cells: list[dict]


@router.get("/stations/kept/{int:station_id}/usage", response={200: UsageOut, 400: ErrorOut, 404: ErrorOut},
            by_alias=True,
            summary="A kept station's usage per day, per hour of the day and per (day, hour) with any count, for "
                    "local dates from…to (default the last 30 days, at most 366): QR visits, room bookings by "
                    "their start, check-ins to them, no-shows, and whatever other measures are registered")
def kept_usage(request, station_id: int, q: Query[UsageQuery]):
    station = selectors.kept_stations(request.auth).filter(pk=station_id).first()
    if station is None:
        raise Http404
    first, last = usage.date_range(q.date_from, q.date_to, datetime.datetime.now(LOCAL).date())
    figures = selectors.station_usage(request.auth, station.pk, first, last)
    return {"station": station.pk, "station_name": station.name, "date_from": first, "date_to": last,
            "measures": [{"key": k, "label": figures.labels[k]} for k in figures.keys], "totals": figures.totals,
            "days": figures.days, "hours": figures.hours, "cells": figures.cells}
