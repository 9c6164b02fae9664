"""Activities: publishing one holds its room like a booking; residents of the places served sign up once, the
rest queue and move up in order when someone withdraws; a cancelled activity tells everyone signed up; each
bad input a clear error with nothing written; outsiders never see it."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection  # noqa: F401 (read by the skipif conditions)
from django.http import Http404

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.core.models import AuditEntry
from gongzhi.core.timeline import source
from gongzhi.stations import activities, services
from gongzhi.stations import activity_selectors as sel
from gongzhi.stations.activity_timeline import LABEL, PARTICIPANT
from gongzhi.stations.models import (
    Activity,
    ActivityEvent,
    ActivitySignup,
    Booking,
    BookingStatus,
    Room,
    RoomReach,
    SignupStatus,
)

from .conftest import local

NOW = local(datetime.date(2026, 3, 2), 10)  # a Monday morning
DAY = datetime.date(2026, 3, 3)


@pytest.fixture
def people(cast):
    """Five residents of the places the station serves, in the order they will sign up."""
    out = []
    for i, household in enumerate((cast.H1, cast.H1b, cast.H2, cast.H1, cast.H2)):
        u = User.objects.create_user(username=f"neighbour{i}", password=cast.password)
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=household)
        out.append(u)
    return out


@pytest.fixture
def outsider(cast):
    u = User.objects.create_user(username="dongfeng_resident", password=cast.password)
    RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=cast.H3)
    return u


def publish(cast, room=None, station=None, start=None, minutes=90, capacity=4, user=None, now=NOW, **kw):
    start = start or local(DAY, 9)
    station = station or room.station
    fields = dict(title="象棋友谊赛", kind="chess", starts_at=start, ends_at=start + datetime.timedelta(minutes=minutes),
                  capacity=capacity, room_id=room.pk if room else None)
    fields.update(kw)
    return activities.activity_publish(user=user or cast.community_worker, station_id=station.pk, now=now, **fields)


def sign_up(user, a, now=NOW):
    return activities.signup_create(user=user, activity_id=a.pk, now=now)


def statuses(a):
    return [(s.person.username, s.status) for s in ActivitySignup.objects.filter(activity=a).select_related("person")
            .order_by("id")]


# ---- publishing, the room's time ----------------------------------------------------------------------------

def test_an_activity_in_a_room_books_it_and_no_booking_may_overlap(cast, chess_room):
    a = publish(cast, chess_room, capacity=8)
    assert a.booking.status == BookingStatus.CONFIRMED and a.booking.room == chess_room
    assert (a.booking.starts_at, a.booking.ends_at) == (a.starts_at, a.ends_at)
    assert sorted((r.node_level, r.node_id) for r in a.reach.all()) == [("compound", cast.K1.pk),
                                                                         ("compound", cast.K2.pk)]
    assert AuditEntry.objects.filter(object_type="stations.activity", object_id=str(a.pk), detail="publish").exists()
    with pytest.raises(services.Conflict):  # a resident's booking inside the activity's time
        services.booking_create(user=cast.resident1, room_id=chess_room.pk, starts_at=local(DAY, 10),
                                ends_at=local(DAY, 11), attendees=2, purpose="下棋", now=NOW)
    services.booking_create(user=cast.resident1, room_id=chess_room.pk, starts_at=local(DAY, 10, 30),
                            ends_at=local(DAY, 11, 30), attendees=2, purpose="下棋", now=NOW)  # back to back
    with pytest.raises(ValidationError) as e:  # its hold is the activity's, not a booking to cancel
        services.booking_cancel(user=cast.community_worker, booking_id=a.booking_id, now=NOW)
    assert "活动" in str(e.value)


def test_publishing_over_a_booking_is_refused_and_writes_nothing(cast, chess_room):
    services.booking_create(user=cast.resident1, room_id=chess_room.pk, starts_at=local(DAY, 9, 30),
                            ends_at=local(DAY, 10), attendees=2, purpose="下棋", now=NOW)
    with pytest.raises(services.Conflict):
        publish(cast, chess_room)
    assert not Activity.objects.exists() and Booking.objects.count() == 1
    assert not AuditEntry.objects.filter(object_type="stations.activity").exists()
    publish(cast, chess_room, start=local(DAY, 10))  # from the booking's end on


@pytest.mark.parametrize("change,field", [
    ({"start": local(datetime.date(2026, 3, 1), 9)}, "starts_at"),  # in the past
    ({"minutes": 0}, "ends_at"),
    ({"minutes": 13 * 60}, "ends_at"),  # longer than a day's activity
    ({"capacity": 0}, "capacity"),
    ({"capacity": 9}, "capacity"),  # more than the room's 8 seats
    ({"title": "  "}, "title"),
    ({"kind": "party"}, "kind"),
    ({"start": local(DAY, 21, 30)}, "starts_at"),  # past the station's 22:00 closing
    ({"start": local(DAY + datetime.timedelta(days=400), 9)}, "starts_at"),
])
def test_bad_activities_are_refused_and_nothing_changes(cast, chess_room, change, field):
    with pytest.raises(ValidationError) as e:
        publish(cast, chess_room, **change)
    assert field in e.value.message_dict
    assert not Activity.objects.exists() and not Booking.objects.exists()
    assert not AuditEntry.objects.filter(object_type="stations.activity").exists()


def test_a_room_of_another_station_is_refused(cast, chess_room, make_station):
    other = make_station(name="二期党群驿站", kind="party", compound=cast.K2)
    with pytest.raises(ValidationError) as e:
        publish(cast, chess_room, station=other)
    assert "room" in e.value.message_dict and not Activity.objects.exists()


def test_who_may_publish(cast, chess_room):
    publish(cast, chess_room, user=cast.property1)  # serves both phases the station serves
    with pytest.raises(ValidationError) as e:  # the first phase's committee keeps the station, not all it serves
        publish(cast, chess_room, user=cast.owners1, start=local(DAY, 14))
    assert "station" in e.value.message_dict
    for user in (cast.resident1, cast.member1, cast.rider1, cast.grid_worker):
        with pytest.raises(Http404):
            publish(cast, chess_room, user=user, start=local(DAY, 14))
    assert Activity.objects.count() == 1


def test_a_station_without_rooms_serves_its_own_compound(cast, make_station, outsider):
    station = make_station(name="一期暖锋驿站")
    a = publish(cast, station=station)
    assert [(r.node_level, r.node_id) for r in a.reach.all()] == [("compound", cast.K1.pk)]
    assert sel.activity(cast.resident1, a.pk) is not None
    assert sel.activity(cast.resident2, a.pk) is None  # 二期 is not served by this one


# ---- who sees, who signs up ---------------------------------------------------------------------------------

def test_only_the_places_served_see_and_sign_up(cast, chess_room, outsider):
    a = publish(cast, chess_room)
    for user in (cast.resident1, cast.resident2, cast.member1, cast.owners1, cast.grid_worker, cast.property1):
        assert sel.activity(user, a.pk) is not None, user
    for user in (outsider, cast.rider1, cast.nobody):
        assert sel.activity(user, a.pk) is None, user
        with pytest.raises(Http404):
            sign_up(user, a)
    with pytest.raises(ValidationError):  # a keeper reads it but does not join it
        sign_up(cast.property1, a)
    sign_up(cast.member1, a)  # a party member of the community
    assert not ActivitySignup.objects.exclude(person=cast.member1).exists()


def test_who_signed_up_keeps_reading_it_after_moving_away(cast, chess_room):
    a = publish(cast, chess_room)
    sign_up(cast.resident2, a)
    RoleAssignment.objects.filter(user=cast.resident2).update(household=cast.H3, compound=None)
    mover = User.objects.get(pk=cast.resident2.pk)
    assert sel.activity(mover, a.pk) is not None
    with pytest.raises(ValidationError):  # told they may not join: it is theirs to read, not to join again
        sign_up(mover, a)
    with pytest.raises(Http404):  # and the next one there is none of their business
        sign_up(mover, publish(cast, chess_room, start=local(DAY, 14)))


# ---- the waitlist ---------------------------------------------------------------------------------------

def test_full_then_waitlist_then_twice_refused(cast, chess_room, people):
    a = publish(cast, chess_room, capacity=2)
    got = [sign_up(u, a) for u in people[:4]]
    assert [s.status for s in got] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [sel.position_of(s) for s in got] == [0, 0, 1, 2]
    assert Activity.objects.get(pk=a.pk).seats_taken == 2
    with pytest.raises(services.Conflict, match="已报名"):
        sign_up(people[0], a)
    with pytest.raises(services.Conflict, match="第 2 位"):
        sign_up(people[3], a)
    assert ActivitySignup.objects.filter(activity=a).count() == 4
    assert AuditEntry.objects.filter(object_type="stations.activitysignup", detail="waitlist").count() == 2


def test_a_withdrawal_moves_the_first_waiter_up_in_order_and_tells_them(cast, chess_room, people):
    a = publish(cast, chess_room, capacity=2)
    first, second, third, fourth, fifth = [sign_up(u, a) for u in people]
    activities.signup_leave(user=people[1], activity_id=a.pk, now=NOW)
    assert statuses(a) == [("neighbour0", "confirmed"), ("neighbour1", "cancelled"), ("neighbour2", "confirmed"),
                           ("neighbour3", "waiting"), ("neighbour4", "waiting")]
    assert [sel.position_of(ActivitySignup.objects.get(pk=s.pk)) for s in (fourth, fifth)] == [1, 2]
    [event] = ActivityEvent.objects.filter(action="activity_promote")
    assert event.signup_id == third.pk and event.notify_pending
    src = source(LABEL)
    assert src.audience(src.load([event.pk]))[event.pk].parties == {people[2].pk: PARTICIPANT}
    assert "候补转为正式报名" in src.message(src.load([event.pk])[0], PARTICIPANT)["title"]
    # A waiter leaving frees no seat: nobody moves up, the queue closes ranks.
    activities.signup_leave(user=people[3], activity_id=a.pk, now=NOW)
    assert sel.position_of(ActivitySignup.objects.get(pk=fifth.pk)) == 1
    assert ActivityEvent.objects.filter(action="activity_promote").count() == 1
    activities.signup_leave(user=people[0], activity_id=a.pk, now=NOW)
    assert statuses(a)[-1] == ("neighbour4", "confirmed")
    assert Activity.objects.get(pk=a.pk).seats_taken == 2
    # Signing up again after withdrawing is a new place at the end of the queue.
    again = sign_up(people[1], a)
    assert again.status == SignupStatus.WAITING and sel.position_of(again) == 1
    with pytest.raises(services.Conflict):
        activities.signup_leave(user=people[3], activity_id=a.pk, now=NOW)  # left already


def test_capacity_grows_and_the_waiters_move_up_shrinks_not_below_the_seated(cast, chess_room, people):
    a = publish(cast, chess_room, capacity=2)
    for u in people:
        sign_up(u, a)

    def update(capacity, version):
        return activities.activity_update(user=cast.community_worker, activity_id=a.pk, version=version,
                                          title=a.title, kind=a.kind, starts_at=a.starts_at, ends_at=a.ends_at,
                                          capacity=capacity, room_id=chess_room.pk, now=NOW)

    with pytest.raises(ValidationError) as e:
        update(1, a.version)
    assert "capacity" in e.value.message_dict
    a2 = update(4, a.version)
    assert [s for _u, s in statuses(a)] == ["confirmed"] * 4 + ["waiting"]
    assert ActivityEvent.objects.filter(action="activity_promote").count() == 2
    assert a2.seats_taken == 4 and a2.booking.attendees == 4
    with pytest.raises(services.Conflict):  # the version read before that change
        update(5, a.version)


def test_signing_up_after_the_start_or_to_a_cancelled_activity_is_refused(cast, chess_room):
    a = publish(cast, chess_room)
    with pytest.raises(ValidationError):
        sign_up(cast.resident1, a, now=local(DAY, 9, 1))
    activities.activity_cancel(user=cast.community_worker, activity_id=a.pk, now=NOW)
    with pytest.raises(services.Conflict, match="已取消"):
        sign_up(cast.resident1, a)
    assert not ActivitySignup.objects.exists()


# ---- changing and cancelling ----------------------------------------------------------------------------

def test_cancelling_frees_the_room_and_tells_everyone_signed_up(cast, chess_room, people):
    a = publish(cast, chess_room, capacity=1)
    for u in people[:3]:
        sign_up(u, a)
    activities.signup_leave(user=people[2], activity_id=a.pk, now=NOW)  # withdrew: not told
    with pytest.raises(Http404):
        activities.activity_cancel(user=cast.resident1, activity_id=a.pk, now=NOW)
    activities.activity_cancel(user=cast.community_worker, activity_id=a.pk, reason="暴雨预警", now=NOW)
    a.refresh_from_db()
    assert a.status == "cancelled" and a.booking.status == BookingStatus.CANCELLED
    [event] = ActivityEvent.objects.filter(action="activity_cancel")
    src = source(LABEL)
    loaded = src.load([event.pk])
    assert src.audience(loaded)[event.pk].parties == {people[0].pk: PARTICIPANT, people[1].pk: PARTICIPANT}
    assert "暴雨预警" in src.message(loaded[0], PARTICIPANT)["body"]
    with pytest.raises(services.Conflict):
        activities.activity_cancel(user=cast.community_worker, activity_id=a.pk, now=NOW)
    services.booking_create(user=cast.resident1, room_id=chess_room.pk, starts_at=local(DAY, 9),
                            ends_at=local(DAY, 10), attendees=2, purpose="下棋", now=NOW)  # the room is free again


def test_moving_an_activity_moves_its_booking_and_tells_those_signed_up(cast, chess_room):
    reading = Room.objects.create(station=chess_room.station, name="阅览室", capacity=20)
    RoomReach.objects.create(room=reading, compound=cast.K1)
    a = publish(cast, chess_room)
    sign_up(cast.resident1, a)
    first_booking = a.booking

    def update(**kw):
        fields = dict(title=a.title, kind=a.kind, starts_at=a.starts_at, ends_at=a.ends_at, capacity=a.capacity,
                      room_id=chess_room.pk)
        fields.update(kw)
        return activities.activity_update(user=cast.community_worker, activity_id=a.pk,
                                          version=Activity.objects.get(pk=a.pk).version, now=NOW, **fields)

    update(title="象棋友谊赛（改名）")
    assert not ActivityEvent.objects.filter(action="activity_change").exists()  # a new name is no news
    a = update(starts_at=local(DAY, 14), ends_at=local(DAY, 15))
    assert a.booking_id == first_booking.pk and (a.booking.starts_at, a.booking.ends_at) == (local(DAY, 14),
                                                                                              local(DAY, 15))
    a = update(room_id=reading.pk)
    first_booking.refresh_from_db()
    assert first_booking.status == BookingStatus.CANCELLED and a.booking.room == reading
    a = update(room_id=None)
    assert a.booking is None and not Booking.objects.filter(status__in=("pending", "confirmed")).exists()
    events = ActivityEvent.objects.filter(action="activity_change")
    assert events.count() == 3
    src = source(LABEL)
    assert src.audience(src.load([events[0].pk]))[events[0].pk].parties == {cast.resident1.pk: PARTICIPANT}
    services.booking_create(user=cast.resident2, room_id=chess_room.pk, starts_at=local(DAY, 14),
                            ends_at=local(DAY, 15), attendees=2, purpose="下棋", now=NOW)
    with pytest.raises(services.Conflict):  # back into the room, but the hour is someone's now
        update(room_id=chess_room.pk)
    assert Activity.objects.get(pk=a.pk).room_id is None


def test_an_activity_begun_is_not_changed(cast, chess_room):
    a = publish(cast, chess_room)
    with pytest.raises(ValidationError):
        activities.activity_cancel(user=cast.community_worker, activity_id=a.pk, now=local(DAY, 9, 30))
    with pytest.raises(ValidationError):
        activities.activity_update(user=cast.community_worker, activity_id=a.pk, version=a.version, title="x",
                                   kind=a.kind, starts_at=local(DAY, 10), ends_at=local(DAY, 11), capacity=4,
                                   now=local(DAY, 9, 30))
    assert Activity.objects.get(pk=a.pk).status == "published"


# ---- the database's own guards --------------------------------------------------------------------------

def test_the_database_refuses_more_seats_than_the_capacity_and_two_standing_signups(cast, chess_room):
    from django.db import IntegrityError, transaction

    a = publish(cast, chess_room, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=a.pk).update(seats_taken=2)
    sign_up(cast.resident1, a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivitySignup.objects.create(activity=a, person=cast.resident1, status="waiting")
    ActivitySignup.objects.create(activity=a, person=cast.resident1, status="cancelled")  # history may repeat


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_database_refuses_a_booking_over_an_activity(cast, chess_room):
    from django.db import IntegrityError, transaction

    a = publish(cast, chess_room)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(room=chess_room, booked_by=cast.resident2, starts_at=local(DAY, 10),
                               ends_at=local(DAY, 11), purpose="x", attendees=1, status="confirmed",
                               compound=a.booking.compound)


def test_the_inbox_hears_of_moving_up_and_of_a_cancellation(cast, chess_room, people):
    """Through the outbox and the notifications' drain, as the worker delivers them."""
    from gongzhi.notifications.models import Notification
    from gongzhi.notifications.services import drain_batch

    a = publish(cast, chess_room, capacity=1)
    for u in people[:3]:
        sign_up(u, a)
    activities.signup_leave(user=people[0], activity_id=a.pk, now=NOW)
    drain_batch()
    [moved] = Notification.objects.all()
    assert (moved.recipient, moved.source, moved.url) == (people[1], LABEL, f"/stations/activities/{a.pk}/")
    assert "候补转为正式报名" in moved.title and "象棋友谊赛" in moved.title
    activities.activity_cancel(user=cast.community_worker, activity_id=a.pk, reason="场地维修", now=NOW)
    drain_batch()
    told = Notification.objects.filter(action="activity_cancel")
    assert sorted(n.recipient.username for n in told) == ["neighbour1", "neighbour2"]  # not who withdrew
    assert all("场地维修" in n.body for n in told)
