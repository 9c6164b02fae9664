"""Many residents signing up at the same instant never seat more than the capacity: exactly `capacity` of them
get a seat, the rest queue, each once; withdrawals racing sign-ups leave the count true."""
import threading

import pytest
from django.db import connection

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.stations import activities, services
from gongzhi.stations.models import Activity, ActivitySignup, SignupStatus

from .conftest import local
from .test_activities import DAY, NOW, publish

RACERS = 8
SEATS = 3


def _racers(cast, n, prefix):
    out = []
    for i in range(n):
        u = User.objects.create_user(username=f"{prefix}{i}", password=cast.password)
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=cast.H1 if i % 2 else cast.H2)
        out.append(u)
    return out


def _run(jobs):
    results, barrier = [], threading.Barrier(len(jobs))

    def go(job):
        try:
            barrier.wait()
            results.append(job())
        except services.Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_many_sign_ups_at_once_seat_exactly_the_capacity(cast, chess_room):
    a = publish(cast, chess_room, capacity=SEATS)
    users = _racers(cast, RACERS, "racer")
    results = _run([lambda u=u: activities.signup_create(user=u, activity_id=a.pk, now=NOW).status for u in users])
    assert sorted(results) == ["confirmed"] * SEATS + ["waiting"] * (RACERS - SEATS)
    a.refresh_from_db()
    rows = list(ActivitySignup.objects.filter(activity=a).order_by("id"))
    assert a.seats_taken == SEATS == sum(s.status == SignupStatus.CONFIRMED for s in rows)
    # The first SEATS to get the lock got the seats: the queue is the order of arrival.
    assert [s.status for s in rows] == ["confirmed"] * SEATS + ["waiting"] * (RACERS - SEATS)


@pytest.mark.django_db(transaction=True)
def test_the_same_person_twice_at_once_signs_up_once(cast, chess_room):
    a = publish(cast, chess_room, capacity=SEATS)
    results = _run([lambda: activities.signup_create(user=cast.resident1, activity_id=a.pk, now=NOW).status] * 4)
    assert sorted(results) == ["confirmed"] + ["conflict"] * 3
    assert ActivitySignup.objects.filter(activity=a).count() == 1


@pytest.mark.django_db(transaction=True)
def test_withdrawals_racing_sign_ups_keep_the_count_true(cast, chess_room):
    a = publish(cast, chess_room, capacity=SEATS, start=local(DAY, 14))
    seated = _racers(cast, SEATS + 2, "early")
    for u in seated:
        activities.signup_create(user=u, activity_id=a.pk, now=NOW)
    newcomers = _racers(cast, 4, "late")
    jobs = [lambda u=u: activities.signup_leave(user=u, activity_id=a.pk, now=NOW).status for u in seated[:SEATS]]
    jobs += [lambda u=u: activities.signup_create(user=u, activity_id=a.pk, now=NOW).status for u in newcomers]
    _run(jobs)
    a = Activity.objects.get(pk=a.pk)
    standing = ActivitySignup.objects.filter(activity=a).exclude(status=SignupStatus.CANCELLED)
    confirmed = standing.filter(status=SignupStatus.CONFIRMED)
    assert a.seats_taken == confirmed.count() == SEATS
    assert standing.count() == 2 + len(newcomers)
    # The two who waited before anyone left are seated, whatever the newcomers did meanwhile.
    assert set(confirmed.values_list("person__username", flat=True)) >= {f"early{SEATS}", f"early{SEATS + 1}"}
