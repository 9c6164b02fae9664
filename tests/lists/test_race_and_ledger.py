"""Taking is race-free (many members at once on a project with few places), and the ledger keeps its
invariants under any sequence of credits and corrections."""
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.lists import services
from gongzhi.lists.models import LedgerEntry, Project, Take
from gongzhi.lists.selectors import hours_of

TAKERS = 8
PLACES = 3


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_takers_never_exceed_the_places(lists, published):
    project = published(places=PLACES)
    members = []
    for i in range(TAKERS):
        u = User.objects.create_user(username=f"racer{i}", password=lists.password)
        RoleAssignment.objects.create(user=u, role=Role.PARTY_MEMBER, organisation=lists.party)
        members.append(u)
    results, barrier = [], threading.Barrier(TAKERS)

    def take(user):
        try:
            barrier.wait()
            services.project_take(user=user, project=project.pk)
            results.append("ok")
        except services.Conflict:
            results.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(u,)) for u in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["full"] * (TAKERS - PLACES) + ["ok"] * PLACES
    project.refresh_from_db()
    assert project.taken == PLACES == Take.objects.filter(project=project).count()


def test_the_database_refuses_more_takers_than_places(lists, published):
    """Even a write that skipped the service's lock cannot push `taken` past `places`."""
    from django.db import IntegrityError, transaction

    project = published(places=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(taken=2)


ops = st.lists(st.one_of(
    st.tuples(st.just("credit"), st.decimals(min_value=Decimal("0.1"), max_value=Decimal("24"), places=1)),
    st.tuples(st.just("correct"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("bogus"), st.integers(min_value=10 ** 6, max_value=10 ** 7)),
), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=ops)
def test_ledger_invariants(lists, published, script):
    """Whatever is credited and corrected: totals equal the sum of lines, every line is reversed at most
    once, a reversal mirrors its line, a correction naming no line changes nothing, and nothing is lost."""
    c = lists
    # Lines are never deleted: each example adds to what the examples before it left.
    start = list(LedgerEntry.objects.values_list("pk", "hours", "points"))
    expected = sum((h for _, h, _ in start), Decimal("0"))
    for op, arg in script:
        if op == "credit":
            project = published()
            services.project_take(user=c.member1, project=project)
            service = services.service_record(user=c.member1, project=project, served_on="2026-01-02", hours=arg)
            services.service_confirm(user=c.community_worker, service=service)
            expected += arg
        else:
            lines = list(LedgerEntry.objects.order_by("pk").values_list("pk", flat=True))
            target = lines[arg % len(lines)] if op == "correct" and lines else arg
            original = LedgerEntry.objects.filter(pk=target).first()
            ok = original is not None and original.reverses_id is None and not LedgerEntry.objects.filter(
                reverses=original).exists()
            count = LedgerEntry.objects.count()
            try:
                services.ledger_correct(user=c.community_worker, entry=target, reason="更正")
                assert ok
                expected -= original.hours
            except ValidationError:
                assert not ok and LedgerEntry.objects.count() == count
    rows = list(LedgerEntry.objects.all())
    assert set(start) <= {(e.pk, e.hours, e.points) for e in rows}  # nothing changed or removed
    total = sum((e.hours for e in rows), Decimal("0"))
    assert total == expected
    assert sum(h for h, _ in hours_of(person=c.member1).values()) == total
    by_pk = {e.pk: e for e in rows}
    reversed_ = [e.reverses_id for e in rows if e.reverses_id]
    assert len(reversed_) == len(set(reversed_))
    for e in rows:
        if e.reverses_id:
            assert e.hours == -by_pk[e.reverses_id].hours and e.points == -by_pk[e.reverses_id].points
            assert by_pk[e.reverses_id].reverses_id is None


def test_another_capability_credits_a_source_once_and_its_correction_keeps_the_source(lists):
    """A credit named by its source is written once however often it is asked for; corrected, the source may
    not be credited again (the reversal names it too), and the certificate says what the service was."""
    from gongzhi.lists.selectors import certificate_lines

    c = lists
    credit = dict(person=c.member1, hours=Decimal("1.5"), year=2026, compound_id=c.K1.pk,
                  source="stations.attendance:1", reason="驿站活动：晨练", by=c.community_worker)
    first = services.ledger_credit(**credit)
    assert first.points == services.points_for(Decimal("1.5")) and first.service is None
    assert services.ledger_credit(**credit) is None
    assert LedgerEntry.objects.filter(source="stations.attendance:1").count() == 1
    assert hours_of(person=c.member1) == {2026: (Decimal("1.5"), first.points)}
    [line] = certificate_lines(c.member1)
    assert (line["project"], line["hours"]) == ("驿站活动：晨练", Decimal("1.5"))
    reversal = services.ledger_correct(user=c.community_worker, entry=first, reason="未到场")
    assert reversal.source == "stations.attendance:1"
    assert [line["project"] for line in certificate_lines(c.member1)] == ["驿站活动：晨练", "驿站活动：晨练"]
    assert hours_of(person=c.member1) == {2026: (Decimal("0.0"), 0)}
    for bad in ({"hours": Decimal("25")}, {"hours": Decimal("-1")}, {"source": ""}):
        with pytest.raises(ValueError):
            services.ledger_credit(**{**credit, **bad, "source": bad.get("source", "stations.attendance:2")})
    assert LedgerEntry.objects.count() == 2
