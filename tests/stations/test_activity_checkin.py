"""Checking in to an activity by its code, and its attendance: a genuine code of this activity checks a seated
person in (once); a forged, expired or other kind of code, a code too early, a waiter, someone without a seat
at a full activity are refused saying why; volunteers' time is credited to the service ledger once."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.lists.models import LedgerEntry
from gongzhi.stations import activities, codes, services
from gongzhi.stations.models import ActivitySignup

from .conftest import local
from .test_activities import DAY, NOW, publish

START = local(DAY, 9)
DURING = START + datetime.timedelta(minutes=10)


@pytest.fixture
def lecture(cast, chess_room):
    return publish(cast, chess_room, capacity=2, minutes=90, title="志愿服务日：楼道清洁", kind="volunteer",
                   volunteer_hours=True)


def checkin(user, a, now=DURING, token=None):
    return activities.checkin(user=user, token=token or activities.code_for(a), now=now)


def test_a_seated_person_checks_in_once_and_their_time_is_credited_once(cast, lecture):
    s = activities.signup_create(user=cast.member1, activity_id=lecture.pk, now=NOW)
    signup, newly = checkin(cast.member1, lecture)
    assert newly and signup.pk == s.pk and signup.attended_at == DURING and signup.attended_via == "code"
    [line] = LedgerEntry.objects.all()
    assert (line.person, line.hours, line.year, line.source) == (cast.member1, Decimal("1.5"), 2026,
                                                                 f"stations.activity:{s.pk}")
    assert line.compound_id == lecture.station.compound_id and "楼道清洁" in line.reason
    again, newly = checkin(cast.member1, lecture, now=DURING + datetime.timedelta(minutes=5))
    assert not newly and again.attended_at == DURING
    with pytest.raises(services.Conflict):  # nor may a keeper record them a second time
        activities.attendance_record(user=cast.community_worker, signup_id=s.pk, now=DURING)
    assert LedgerEntry.objects.count() == 1


def test_a_keeper_records_attendance_by_hand_and_the_ledger_hears_of_it(cast, lecture):
    s = activities.signup_create(user=cast.resident1, activity_id=lecture.pk, now=NOW)
    with pytest.raises(ValidationError):  # not begun: nobody came yet
        activities.attendance_record(user=cast.community_worker, signup_id=s.pk, now=NOW)
    with pytest.raises(Http404):
        activities.attendance_record(user=cast.resident2, signup_id=s.pk, now=DURING)
    activities.attendance_record(user=cast.community_worker, signup_id=s.pk, now=START + datetime.timedelta(hours=3))
    s.refresh_from_db()
    assert s.attended_via == "keeper" and s.attendance_by == cast.community_worker
    assert LedgerEntry.objects.get().by == cast.community_worker


def test_an_activity_whose_time_does_not_count_credits_nothing(cast, chess_room):
    a = publish(cast, chess_room)
    activities.signup_create(user=cast.resident1, activity_id=a.pk, now=NOW)
    checkin(cast.resident1, a)
    assert ActivitySignup.objects.get().attended_at == DURING and not LedgerEntry.objects.exists()


def test_codes_that_check_nobody_in(cast, lecture, chess_room):
    activities.signup_create(user=cast.resident1, activity_id=lecture.pk, now=NOW)
    token = activities.code_for(lecture)
    cases = [
        (token[:-3] + "xyz", "无效"),  # forged
        (codes.make(codes.ACTIVITY, lecture.pk, expires_at=DURING - datetime.timedelta(seconds=1)), "过期"),
        (codes.make(codes.ROOM, chess_room.pk, expires_at=lecture.ends_at), "不是活动签到码"),
        (codes.make(codes.STATION, chess_room.station_id, expires_at=lecture.ends_at), "不是活动签到码"),
    ]
    for bad, why in cases:
        with pytest.raises(ValidationError, match=why):
            checkin(cast.resident1, lecture, token=bad)
    with pytest.raises(ValidationError, match="签到尚未开始"):
        checkin(cast.resident1, lecture, now=START - datetime.timedelta(minutes=31))
    checkin(cast.resident1, lecture, now=START - datetime.timedelta(minutes=30))  # half an hour early is fine
    assert not LedgerEntry.objects.exclude(person=cast.resident1).exists()


def test_waiters_outsiders_and_walk_ins(cast, lecture):
    late = User.objects.create_user(username="latecomer", password=cast.password)
    RoleAssignment.objects.create(user=late, role=Role.RESIDENT, household=cast.H1b)
    outsider = User.objects.create_user(username="dongfeng", password=cast.password)
    RoleAssignment.objects.create(user=outsider, role=Role.RESIDENT, household=cast.H3)
    activities.signup_create(user=cast.resident1, activity_id=lecture.pk, now=NOW)
    walked_in, newly = checkin(cast.resident2, lecture)  # not signed up, a seat left: takes it, checks in
    assert newly and walked_in.status == "confirmed" and walked_in.attended_at == DURING
    with pytest.raises(ValidationError, match="名额已满"):
        checkin(late, lecture)
    with pytest.raises(Http404):
        checkin(outsider, lecture)
    with pytest.raises(ValidationError):  # a keeper reads it, but holds no seat
        checkin(cast.property1, lecture)
    assert ActivitySignup.objects.filter(activity=lecture).count() == 2


def test_a_waiter_is_told_their_place(cast, lecture):
    for u in (cast.resident1, cast.resident2, cast.member1):
        activities.signup_create(user=u, activity_id=lecture.pk, now=NOW)
    with pytest.raises(ValidationError, match="候补名单第 1 位"):
        checkin(cast.member1, lecture)
    assert ActivitySignup.objects.get(person=cast.member1).attended_at is None


def test_a_cancelled_activity_checks_nobody_in(cast, lecture):
    activities.signup_create(user=cast.resident1, activity_id=lecture.pk, now=NOW)
    token = activities.code_for(lecture)
    activities.activity_cancel(user=cast.community_worker, activity_id=lecture.pk, now=NOW)
    with pytest.raises(services.Conflict, match="已取消"):
        checkin(cast.resident1, lecture, token=token)
    assert not LedgerEntry.objects.exists()
