"""Checking in by QR code, for the page (/stations/checkin/<token>/) and POST /api/v1/stations/checkin alike.

The code is read first (codes.read: forged, damaged or expired codes are refused there) and then handed to what
its kind checks in to: a station's code records a visit (anyone, signed in or not), a room's code checks its
booker in to their booking that is on now. A kind with no entry in HANDLERS is refused as not a code for here;
activities add theirs (`HANDLERS[codes.ACTIVITY] = …`, with a `describe` entry for the page) from their module.
Nothing is written for a code that is refused.
"""
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import codes, services
from .models import Booking, Room, Station, StationVisit

NOT_FOR_HERE = _("该二维码不是驿站或活动室的签到码。")


@dataclass
class Outcome:
    kind: str
    station: Station
    created: bool  # False: checked in already (the same person, a moment ago), nothing new written
    visit: StationVisit | None = None
    room: Room | None = None
    booking: Booking | None = None


def _station(user, pk, now):
    visit, created = services.visit_record(user=user, station_id=pk, now=now)
    return Outcome(codes.STATION, visit.station, created, visit=visit)


def _room(user, pk, now):
    booking, created = services.booking_check_in(user=user, room_id=pk, now=now)
    return Outcome(codes.ROOM, booking.room.station, created, room=booking.room, booking=booking)


# kind -> handler(user, id, now) -> Outcome; raises ValidationError, services.Conflict, PermissionDenied, Http404.
HANDLERS = {codes.STATION: _station, codes.ROOM: _room}


def _station_of(pk):
    station = Station.objects.filter(pk=pk).first()
    if station is None:
        raise Http404
    return station, None


def _room_of(pk):
    room = Room.objects.select_related("station").filter(pk=pk).first()
    if room is None:
        raise Http404
    return room.station, room


# kind -> what the page names before anything is written: (station, room or None).
DESCRIBE = {codes.STATION: _station_of, codes.ROOM: _room_of}


def read(token, now=None):
    """(kind, id) of a genuine code, in its time, of a kind checked in to here; codes.CodeError otherwise."""
    kind, pk, _expires = codes.read(token, now=now)
    if kind not in HANDLERS:
        raise codes.CodeError(NOT_FOR_HERE)
    return kind, pk


def describe(token, now=None):
    """(kind, station, room or None) a code checks in to, without checking in: what the page shows first."""
    kind, pk = read(token, now)
    station, room = DESCRIBE[kind](pk)
    return kind, station, room


def check_in(user, token, now=None):
    """Read the code again (it may have expired since the page was shown) and check in."""
    now = now or timezone.now()
    kind, pk = read(token, now)
    return HANDLERS[kind](user, pk, now)


def url(request, token):
    """The absolute address a QR code carries: SITE_URL's when it is set (a poster is printed for the public
    site, whichever address the keeper used), else the one the request came in by."""
    path = reverse("stations:checkin", args=[token])
    site = (settings.SITE_URL or "").rstrip("/")
    return site + path if site else request.build_absolute_uri(path)
