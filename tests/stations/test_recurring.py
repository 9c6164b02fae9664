"""Weekly recurring bookings: each week set against the calendar and the bookings already there, its conflicts
named with why; refused whole (nothing written) or written without the weeks in conflict, as the booker chose;
linked by a series id and cancelled as a whole from one week on; a series and a single booking of the same hour
at once leave one of them, never an overlap."""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from gongzhi.core.models import AuditEntry, CalendarDay, DayKind
from gongzhi.core.reference import bump
from gongzhi.stations import recurring, services
from gongzhi.stations.models import Booking, BookingEvent, BookingStatus, Closure
from gongzhi.stations.recurring import Why

from .conftest import local

NOW = local(datetime.date(2026, 3, 2), 10)  # a Monday morning
TUE = datetime.date(2026, 3, 3)
WEEK = datetime.timedelta(weeks=1)


def tuesday(n):
    """The Tuesday of the n-th week of the series (1 is TUE)."""
    return TUE + (n - 1) * WEEK


def series(room, user, *, weeks=4, start=None, minutes=120, skip=False, now=NOW, purpose="每周象棋活动", attendees=6):
    start = start or local(TUE, 19)
    return recurring.series_create(user=user, room_id=room.pk, starts_at=start,
                                   ends_at=start + datetime.timedelta(minutes=minutes), weeks=weeks,
                                   attendees=attendees, purpose=purpose, skip_conflicts=skip, now=now)


def single(room, user, start, minutes=60, now=NOW):
    return services.booking_create(user=user, room_id=room.pk, starts_at=start,
                                   ends_at=start + datetime.timedelta(minutes=minutes), attendees=2,
                                   purpose="下棋", now=now)


def test_a_free_series_books_every_week_linked_and_audited(cast, chess_room):
    made = series(chess_room, cast.resident1, weeks=4)
    rows = list(Booking.objects.order_by("starts_at"))
    assert [b.starts_at for b in rows] == [local(tuesday(n), 19) for n in range(1, 5)]
    assert {b.series for b in rows} == {made.id} and made.skipped == []
    assert all(b.ends_at - b.starts_at == datetime.timedelta(hours=2) for b in rows)
    assert {b.status for b in rows} == {BookingStatus.CONFIRMED}
    assert AuditEntry.objects.filter(object_type="stations.booking", detail="book_series").count() == 4


def test_the_weeks_beyond_the_rooms_horizon_are_allowed_the_first_is_not(cast, chess_room):
    series(chess_room, cast.resident1, weeks=12)  # the 12th week is 77 days out; the horizon is 14 days
    assert Booking.objects.count() == 12
    with pytest.raises(ValidationError) as e:
        series(chess_room, cast.resident2, start=local(TUE + datetime.timedelta(days=14), 9), weeks=2)
    assert "starts_at" in e.value.message_dict


@pytest.mark.parametrize("weeks", [0, 1, 13, "4", True])
def test_weeks_out_of_bounds_are_refused(cast, chess_room, weeks):
    with pytest.raises(ValidationError) as e:
        series(chess_room, cast.resident1, weeks=weeks)
    assert "weeks" in e.value.message_dict
    assert not Booking.objects.exists()


@pytest.mark.parametrize("kw,field", [
    ({"minutes": 150}, "ends_at"), ({"attendees": 9}, "attendees"), ({"purpose": " "}, "purpose"),
    ({"start": local(datetime.date(2026, 3, 1), 19)}, "starts_at"),  # the first week is past
])
def test_the_rooms_rules_hold_for_the_series(cast, chess_room, kw, field):
    with pytest.raises(ValidationError) as e:
        series(chess_room, cast.resident1, **kw)
    assert field in e.value.message_dict
    assert not Booking.objects.exists()


def _world_with_every_conflict(cast, chess_room):
    """Week 2 taken, week 3 in a closure, week 4 a holiday the station closes on; weeks 1 and 5 free."""
    other = single(chess_room, cast.resident2, local(tuesday(2), 20), minutes=60)
    Closure.objects.create(station=chess_room.station, starts_at=local(tuesday(3), 18),
                           ends_at=local(tuesday(3), 23), reason="线路检修")
    chess_room.station.closed_on_holidays = True
    chess_room.station.save()
    CalendarDay.objects.create(date=tuesday(4), kind=DayKind.HOLIDAY, name="测试假日")
    bump()
    return other


def test_conflicts_are_named_with_why_and_refuse_the_whole_series(cast, chess_room):
    _world_with_every_conflict(cast, chess_room)
    with pytest.raises(recurring.SeriesConflict) as e:
        series(chess_room, cast.resident1, weeks=5)
    assert [(w.number, w.why) for w in e.value.weeks] == [(2, Why.OVERLAP), (3, Why.CLOSURE), (4, Why.HOLIDAY)]
    assert e.value.weeks[1].why_display == "驿站临时闭站（线路检修）"
    assert e.value.status == 409
    assert Booking.objects.filter(booked_by=cast.resident1).count() == 0  # nothing written
    assert not AuditEntry.objects.filter(detail="book_series").exists()
    assert not BookingEvent.objects.filter(actor=cast.resident1).exists()


def test_skipping_the_conflicts_books_the_other_weeks(cast, chess_room):
    other = _world_with_every_conflict(cast, chess_room)
    made = series(chess_room, cast.resident1, weeks=5, skip=True)
    assert [w.number for w in made.skipped] == [2, 3, 4]
    mine = list(Booking.objects.filter(booked_by=cast.resident1).order_by("starts_at"))
    assert [b.starts_at.date() for b in mine] == [tuesday(1), tuesday(5)]
    assert Booking.objects.get(pk=other.pk).status == BookingStatus.CONFIRMED  # the taken week is untouched


def test_outside_the_opening_hours_is_a_conflict(cast, chess_room):
    from gongzhi.stations.models import OpeningHours

    OpeningHours.objects.filter(station=chess_room.station, weekday=1).delete()  # no Tuesdays any more
    with pytest.raises(recurring.SeriesConflict) as e:
        series(chess_room, cast.resident1, weeks=2)
    assert {w.why for w in e.value.weeks} == {Why.HOURS}
    assert "每一周" in e.value.message  # none free: refused even when skipping was asked for
    with pytest.raises(recurring.SeriesConflict):
        series(chess_room, cast.resident1, weeks=2, skip=True)
    assert not Booking.objects.exists()


def test_back_to_back_with_a_series_is_no_conflict(cast, chess_room):
    single(chess_room, cast.resident2, local(tuesday(1), 18), minutes=60)  # ends when the series starts
    single(chess_room, cast.resident2, local(tuesday(2), 21), minutes=60)  # starts when it ends
    series(chess_room, cast.resident1, weeks=3)
    assert Booking.objects.filter(booked_by=cast.resident1).count() == 3


def test_a_single_booking_overlapping_a_series_week_is_refused(cast, chess_room):
    series(chess_room, cast.resident1, weeks=3)
    with pytest.raises(services.Conflict):
        single(chess_room, cast.resident2, local(tuesday(2), 20, 30))
    assert Booking.objects.count() == 3


def test_two_series_overlapping_in_one_week_only(cast, chess_room):
    series(chess_room, cast.resident1, weeks=2)  # weeks 1 and 2
    with pytest.raises(recurring.SeriesConflict) as e:
        series(chess_room, cast.resident2, start=local(tuesday(2), 20), weeks=3)
    assert [w.number for w in e.value.weeks] == [1]  # its own first week is the other's second
    assert Booking.objects.count() == 2


def test_only_those_who_may_book_the_room(cast, chess_room):
    for outsider in (cast.rider1, cast.nobody):
        with pytest.raises(Http404):
            series(chess_room, outsider)
    assert not Booking.objects.exists()


def test_needing_approval_every_week_waits_and_the_keepers_hear_once(cast, chess_room):
    chess_room.needs_approval = True
    chess_room.save()
    series(chess_room, cast.resident1, weeks=3)
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.PENDING}
    events = list(BookingEvent.objects.order_by("booking__starts_at"))
    assert [e.action for e in events] == ["booking_request"] * 3
    assert [e.notify_pending for e in events] == [True, False, False]


def test_the_series_is_cancelled_from_one_week_on(cast, chess_room):
    made = series(chess_room, cast.resident1, weeks=4)
    week = {b.starts_at.date(): b for b in made.bookings}
    with pytest.raises(Http404):  # another resident
        recurring.series_cancel(user=cast.resident2, booking_id=week[tuesday(3)].pk, now=NOW)
    gone = recurring.series_cancel(user=cast.resident1, booking_id=week[tuesday(2)].pk, now=NOW)
    assert [b.starts_at.date() for b in gone] == [tuesday(2), tuesday(3), tuesday(4)]
    status = dict(Booking.objects.values_list("starts_at", "status"))
    assert [status[local(tuesday(n), 19)] for n in range(1, 5)] == ["confirmed"] + ["cancelled"] * 3
    assert AuditEntry.objects.filter(detail="cancel_series").count() == 3
    # The freed weeks may be booked again; cancelling again from there finds nothing to cancel.
    single(chess_room, cast.resident2, local(tuesday(2), 19))
    with pytest.raises(services.Conflict):
        recurring.series_cancel(user=cast.resident1, booking_id=week[tuesday(4)].pk, now=NOW)


def test_a_keeper_cancels_a_series_a_single_booking_is_no_series(cast, chess_room):
    made = series(chess_room, cast.resident1, weeks=2)
    assert len(recurring.series_cancel(user=cast.property1, booking_id=made.bookings[0].pk, now=NOW)) == 2
    one = single(chess_room, cast.resident2, local(tuesday(1), 9))
    with pytest.raises(ValidationError):
        recurring.series_cancel(user=cast.resident2, booking_id=one.pk, now=NOW)
    later = NOW + 10 * WEEK
    made = series(chess_room, cast.resident1, weeks=2, start=local(tuesday(1), 11))
    with pytest.raises(ValidationError):  # its weeks are over by then
        recurring.series_cancel(user=cast.resident1, booking_id=made.bookings[0].pk, now=later)
    assert Booking.objects.filter(series=made.id, status="confirmed").count() == 2


def test_check_lists_the_weeks_without_writing(cast, chess_room):
    single(chess_room, cast.resident2, local(tuesday(2), 19, 30))
    weeks = recurring.series_check(user=cast.resident1, room_id=chess_room.pk, starts_at=local(TUE, 19),
                                   ends_at=local(TUE, 21), weeks=3, attendees=4, purpose="象棋", now=NOW)
    assert [(w.number, w.free, w.why) for w in weeks] == [(1, True, ""), (2, False, Why.OVERLAP), (3, True, "")]
    assert Booking.objects.count() == 1


# ---- a series and a single booking at the same time ---------------------------------------------------------

def _race(chess_room, cast, *, skip):
    """A series of 4 weeks and a single booking inside its second week, started at the same instant."""
    results, barrier = {}, threading.Barrier(2)

    def go(name, fn):
        try:
            barrier.wait()
            fn()
            results[name] = "ok"
        except services.Conflict as e:  # SeriesConflict included
            results[name] = "refused"
            results[name + "_weeks"] = [w.number for w in getattr(e, "weeks", [])]
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=("series", lambda: series(chess_room, cast.resident1, weeks=4,
                                                                           skip=skip))),
               threading.Thread(target=go, args=("single", lambda: single(chess_room, cast.resident2,
                                                                          local(tuesday(2), 20))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _no_overlap(room):
    rows = list(Booking.objects.filter(room=room, status__in=("pending", "confirmed")).order_by("starts_at"))
    assert all(a.ends_at <= b.starts_at for a, b in zip(rows, rows[1:]))
    return rows


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("skip", [False, True])
def test_a_series_and_a_single_booking_at_once(cast, chess_room, skip):
    results = _race(chess_room, cast, skip=skip)
    rows = _no_overlap(chess_room)
    mine = [b for b in rows if b.booked_by_id == cast.resident1.pk]
    theirs = [b for b in rows if b.booked_by_id == cast.resident2.pk]
    if results["single"] == "ok":  # the single came first: the series met it in its second week
        assert len(theirs) == 1
        if skip:
            assert results["series"] == "ok" and len(mine) == 3
        else:
            assert results["series"] == "refused" and results["series_weeks"] == [2] and mine == []
    else:  # the series came first: the single found its hour taken
        assert results == {"series": "ok", "single": "refused", "single_weeks": []}
        assert (len(mine), theirs) == (4, [])
