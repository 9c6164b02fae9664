"""Background tasks (django-tasks): the notification drain, emails, webhook attempts.

Every timeline row that should tell someone is written with notify_pending
set (the outbox: core.timeline, whichever capability's timeline it is).
Once the change has committed, core.timeline sends outbox_filled and this
app (apps.py) asks for one `drain_notifications` run, unless one is already
waiting to start (READY): a waiting drain sees every row committed before it
starts, so one is enough however many requests commit meanwhile. A running
drain may have read past a row already, so it does not count. The run is
deferred by DRAIN_DELAY, so the commits of that second share it
(notifications arrive a second or two after the change, the worker's
polling included).

The drain works each registered source's pending rows in batches of
services.DRAIN_BATCH, in id order: inbox messages and webhook deliveries for
the whole batch, the flags cleared, one `send_batch_emails` for the batch
and one `deliver_webhook` per delivery queued, all in one write transaction
(with the database backend; a backend that runs tasks at once gets them
right after the commit). After DRAIN_BATCHES rounds (a batch of each
source) it asks for another run rather than holding the worker. `manage.py
watch_deadlines` (every five minutes under bin/serve) asks for a run too
when rows are pending and no drain is waiting: a lost request or a worker
that died mid-run delays notifications, it does not lose them. A row the
code cannot word is logged and set aside, as a failed task was before; a
database error leaves the batch pending for the next run.

A failed attempt is enqueued again to run after its back-off (1 min, 5 min,
30 min, 2 h, 12 h; the sixth failure gives up) with Task.using(run_after=…),
which the database backend supports, in the transaction that records the
failure. Backends that cannot defer (the immediate backend of the tests)
leave the retry to the sweep: `manage.py webhooks_retry`, which re-enqueues
whatever is due.

Every task here may run twice (a worker that died is replaced and its task
run again: gongzhi.core.worker) and does its effects once: the drain writes
in one transaction and skips what is done; each e-mail and each webhook
attempt is claimed (committed) before it is sent and marked after, so a run
again sends what was not sent and leaves what was (services.send_emails,
services.attempt_delivery). A run that meets another's claim looks again
when the claim lapses (TASK_RECLAIM_SECONDS).
"""
import datetime
import logging
from functools import partial

from django.db import connections, router, transaction
from django.utils import timezone
from django_tasks import task

from . import digest, services
from .models import ORIGINAL_SOURCE, DeliveryStatus

log = logging.getLogger(__name__)

DRAIN_BATCHES = 20
# A drain asked for after a commit starts this much later (where the backend can defer): the requests
# committing meanwhile find it waiting and join its batch, instead of each starting a run for a few rows.
DRAIN_DELAY = datetime.timedelta(seconds=1)


def _can_defer(t):
    return t.get_backend().supports_defer


def _task_table(t):
    """The table of queued tasks when `t` is queued in our own database (django_tasks_db), else None."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend is a dependency, but the tasks do not need it
        return None
    return DBTaskResult if isinstance(t.get_backend(), DatabaseBackend) else None


def _enqueue_here(t, *args):
    """Queue with the current transaction where the task table is in our database (the task exists if and
    only if the rows it is about do); otherwise (a backend that runs tasks at once) after it commits."""
    if _task_table(t) is not None:
        t.enqueue(*args)
    else:
        transaction.on_commit(partial(t.enqueue, *args), robust=True)


def drain_waiting():
    """Is a drain queued and not started yet? One query on the queue's index of waiting tasks."""
    return _waiting_drain_start() is not _NONE


_NONE = object()
# The earliest a drain known to be waiting may start, less a margin for the clocks of this process and the
# worker: until then the drain cannot have started, so a commit meanwhile need not ask the database again.
_known_waiting = {"until": None}
CLOCK_MARGIN = datetime.timedelta(milliseconds=300)


def _waiting_drain_start():
    """The run_after of a waiting drain (None: it may start at once); _NONE when no drain waits.

    Asked after most commits: the query is compiled once per database and run on a cursor, as the reference
    stamp is (building the queryset again cost more than the query)."""
    table = _task_table(drain_notifications)
    if table is None:
        return _NONE
    alias = router.db_for_read(table)
    compiled = _waiting_sql.get(alias)
    if compiled is None:
        from django_tasks_db.compat import TaskResultStatus

        query = (table.objects.using(alias)
                 .filter(status=TaskResultStatus.READY, task_path=drain_notifications.module_path)
                 .order_by("run_after").values_list("run_after", flat=True)[:1]).query
        compiled = _waiting_sql[alias] = query.get_compiler(alias).as_sql()
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        row = cursor.fetchone()
    if row is None:
        return _NONE
    # SQLite hands the column back naive; the ORM's converter for it makes it the aware datetime it was.
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return convert(row[0], None, connection) if convert is not None and row[0] is not None else row[0]


_waiting_sql = {}  # {database alias: (sql, params)}


def forget_waiting_drain():
    """Ask the database next time (a test that empties the task table in between)."""
    _known_waiting["until"] = None


def _remember(start):
    # Only what has committed: a drain queued inside a transaction that may still roll back proves nothing.
    if start is not None and not transaction.get_connection().in_atomic_block:
        _known_waiting["until"] = start - CLOCK_MARGIN


def request_drain(delay=DRAIN_DELAY):
    """Ask for a drain run unless one is waiting; returns the queued task, or None when one was waiting.

    Under load most commits find a drain waiting; one that this process saw waiting, deferred past now,
    is taken on trust until shortly before its start, so the check costs a query per second, not per commit."""
    until = _known_waiting["until"]
    if until is not None and timezone.now() < until:
        return None
    start = _waiting_drain_start()
    if start is not _NONE:
        _remember(start)
        return None
    t = drain_notifications
    if delay and _can_defer(t):
        start = timezone.now() + delay
        t = t.using(run_after=start)
        queued = t.enqueue()
        _remember(start)
        return queued
    return t.enqueue()


def sweep_outbox():
    """The safety net (manage.py watch_deadlines): "queued" when rows were pending and no drain was waiting,
    "waiting" when one was, "idle" when nothing is pending."""
    if not services.pending_exist():
        return "idle"
    return "queued" if request_drain(delay=None) is not None else "waiting"


def _queue_batch(source, mail_event_ids, delivery_ids):
    if mail_event_ids:
        _enqueue_here(send_batch_emails, mail_event_ids, source)
    for pk in delivery_ids:
        _enqueue_here(deliver_webhook, pk)


@task()
def drain_notifications():
    events = 0
    for _ in range(DRAIN_BATCHES):
        taken = services.drain_batch(queue=_queue_batch)
        events += taken
        if taken < services.DRAIN_BATCH:
            # All there was: what commits from now on asks for a run of its own (this one is not waiting).
            return {"events": events}
    if services.pending_exist():
        request_drain(delay=None)  # a backlog: let the queue's other tasks run in between, then go on
    return {"events": events}


def _queue_digest_email(notification_ids):
    _enqueue_here(send_notification_emails, notification_ids)


@task()
def build_digests():
    """Every daily digest due (notifications.digest): each built once, its e-mail queued with it."""
    return {"built": digest.build_digests(queue=_queue_digest_email)}


def _digest_build_waiting():
    table = _task_table(build_digests)
    if table is None:
        return False
    from django_tasks_db.compat import TaskResultStatus

    return table.objects.filter(status=TaskResultStatus.READY, task_path=build_digests.module_path).exists()


def sweep_digests():
    """Asked by the deadline watch's round: "queued" when digests were due and no build was waiting, "waiting"
    when one was, "idle" when none is due. Two builds at once are harmless (each digest is built once)."""
    if not digest.due_recipients():
        return "idle"
    if _digest_build_waiting():
        return "waiting"
    build_digests.enqueue()
    return "queued"


@task()
def send_batch_emails(event_ids, source=ORIGINAL_SOURCE):
    """The emails of one drained batch of a source: its messages not emailed yet, to recipients with an address."""
    return send_notification_emails.call(services.unemailed(event_ids, source))


@task()
def send_notification_emails(notification_ids, attempt=1):
    run = services.send_emails(notification_ids)
    if run.held and _can_defer(send_notification_emails):
        # Claimed by another run, maybe one that died sending them: looked at again when the claims lapse,
        # without counting as a failed attempt.
        send_notification_emails.using(run_after=run.lapse_at).enqueue(run.held, attempt)
    unsent = run.unsent
    if unsent and attempt <= len(services.EMAIL_RETRY_DELAYS) and _can_defer(send_notification_emails):
        run_after = timezone.now() + services.EMAIL_RETRY_DELAYS[attempt - 1]
        send_notification_emails.using(run_after=run_after).enqueue(unsent, attempt + 1)
    elif unsent:
        log.error("giving up emailing notifications %s", unsent)
    return {"unsent": len(unsent), "held": len(run.held)}


@task()
def deliver_webhook(delivery_id):
    d = services.attempt_delivery(delivery_id, on_failure=schedule_retry)
    if d is None:
        return None
    if d.status == DeliveryStatus.SENDING:
        # Another attempt holds it, maybe one whose worker died: look again when its claim lapses.
        schedule_retry(d)
    return {"status": d.status, "attempts": d.attempts}


def schedule_retry(delivery):
    """Enqueue the next attempt to run at delivery.next_attempt_at, where the backend can defer."""
    if delivery.next_attempt_at is None or not _can_defer(deliver_webhook):
        return None
    return deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
