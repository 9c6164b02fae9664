"""No-shows: a confirmed booking nobody checked in to within the grace time after its start gives its room's time
back, by the sweep and by the next booking that meets it (in its own transaction, so PostgreSQL's exclusion
constraint never sees both); the free time shows it free at once; the release is on the timeline and in the log."""
import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection  # noqa: F401 - read by the skipif condition

from gongzhi.core.models import AuditEntry
from gongzhi.stations import selectors, services
from gongzhi.stations.models import Booking, BookingEvent, BookingStatus
from gongzhi.stations.timeline import StationTimeline

from .conftest import local

DAY = datetime.date(2026, 3, 3)  # a Tuesday; the chess room is open 08:00–22:00


def at(hour, minute=0, day=DAY):
    return local(day, hour, minute)


def book(room, user, start, minutes=60, now=None):
    return services.booking_create(user=user, room_id=room.pk, starts_at=start,
                                   ends_at=start + datetime.timedelta(minutes=minutes), attendees=3, purpose="象棋对弈",
                                   now=now or at(8))


def released(b):
    return (BookingEvent.objects.filter(booking=b, action="booking_no_show", actor=None).count(),
            AuditEntry.objects.filter(object_type="stations.booking", object_id=str(b.pk), detail="no_show",
                                      user=None, ip=None).count())


def test_the_sweep_releases_the_no_shows_and_only_them(cast, chess_room):
    missed = book(chess_room, cast.resident1, at(9))
    came = book(chess_room, cast.resident2, at(10))
    services.booking_check_in(user=cast.resident2, room_id=chess_room.pk, now=at(10, 2))
    cancelled = book(chess_room, cast.resident1, at(11))
    services.booking_cancel(user=cast.resident1, booking_id=cancelled.pk, now=at(8))
    chess_room.needs_approval = True
    chess_room.save()
    waiting = book(chess_room, cast.resident1, at(12))
    chess_room.needs_approval = False
    chess_room.save()
    later = book(chess_room, cast.resident2, at(13))

    assert services.release_no_shows(now=at(9, 14)) == 0  # still within the grace time
    assert services.release_no_shows(now=at(13, 15)) == 2  # the 9:00 and the 13:00 ones
    status = dict(Booking.objects.values_list("pk", "status"))
    assert status == {missed.pk: "no_show", came.pk: "confirmed", cancelled.pk: "cancelled", waiting.pk: "pending",
                      later.pk: "no_show"}
    assert released(missed) == (1, 1) and released(later) == (1, 1) and released(came) == (0, 0)
    assert services.release_no_shows(now=at(13, 16)) == 0  # once only


def test_the_sweep_leaves_bookings_older_than_a_day(cast, chess_room):
    old = book(chess_room, cast.resident1, at(9))
    assert services.release_no_shows(now=at(9, 1) + datetime.timedelta(days=1)) == 0
    assert Booking.objects.get(pk=old.pk).status == BookingStatus.CONFIRMED


def test_the_command_sweeps(cast, chess_room, settings):
    settings.STATION_NO_SHOW_GRACE_MINUTES = 15
    # A booking made in the past (its own "now"): the command runs at the real now, long after it.
    import django.utils.timezone as tz

    start = (tz.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    b = Booking.objects.create(room=chess_room, booked_by=cast.resident1, starts_at=start,
                               ends_at=start + datetime.timedelta(hours=2), purpose="x", attendees=1,
                               status="confirmed", compound=cast.K1)
    out = StringIO()
    call_command("release_no_shows", stdout=out)
    assert out.getvalue().strip() == "released=1"
    assert Booking.objects.get(pk=b.pk).status == "no_show"


def test_free_time_shows_a_no_show_free_before_the_sweep(cast, chess_room):
    book(chess_room, cast.resident1, at(9), minutes=120)
    assert selectors.free_spans(chess_room, DAY, at(9, 10)) == [(at(11), at(22))]  # within the grace time: held
    assert selectors.free_spans(chess_room, DAY, at(9, 15)) == [(at(9, 15), at(22))]  # past it: free from now on
    assert selectors.bookings_of_day(chess_room, DAY, at(9, 15)) == []


def test_a_new_booking_releases_a_no_show_it_meets(cast, chess_room):
    missed = book(chess_room, cast.resident1, at(9), minutes=120)
    with pytest.raises(services.Conflict):  # within the grace time the room is still the booker's
        book(chess_room, cast.resident2, at(9, 30), now=at(9, 10))
    assert Booking.objects.get(pk=missed.pk).status == BookingStatus.CONFIRMED
    taken = book(chess_room, cast.resident2, at(9, 30), now=at(9, 20))
    assert Booking.objects.get(pk=missed.pk).status == BookingStatus.NO_SHOW
    assert taken.status == BookingStatus.CONFIRMED
    assert released(missed) == (1, 1)
    assert services.release_no_shows(now=at(9, 21)) == 0  # the sweep finds nothing left to do


def test_a_checked_in_booking_keeps_its_room(cast, chess_room):
    came = book(chess_room, cast.resident1, at(9), minutes=120)
    services.booking_check_in(user=cast.resident1, room_id=chess_room.pk, now=at(9, 5))
    with pytest.raises(services.Conflict):
        book(chess_room, cast.resident2, at(9, 30), now=at(9, 20))
    assert Booking.objects.get(pk=came.pk).status == BookingStatus.CONFIRMED
    assert services.release_no_shows(now=at(10)) == 0


def test_a_refused_new_booking_releases_nothing(cast, chess_room):
    """The release belongs to the new booking's transaction: a booking that fails after it leaves the no-show as
    it was, for the sweep."""
    missed = book(chess_room, cast.resident1, at(9), minutes=120)
    book(chess_room, cast.resident1, at(11), minutes=60)
    with pytest.raises(services.Conflict):  # meets the no-show and the 11:00 booking
        book(chess_room, cast.resident2, at(10), minutes=90, now=at(9, 20))
    assert Booking.objects.get(pk=missed.pk).status == BookingStatus.CONFIRMED
    assert released(missed) == (0, 0)


def test_a_late_check_in_after_the_release_is_refused(cast, chess_room):
    missed = book(chess_room, cast.resident1, at(9), minutes=120)
    services.release_no_shows(now=at(9, 20))
    with pytest.raises(services.Conflict, match="已超过签到时间"):
        services.booking_check_in(user=cast.resident1, room_id=chess_room.pk, now=at(9, 25))
    assert Booking.objects.get(pk=missed.pk).checked_in_at is None


def test_the_booker_hears_of_the_release(cast, chess_room):
    missed = book(chess_room, cast.resident1, at(9))
    services.release_no_shows(now=at(9, 20))
    source = StationTimeline()
    [event] = source.load([BookingEvent.objects.get(booking=missed, action="booking_no_show").pk])
    assert source.audience([event])[event.pk].parties == {cast.resident1.pk: "booker"}
    assert "未按时签到，已释放：棋牌室" in source.message(event, "booker")["title"]


def test_a_no_show_can_no_longer_be_cancelled(cast, chess_room):
    missed = book(chess_room, cast.resident1, at(9), minutes=120)
    services.release_no_shows(now=at(9, 20))
    with pytest.raises(services.Conflict):
        services.booking_cancel(user=cast.resident1, booking_id=missed.pk, now=at(9, 30))


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_the_constraint_holds_no_show_apart(cast, chess_room):
    """The exclusion constraint counts only pending and confirmed bookings: after the release the new booking
    and the no-show overlap in the table, and the database agrees."""
    missed = book(chess_room, cast.resident1, at(9), minutes=120)
    taken = book(chess_room, cast.resident2, at(9, 30), now=at(9, 20))
    rows = Booking.objects.filter(pk__in=[missed.pk, taken.pk]).order_by("starts_at")
    assert [(b.status, b.starts_at < taken.ends_at and b.ends_at > taken.starts_at) for b in rows] == \
        [("no_show", True), ("confirmed", True)]


def test_an_activitys_room_is_never_released_as_a_no_show(cast, chess_room):
    """Its people check in to the activity, not to the room: the sweep and a booking that meets it leave it held."""
    from gongzhi.stations import activities

    activity = activities.activity_publish(user=cast.community_worker, station_id=chess_room.station.pk,
                                           title="象棋友谊赛", kind="chess", starts_at=at(9), ends_at=at(11),
                                           capacity=4, room_id=chess_room.pk, now=at(8))
    assert services.release_no_shows(now=at(10)) == 0
    assert Booking.objects.get(pk=activity.booking_id).status == BookingStatus.CONFIRMED
    with pytest.raises(services.Conflict):
        book(chess_room, cast.resident1, at(10), now=at(10))
    assert selectors.free_spans(chess_room, DAY, now=at(10))[0][0] == at(11)
