"""The outbox: timeline rows written pending, drained in batches, exactly once, with a safety net."""
import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.policy import users_with
from gongzhi.appeals.capability import APPEAL_DISPATCH, APPEAL_SUPERVISE, APPEAL_VERIFY, APPEAL_WHISTLE
from gongzhi.appeals import notify
from gongzhi.appeals.models import Appeal, AppealEvent, HandlerLevel
from gongzhi.appeals.services import _event
from gongzhi.notifications import services, tasks
from gongzhi.grid.models import Compound
from gongzhi.notifications.models import DigestEntry, Notification, WebhookDelivery
from gongzhi.appeals.recipients import grid_users, organisations_for, recipients_for
from gongzhi.core import timeline

pytestmark = pytest.mark.django_db


def plan(ids):
    """What the drain works out for a batch of appeal events."""
    source = timeline.source("appeals")
    return services._Plan(source, source.load(ids))


def pending():
    return list(AppealEvent.objects.filter(notify_pending=True).order_by("id").values_list("pk", flat=True))


def messages():
    """Everything the fan-out wrote for people: inbox messages and the entries waiting for a daily digest."""
    return sorted([*Notification.objects.values_list("recipient_id", "event_id", "action", "title", "body"),
                   *((r, e, a, t, "") for r, e, a, t in
                     DigestEntry.objects.values_list("recipient_id", "event_id", "action", "title"))])


@pytest.fixture
def database_queue(settings):
    """The production task backend: tasks are rows in our database, run by nobody until the test says so."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    from django_tasks_db.models import DBTaskResult

    def drains(status=None):
        qs = DBTaskResult.objects.filter(task_path=tasks.drain_notifications.module_path)
        return qs.filter(status=status) if status else qs

    return drains


@pytest.fixture
def mix(grid, submit, act, receiver):
    """Events of every kind over three compounds, two communities, a building and several handlers,
    none delivered yet (their transactions' callbacks never run here)."""
    g = grid
    services.webhook_create(user=g.community_worker, organisation=g.property_co, url=receiver.url)
    services.webhook_create(user=g.street_admin, organisation=g.dept, url=receiver.url + "/dept", events=["whistle"])
    a1 = submit()
    a1 = act(g.community_worker, a1, "dispatch", handler=g.property_co.pk)
    a1 = act(g.property1, a1, "take")
    a1 = act(g.property1, a1, "resolve", note="已修复")
    a2 = submit(compound=g.K2, user=g.resident2)
    a2 = act(g.community_worker, a2, "dispatch", handler=g.property_co.pk)
    a2 = act(g.community_worker, a2, "reassign", handler=g.dept.pk)
    a2 = act(g.street_admin, a2, "whistle", departments=[g.dept.pk, g.dept2.pk], note="请到场")
    a2 = act(g.street_admin, a2, "note", note="内部：先核实", internal=True)
    a3 = submit(compound=g.K3, user=g.street_admin)
    a3 = act(g.street_admin, a3, "dispatch", handler=g.other_property.pk)
    a4 = submit(building=g.B1)
    a4 = act(g.community_worker, a4, "dispatch", handler=g.property_co.pk)
    _event(a4, None, "remind", "", "", organisation=a4.handler)
    _event(a4, None, "escalate", "", "", data={"level": HandlerLevel.COMMUNITY})
    _event(a4, None, "escalate", "", "", data={"level": HandlerLevel.SUBDISTRICT})
    a5 = submit(user=g.resident2)
    _event(a5, None, "remind", "", "")  # no handler yet: the desk is reminded
    a1 = act(g.grid_worker, a1, "verify")
    a1 = act(g.resident1, a1, "rate", rating="satisfied")
    return g


class TestOutbox:
    def test_committed_events_are_drained_once(self, grid, submit, act):
        a = submit()
        act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        assert len(pending()) == 2 and Notification.objects.count() == 0  # committed, not delivered yet
        assert tasks.drain_notifications.call() == {"events": 2}
        assert pending() == []
        assert [n.action for n in Notification.objects.filter(recipient=grid.community_worker)] == ["submit"]
        assert [n.action for n in Notification.objects.filter(recipient=grid.property1)] == ["dispatch"]

    def test_draining_twice_duplicates_nothing(self, grid, submit, act, receiver):
        services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)
        a = submit()
        act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        tasks.drain_notifications.call()
        before = messages()
        assert before and WebhookDelivery.objects.count() == 1
        assert tasks.drain_notifications.call() == {"events": 0}
        # Even rows put back in the outbox (a drain that died after writing, a flag set by hand) are told once.
        AppealEvent.objects.update(notify_pending=True)
        assert tasks.drain_notifications.call() == {"events": 2}
        assert messages() == before and WebhookDelivery.objects.count() == 1 and pending() == []

    def test_two_drains_racing_for_one_batch(self, grid, submit):
        """Both read the batch and work it out before either writes (SQLite's way): the second adds nothing
        and queues nothing."""
        for _ in range(3):
            submit()
        ids = pending()
        first, second = (plan(ids) for _ in range(2))
        queued = []
        services._write(first, ids, lambda source, mail, send: queued.append(mail), recheck=True)
        services._write(second, ids, lambda source, mail, send: queued.append(mail), recheck=True)
        assert Notification.objects.count() == 3 and pending() == []
        assert queued == []  # nobody with an address; and the loser queues no emails of its own either

    def test_batches_and_the_bound_on_one_run(self, grid, submit, monkeypatch, database_queue):
        monkeypatch.setattr(services, "DRAIN_BATCH", 2)
        monkeypatch.setattr(tasks, "DRAIN_BATCHES", 2)
        with notify.muted():
            a = submit()
        for _ in range(5):
            _event(a, None, "me_too", "", "")
        _event(a, None, "note", "", "", note="内部", internal=True)
        assert len(pending()) == 6
        assert tasks.drain_notifications.call() == {"events": 4}  # two batches of two, then it hands over
        assert len(pending()) == 2
        [again] = database_queue("READY")  # the next run, queued by this one, not deferred: a backlog
        assert again.task.run_after is None
        assert tasks.drain_notifications.call() == {"events": 2} and pending() == []
        assert database_queue("READY").count() == 1  # nothing left: it did not queue another

    def test_muted_rows_are_not_pending(self, grid, submit, act):
        with notify.muted():
            a = submit()
            act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        assert AppealEvent.objects.count() == 2 and pending() == []
        tasks.drain_notifications.call()
        assert Notification.objects.count() == 0

    def test_a_bad_row_does_not_hold_back_the_others(self, grid, submit, monkeypatch):
        first, second = submit(), submit()
        bad = first.events.get()
        source = timeline.source("appeals")
        real = source.message

        def message(event, party):
            if event.pk == bad.pk:
                raise ValueError("cannot word it")
            return real(event, party)

        monkeypatch.setattr(source, "message", message)
        tasks.drain_notifications.call()
        assert pending() == []
        assert list(Notification.objects.values_list("event_id", flat=True)) == [second.events.get().pk]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="one writer at a time: see TestOutbox.test_two_drains_racing_for_one_batch")
def test_a_drain_claims_its_batch_skipping_rows_another_holds(grid, submit):
    """PostgreSQL: two drains at once take different batches (rows another drain holds are skipped, not waited for)."""
    for _ in range(3):
        submit()
    with CaptureQueriesContext(connection) as q:
        assert services.drain_batch(limit=2) == 2
    claim = next(x["sql"] for x in q.captured_queries if "notify_pending" in x["sql"])  # the first read of the outbox
    assert claim.endswith("LIMIT 2 FOR NO KEY UPDATE SKIP LOCKED")
    assert len(pending()) == 1


class TestOneDrainWaiting:
    def test_a_waiting_drain_is_enough(self, grid, submit, database_queue, django_capture_on_commit_callbacks,
                                       django_assert_num_queries):
        with django_capture_on_commit_callbacks(execute=True):
            submit()
        [drain] = database_queue("READY")
        assert drain.run_after > drain.enqueued_at  # deferred a little, for the commits around it to share
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                submit()
            assert len(callbacks) == 1
        assert database_queue().count() == 1  # both saw the waiting one
        with django_assert_num_queries(1):
            assert tasks.request_drain() is None  # one small query, nothing written

    def test_a_running_drain_does_not_count(self, grid, submit, database_queue, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            submit()
        database_queue().update(status="RUNNING")  # it may have read past what commits next
        with django_capture_on_commit_callbacks(execute=True):
            submit()
        assert database_queue("READY").count() == 1 and database_queue().count() == 2

    def test_other_waiting_tasks_do_not_count(self, grid, database_queue):
        tasks.send_notification_emails.enqueue([1])
        assert tasks.request_drain() is not None and database_queue("READY").count() == 1

    def test_the_drain_queues_one_email_task_per_batch(self, emails, submit, act, database_queue):
        from django_tasks_db.models import DBTaskResult

        for _ in range(3):
            a = submit()
        act(emails.community_worker, a, "dispatch", handler=emails.property_co.pk)  # property1 has an address too
        tasks.drain_notifications.call()
        [mail] = DBTaskResult.objects.filter(task_path=tasks.send_batch_emails.module_path)
        events = sorted(AppealEvent.objects.values_list("pk", flat=True))
        assert sorted(mail.args_kwargs["args"][0]) == events and len(events) == 4
        assert mail.task.call(*mail.args_kwargs["args"]) == {"unsent": 0, "held": 0}
        assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_drain_seen_waiting_is_trusted_until_shortly_before_it_starts(database_queue, django_assert_num_queries,
                                                                          monkeypatch):
    """Outside a transaction (after a commit, as in production) the waiting drain's start is remembered: the
    commits before it ask nothing; from shortly before it they ask again, and a drain that started no longer
    counts."""
    tasks.forget_waiting_drain()
    assert tasks.request_drain() is not None
    [drain] = database_queue("READY")
    with django_assert_num_queries(0):
        assert tasks.request_drain() is None
    monkeypatch.setattr(tasks.timezone, "now", lambda: drain.run_after - tasks.CLOCK_MARGIN)
    with django_assert_num_queries(1):
        assert tasks.request_drain() is None  # asked again: still waiting
    database_queue().update(status="RUNNING")
    later = drain.run_after + datetime.timedelta(seconds=1)
    monkeypatch.setattr(tasks.timezone, "now", lambda: later)
    assert tasks.request_drain() is not None
    assert database_queue("READY").count() == 1 and database_queue().count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_drain_queued_inside_a_transaction_is_not_taken_on_trust(database_queue, django_assert_num_queries):
    tasks.forget_waiting_drain()
    with transaction.atomic():
        assert tasks.request_drain() is not None
        transaction.set_rollback(True)  # it may never commit
    with django_assert_num_queries(2):  # looked for, not found, queued
        assert tasks.request_drain() is not None


class TestSafetyNet:
    def test_the_deadline_watch_drains_what_was_left(self, grid, submit):
        submit()  # its request died between commit and queueing the drain
        out = io.StringIO()
        call_command("watch_deadlines", stdout=out)  # the immediate backend runs the drain right there
        assert "drain=queued" in out.getvalue()
        assert pending() == [] and Notification.objects.filter(recipient=grid.community_worker).count() == 1
        call_command("watch_deadlines", stdout=out)
        assert "drain=idle" in out.getvalue()

    def test_it_queues_only_when_no_drain_waits(self, grid, submit, database_queue):
        submit()
        database_queue().delete()
        assert tasks.sweep_outbox() == "queued"
        assert tasks.sweep_outbox() == "waiting" and database_queue().count() == 1
        database_queue().update(status="RUNNING")  # the worker died mid-run: the row stays RUNNING
        assert tasks.sweep_outbox() == "queued" and database_queue("READY").count() == 1
        tasks.drain_notifications.call()
        assert pending() == [] and tasks.sweep_outbox() == "idle"


class TestBatchMemo:
    def test_batch_recipients_are_the_per_event_ones(self, mix):
        ids = pending()
        assert len(ids) >= 20
        batch = plan(ids)
        assert len(batch.parties) == len(ids)
        for pk in ids:
            alone = AppealEvent.objects.select_related("appeal__compound__community").get(pk=pk)
            assert batch.parties[pk] == recipients_for(alone), alone.action
            assert batch.orgs[pk] == organisations_for(alone), alone.action
        assert any(len(p) > 1 for p in batch.parties.values())  # not all trivially empty
        assert {e.action for e in batch.events} >= {"submit", "dispatch", "reassign", "whistle", "note", "resolve",
                                                   "remind", "escalate", "rate"}

    def test_the_drain_makes_what_the_per_event_fan_out_makes(self, mix):
        ids = pending()
        for pk in ids:
            services.fan_out(pk)
        one_by_one = messages()
        deliveries = sorted(WebhookDelivery.objects.values_list("endpoint_id", "event_id", "action"))
        assert {a for _, _, a, _, b in one_by_one if not b} == {"remind", "escalate"}  # digested by default
        Notification.objects.all().delete()
        DigestEntry.objects.all().delete()
        WebhookDelivery.objects.all().delete()
        AppealEvent.objects.filter(pk__in=ids).update(notify_pending=True)
        tasks.drain_notifications.call()
        assert messages() == one_by_one and len(one_by_one) > 20
        assert sorted(WebhookDelivery.objects.values_list("endpoint_id", "event_id", "action")) == deliveries
        assert {a for _, _, a in deliveries} == {"dispatch", "take", "resolve", "verify", "rate", "reassign",
                                                 "whistle", "remind", "escalate"}

    def test_grid_users_is_users_with_action(self, grid):
        """The batch form of the reverse policy selector, over every place of the cast and some unusual scopes."""
        g = grid
        for name, role, node, org, active in (("b3_grid", Role.GRID_WORKER, g.B3, None, True),
                                              ("h1_grid", Role.GRID_WORKER, g.H1, None, True),
                                              ("k2_desk", Role.COMMUNITY_WORKER, g.K2, None, True),
                                              ("office_desk", Role.COMMUNITY_WORKER, None, g.office, True),
                                              ("gone", Role.COMMUNITY_WORKER, g.C, None, False)):
            ra = RoleAssignment(user=User.objects.create_user(username=name, is_active=active), role=role,
                                organisation=org)
            if node is not None:
                ra.set_node(node)
            ra.save()

        def At(path):  # an appeal at a place: a record hung on the grid, not a node
            path = dict(path)
            return Appeal(compound=Compound.objects.get(pk=path["compound"]), building_id=path.get("building"),
                          household_id=path.get("household"))

        places = [n.path() for n in (g.K1, g.K2, g.K3, g.B1, g.B2, g.B3, g.H1, g.H2, g.H3)]
        seen = set()
        for action, roles in ((APPEAL_DISPATCH, (Role.COMMUNITY_WORKER,)), (APPEAL_DISPATCH, None),
                              (APPEAL_VERIFY, (Role.GRID_WORKER,)), (APPEAL_WHISTLE, None),
                              (APPEAL_SUPERVISE, (Role.COMMUNITY_WORKER,)),
                              (APPEAL_SUPERVISE, (Role.SUBDISTRICT_ADMIN,))):
            batch = grid_users(action, [tuple(p.items()) for p in places], roles=roles)
            for p in places:
                alone = set(users_with(action, At(p.items()), roles=roles, by_relation=False).values_list("pk", flat=True))
                assert batch[tuple(p.items())] == alone, (action, roles, p)
                seen.add(frozenset(alone))
        assert len(seen) > 4  # the places and actions do differ

    def test_queries_do_not_grow_with_the_batch(self, grid, submit, act, receiver):
        services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)

        def cost(n):
            for i in range(n):
                a = submit(**[{"compound": grid.K1}, {"compound": grid.K2}, {"building": grid.B1}][i % 3])
                act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
            ids = pending()
            with CaptureQueriesContext(connection) as q:
                batch = plan(ids)
            AppealEvent.objects.update(notify_pending=False)
            assert batch.deliveries and len(batch.rows) == 2 * n
            return len(q)

        assert cost(1) == cost(8)
