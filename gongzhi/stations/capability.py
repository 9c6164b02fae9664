"""Stations' declaration (gongzhi.accounts.capabilities).

A station is built and kept by the co-builders of its place: the community office (and the sub-district above
it), the property company serving the compound and the owners' committee; they, the grid worker and the
station's own keeping organisation read its stations, rooms and bookings. Rooms hang on the places they serve:
residents and party members living there read them and book them ("room.book" changes no room, so it is no
write and holds for whoever sees the room from below). A booking is its booker's to read and cancel, and its
booker's alone to check in to (by the room's QR code: being there is the point, so no keeper does it for them).
Outdoor workers use stations along their beat ("station.use": their home lists the nearest open ones).
Anyone may leave feedback on a rest station ("no water"), signed in or not; the station's keepers read and
handle it, and a signed-in author reads their own ("feedback.view" through the author relationship).
Activities hang on the places their station serves, like rooms: the keepers publish, change and cancel them
(and so does whoever acts for the organising body, as for the station it keeps), residents and party members
living there read them and sign up while they are published ("activity.signup", no write: it holds from
below, as booking a room does); whoever signed up keeps reading the activity wherever they move.

Nobody needs a declaration to check in at a station by its QR code (a visit, counted and naming nobody when made
without signing in), nor to find a rest station: the public page and /api/v1/stations/nearest show anyone
the public facts of rest stations (name, place, hours, amenities), never the keepers' records.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

STATION_VIEW = "station.view"
STATION_MANAGE = "station.manage"
STATION_USE = "station.use"
ROOM_VIEW = "room.view"
ROOM_BOOK = "room.book"
ROOM_MANAGE = "room.manage"
BOOKING_VIEW = "booking.view"
BOOKING_CANCEL = "booking.cancel"
BOOKING_MANAGE = "booking.manage"
BOOKING_CHECKIN = "booking.checkin"
FEEDBACK_VIEW = "feedback.view"
FEEDBACK_HANDLE = "feedback.handle"
ACTIVITY_VIEW = "activity.view"
ACTIVITY_SIGNUP = "activity.signup"
ACTIVITY_MANAGE = "activity.manage"

STATION = "stations.Station"
ROOM = "stations.Room"
BOOKING = "stations.Booking"
FEEDBACK = "stations.Feedback"
ACTIVITY = "stations.Activity"

KEEPERS = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER, R.PROPERTY_STAFF, R.OWNERS_COMMITTEE)
_BOOKERS = (R.RESIDENT, R.PARTY_MEMBER)

CAPABILITY = Capability(
    name="stations",
    actions=(STATION_VIEW, STATION_MANAGE, STATION_USE, ROOM_VIEW, ROOM_BOOK, ROOM_MANAGE, BOOKING_VIEW,
             BOOKING_CANCEL, BOOKING_MANAGE, BOOKING_CHECKIN, FEEDBACK_VIEW, FEEDBACK_HANDLE, ACTIVITY_VIEW,
             ACTIVITY_SIGNUP, ACTIVITY_MANAGE),
    grants={
        STATION_VIEW: by(*KEEPERS, R.GRID_WORKER),
        STATION_MANAGE: by(*KEEPERS),
        STATION_USE: by(R.OUTDOOR_WORKER),
        ROOM_VIEW: by(*KEEPERS, R.GRID_WORKER, *_BOOKERS),
        ROOM_BOOK: by(*_BOOKERS, *KEEPERS, where={"is_open": True}),
        ROOM_MANAGE: by(*KEEPERS),
        BOOKING_VIEW: by(*KEEPERS, R.GRID_WORKER),
        BOOKING_MANAGE: by(*KEEPERS),
        FEEDBACK_HANDLE: by(*KEEPERS),
        ACTIVITY_VIEW: by(*KEEPERS, R.GRID_WORKER, *_BOOKERS),
        ACTIVITY_SIGNUP: by(*_BOOKERS, where={"status": "published"}),
        ACTIVITY_MANAGE: by(*KEEPERS),
    },
    records=(Record(STATION, PLACED), Record(ROOM, "reach", many=True, context=True), Record(BOOKING, PLACED),
             Record(FEEDBACK, PLACED), Record(ACTIVITY, "reach", many=True, context=True)),
    relations=(
        relation("keeper", STATION, {STATION_MANAGE}, org="keeper"),
        relation("booker", BOOKING, {BOOKING_VIEW, BOOKING_CANCEL, BOOKING_CHECKIN}, user="booked_by"),
        relation("author", FEEDBACK, {FEEDBACK_VIEW}, user="author"),
        relation("organiser", ACTIVITY, {ACTIVITY_MANAGE}, org="organiser"),
        relation("participant", ACTIVITY, {ACTIVITY_VIEW}, user="signups__person"),
    ),
    implied_by={
        STATION_VIEW: (STATION_MANAGE,),
        ROOM_VIEW: (ROOM_MANAGE, ROOM_BOOK),
        BOOKING_VIEW: (BOOKING_MANAGE, BOOKING_CANCEL, BOOKING_CHECKIN),
        BOOKING_CANCEL: (BOOKING_MANAGE,),
        FEEDBACK_VIEW: (FEEDBACK_HANDLE,),
        ACTIVITY_VIEW: (ACTIVITY_MANAGE, ACTIVITY_SIGNUP),
    },
    writes=frozenset({STATION_MANAGE, ROOM_MANAGE, BOOKING_CANCEL, BOOKING_MANAGE, BOOKING_CHECKIN, FEEDBACK_HANDLE,
                      ACTIVITY_MANAGE}),
)
