"""A ballot is cast once per owner, whatever arrives at once: the same owner from several devices, and many owners
together. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.deliberation import services
from gongzhi.deliberation.models import Ballot
from gongzhi.grid.models import Household
from gongzhi.people.models import Resident

from .conftest import yes_to_all

THREADS = 8


def _race(calls):
    results, barrier = [], threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
            results.append("ok")
        except (ValidationError, services.Conflict):
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_one_owner_submitting_at_once_from_many_devices_gets_one_ballot(owned, make_vote):
    vote = make_vote(changeable=False)
    results = _race([lambda: services.ballot_cast(user=owned.resident1, vote=vote.pk, choices=yes_to_all(vote))
                     for _ in range(THREADS)])
    assert results == ["ok"] + ["refused"] * (THREADS - 1)
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.django_db(transaction=True)
def test_changes_arriving_at_once_are_applied_one_after_another_to_one_ballot(owned, make_vote):
    vote = make_vote()
    results = _race([lambda: services.ballot_cast(user=owned.resident1, vote=vote.pk, choices=yes_to_all(vote))
                     for _ in range(THREADS)])
    assert results == ["ok"] * THREADS
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.revision == THREADS


@pytest.mark.django_db(transaction=True)
def test_many_owners_voting_at_once_are_each_counted_once(owned, make_vote):
    owners = []
    for i in range(THREADS):
        h = Household.objects.create(building=owned.B1, code=f"2{i:02d}", address=f"宁江新城一期1栋2{i:02d}",
                                     floor_area=Decimal("80.00"))
        person = Resident.objects.create(name=f"业主{i}", household=h)
        u = User.objects.create_user(username=f"owner{i}", password=owned.password, resident=person)
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=h)
        services.ownership_record(user=owned.community_worker, household=h, owner_name=person.name,
                                  owner_resident=person)
        owners.append(u)
    vote = make_vote()
    results = _race([lambda u=u: services.ballot_cast(user=u, vote=vote.pk, choices=yes_to_all(vote))
                     for u in owners])
    assert results == ["ok"] * THREADS
    assert sorted(Ballot.objects.filter(vote=vote).values_list("voter_user__username", flat=True)) == \
        sorted(u.username for u in owners)
