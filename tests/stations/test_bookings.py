"""Booking a room: within its rules, never overlapping another, back to back allowed; each bad input a clear
error with nothing written; many bookers at once leave exactly one booking."""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.core.models import AuditEntry
from gongzhi.stations import selectors, services
from gongzhi.stations.models import Booking, BookingStatus, Closure

from .conftest import local

NOW = local(datetime.date(2026, 3, 2), 10)  # a Monday morning
DAY = datetime.date(2026, 3, 3)


def book(room, user, start, minutes=60, attendees=4, purpose="象棋对弈", now=NOW):
    return services.booking_create(user=user, room_id=room.pk, starts_at=start,
                                   ends_at=start + datetime.timedelta(minutes=minutes), attendees=attendees,
                                   purpose=purpose, now=now)


def test_book_confirmed_and_audited(cast, chess_room):
    b = book(chess_room, cast.resident1, local(DAY, 9))
    assert b.status == BookingStatus.CONFIRMED and b.compound_id == cast.K1.pk
    assert AuditEntry.objects.filter(object_type="stations.booking", object_id=str(b.pk), detail="book").exists()


def test_overlap_refused_back_to_back_allowed(cast, chess_room):
    book(chess_room, cast.resident1, local(DAY, 9), minutes=60)
    with pytest.raises(services.Conflict):
        book(chess_room, cast.resident2, local(DAY, 9, 30), minutes=60)
    with pytest.raises(services.Conflict):
        book(chess_room, cast.resident2, local(DAY, 8, 30), minutes=120)  # surrounds it
    book(chess_room, cast.resident2, local(DAY, 10), minutes=60)  # starts when the first ends
    book(chess_room, cast.resident2, local(DAY, 8), minutes=60)  # ends when the first starts
    assert Booking.objects.count() == 3


def test_a_cancelled_booking_frees_its_time(cast, chess_room):
    b = book(chess_room, cast.resident1, local(DAY, 9))
    services.booking_cancel(user=cast.resident1, booking_id=b.pk, now=NOW)
    book(chess_room, cast.resident2, local(DAY, 9))


@pytest.mark.parametrize("start,minutes,attendees,field", [
    (local(datetime.date(2026, 3, 1), 9), 60, 4, "starts_at"),  # in the past
    (local(datetime.date(2026, 3, 20), 9), 60, 4, "starts_at"),  # beyond the 14 days
    (local(DAY, 9), 150, 4, "ends_at"),  # longer than 120 minutes
    (local(DAY, 21, 30), 60, 4, "starts_at"),  # past the 22:00 closing
    (local(DAY, 7), 60, 4, "starts_at"),  # before the 08:00 opening
    (local(DAY, 9), 60, 9, "attendees"),  # more than the 8 seats
    (local(DAY, 9), 60, 0, "attendees"),
])
def test_bad_bookings_are_refused_and_nothing_changes(cast, chess_room, start, minutes, attendees, field):
    with pytest.raises(ValidationError) as e:
        book(chess_room, cast.resident1, start, minutes=minutes, attendees=attendees)
    assert field in e.value.message_dict
    assert not Booking.objects.exists()
    assert not AuditEntry.objects.filter(object_type="stations.booking").exists()


def test_closed_room_and_closure_refused(cast, chess_room):
    chess_room.is_open = False
    chess_room.save()
    with pytest.raises(Http404):  # room.book holds only where the room is open: the policy refuses
        book(chess_room, cast.resident1, local(DAY, 9))
    chess_room.is_open = True
    chess_room.save()
    Closure.objects.create(station=chess_room.station, starts_at=local(DAY, 8), ends_at=local(DAY, 12), reason="检修")
    with pytest.raises(ValidationError):
        book(chess_room, cast.resident1, local(DAY, 9))
    assert not Booking.objects.exists()


def test_only_residents_of_the_places_served_may_book(cast, chess_room):
    with pytest.raises(Http404):
        book(chess_room, cast.rider1, local(DAY, 9))
    assert selectors.room(cast.resident2, chess_room.pk) is not None  # 二期 is served too
    assert selectors.room(cast.nobody, chess_room.pk) is None


def test_free_spans_leave_out_bookings(cast, chess_room):
    book(chess_room, cast.resident1, local(DAY, 9), minutes=60)
    free = selectors.free_spans(chess_room, DAY, NOW)
    assert free == [(local(DAY, 8), local(DAY, 9)), (local(DAY, 10), local(DAY, 22))]


def test_approval_then_booker_and_keeper_rights(cast, chess_room):
    chess_room.needs_approval = True
    chess_room.save()
    b = book(chess_room, cast.resident1, local(DAY, 9))
    assert b.status == BookingStatus.PENDING
    with pytest.raises(Http404):
        services.booking_approve(user=cast.resident1, booking_id=b.pk)
    with pytest.raises(Http404):
        services.booking_cancel(user=cast.resident2, booking_id=b.pk, now=NOW)
    services.booking_approve(user=cast.property1, booking_id=b.pk)
    with pytest.raises(services.Conflict):
        services.booking_refuse(user=cast.property1, booking_id=b.pk)
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.CONFIRMED


BOOKERS = 6


@pytest.mark.django_db(transaction=True)
def test_many_bookers_at_once_leave_one_booking(cast, chess_room):
    users = []
    for i in range(BOOKERS):
        u = User.objects.create_user(username=f"booker{i}", password=cast.password)
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=cast.H1)
        users.append(u)
    results, barrier = [], threading.Barrier(BOOKERS)

    def go(user, minute):
        try:
            barrier.wait()
            book(chess_room, user, local(DAY, 9, minute), minutes=60)
            results.append("ok")
        except services.Conflict:
            results.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(u, i * 5)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["ok"] + ["taken"] * (BOOKERS - 1)
    assert Booking.objects.filter(room=chess_room).count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_database_refuses_an_overlap_that_skipped_the_service(cast, chess_room):
    from django.db import IntegrityError, transaction

    b = book(chess_room, cast.resident1, local(DAY, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(room=chess_room, booked_by=cast.resident2, starts_at=local(DAY, 9, 30),
                               ends_at=local(DAY, 10, 30), purpose="x", attendees=1, status="confirmed",
                               compound=b.compound)
    Booking.objects.create(room=chess_room, booked_by=cast.resident2, starts_at=local(DAY, 10),
                           ends_at=local(DAY, 11), purpose="x", attendees=1, status="confirmed", compound=b.compound)


def test_a_booking_waiting_for_approval_reaches_the_outbox_and_its_keepers(cast, chess_room):
    """The event is written pending (the outbox drains only those): a booking to approve tells the keepers."""
    from gongzhi.core.timeline import source
    from gongzhi.stations.models import BookingEvent

    chess_room.needs_approval = True
    chess_room.save()
    book(chess_room, cast.resident1, local(DAY, 9))
    [event] = BookingEvent.objects.all()
    assert event.notify_pending
    src = source("stations")
    parties = src.audience(src.load([event.pk]))[event.pk].parties
    assert cast.property1.pk in parties and cast.resident1.pk not in parties
