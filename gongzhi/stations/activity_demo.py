"""A month of activities for the demo, two weeks back and two ahead: morning exercise three mornings a week,
a party knowledge lecture each Thursday in the 活动室, volunteer service days whose hours reach the service
ledger, chess in the 棋牌室 (a challengers' table of two seats: a waitlist at each, resident1 waiting at those
still ahead, and at some past ones a withdrawal that moved the first waiter up), and one morning called off
for the weather. resident1, resident2 and member1 sign up; most of those with a seat at a past activity
checked in with its code, the keeper recorded the rest. Everything goes through the services, each at the
moment it would have happened."""
import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from gongzhi.core.workdays import LOCAL

from . import activities
from .models import ActivityKind, Room, SignupStatus, Station
from .services import Conflict

T = datetime.time
MAIN = "宁江新城一期二期党群驿站"
OTHER = "江南明珠花园党群驿站"
# (weekdays, start, end, kind, title, room name or None, capacity, volunteer hours count)
WEEKLY = [
    ((0, 2, 4), T(7), T(8), ActivityKind.EXERCISE, "太极晨练", None, 30, False),
    ((3,), T(16), T(17, 30), ActivityKind.LECTURE, "党的知识讲座：学习党章", "活动室", 40, False),
    ((6,), T(11), T(13), ActivityKind.CHESS, "象棋擂台赛·挑战席", "棋牌室", 2, False),
]
VOLUNTEER_DAYS = (-9, 5)  # days from today: the Saturdays nearest these are volunteer service days
VOLUNTEER = (T(8), T(11), "志愿服务日：小区环境清洁与义诊", 12)
OTHER_WEEKLY = ((1,), T(15), T(17), ActivityKind.CHESS, "老年棋牌友谊赛", "棋牌室", 8, False)
PEOPLE = ("resident1", "resident2", "member1")


def _at(day, t):
    return datetime.datetime.combine(day, t, tzinfo=LOCAL)


def _saturday_near(day):
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def _plan(today):
    """[(station name, start, end, kind, title, room name, capacity, volunteer)] in time order."""
    out = []
    for offset in range(-14, 15):
        day = today + datetime.timedelta(days=offset)
        for days, start, end, kind, title, room, capacity, volunteer in WEEKLY:
            if day.weekday() in days:
                out.append((MAIN, _at(day, start), _at(day, end), kind, title, room, capacity, volunteer))
        days, start, end, kind, title, room, capacity, volunteer = OTHER_WEEKLY
        if day.weekday() in days:
            out.append((OTHER, _at(day, start), _at(day, end), kind, title, room, capacity, volunteer))
    for offset in VOLUNTEER_DAYS:
        day = _saturday_near(today + datetime.timedelta(days=offset))
        start, end, title, capacity = VOLUNTEER
        out.append((MAIN, _at(day, start), _at(day, end), ActivityKind.VOLUNTEER, title, None, capacity, True))
    return sorted(out, key=lambda row: (row[1], row[4]))


def load_activities(rng, users, keeper):
    stations = {s.name: s for s in Station.objects.filter(name__in=[MAIN, OTHER])}
    if keeper is None or len(stations) < 2:
        return 0
    rooms = {(r.station.name, r.name): r.pk for r in Room.objects.filter(station__in=stations.values())
             .select_related("station")}
    people = [users[u] for u in PEOPLE if u in users]
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    made, called_off = 0, False
    for station_name, start, end, kind, title, room, capacity, volunteer in _plan(today):
        published_at = min(now, start - datetime.timedelta(days=10))
        try:
            a = activities.activity_publish(
                user=keeper, station_id=stations[station_name].pk, title=title, kind=kind, starts_at=start,
                ends_at=end, capacity=capacity, room_id=rooms.get((station_name, room)) if room else None,
                volunteer_hours=volunteer, now=published_at)
        except (ValidationError, Conflict):  # a holiday the station is closed, the room taken by a booking
            continue
        made += 1
        joined = _sign_up(rng, a, people, published_at, start, now)
        if start > now and kind == ActivityKind.EXERCISE and not called_off and start.weekday() == 2:
            activities.activity_cancel(user=keeper, activity_id=a.pk, reason="气象台发布暴雨预警，户外晨练暂停",
                                       now=min(now, start - datetime.timedelta(hours=12)))
            called_off = True
        elif end <= now:
            _attendance(rng, a, joined, keeper)
    return made


def _sign_up(rng, activity, people, published_at, start, now):
    """The people sign up one after another (all three for the two-seat table); where a seat-holder of a
    two-seat table withdraws, the first waiter moves up."""
    small = activity.capacity < len(people)
    order = list(people)
    rng.shuffle(order)
    if small and start > now:  # resident1 comes last to the tables still ahead: their home shows them waiting
        order.sort(key=lambda person: person.username == "resident1")
    joined, moment = [], published_at
    for person in order:
        if not small and rng.random() < 0.35:
            continue
        moment = min(now, moment + datetime.timedelta(hours=rng.randint(1, 30)))
        if moment >= start:
            break
        try:
            joined.append(activities.signup_create(user=person, activity_id=activity.pk, now=moment))
        except Http404:  # not among the places served: resident1 and resident2 live in the first two phases
            continue
    if small and len(joined) > activity.capacity and start <= now and rng.random() < 0.5:
        moment = min(now, moment + datetime.timedelta(hours=2))
        if moment < start:
            activities.signup_leave(user=joined[0].person, activity_id=activity.pk, now=moment)
    return joined


def _attendance(rng, activity, joined, keeper):
    token = activities.code_for(activity)
    for signup in joined:
        signup.refresh_from_db()
        if signup.status != SignupStatus.CONFIRMED or rng.random() < 0.15:  # a waiter, or someone who did not come
            continue
        moment = activity.starts_at + datetime.timedelta(minutes=rng.randint(-20, 15))
        if rng.random() < 0.8:
            activities.checkin(user=signup.person, token=token, now=moment)
        else:
            activities.attendance_record(user=keeper, signup_id=signup.pk,
                                         now=activity.starts_at + datetime.timedelta(minutes=30))
