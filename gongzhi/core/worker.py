"""The background worker (`manage.py run_worker`): django-tasks-db's worker, made to ride out database
outages and to take back the tasks of workers that died.

django-tasks-db's `db_worker` re-raises any database error of its polling loop other than "database is
locked", so a PostgreSQL restart or a network cut of a second ends the worker for good. Here the loop is
run again after each failure, waiting 1, 2, 4 … seconds (up to WORKER_RETRY_MAX_SECONDS); the first
failure is logged with its traceback, each one after it in a line, and the recovery with how long the
database was away. A task whose own work failed on the database (OperationalError, InterfaceError) is put
back in the queue with the same back-off instead of being recorded as failed.

A task the worker was running when it died stays "running" in the table, and nothing upstream runs it
again. So every worker writes a heartbeat row (WorkerHeartbeat) every few seconds and, in the same
thread, looks for tasks running on a worker not seen for TASK_RECLAIM_SECONDS: those are put back in the
queue (or failed, once MAX_CLAIMS workers have taken them: a task that kills its worker must not kill
them all). Tasks are run at least once this way; each of ours is safe to run again (the outbox drain is
transactional, e-mails and webhook deliveries are claimed and marked one by one: notifications.services).
Workers started by plain `db_worker` write no heartbeat: their long tasks would be taken for orphans.
"""
import datetime
import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

log = logging.getLogger("gongzhi.worker")

# The database failed under the task, not the task's own logic: run it again later.
TRANSIENT_ERRORS = frozenset({"django.db.utils.OperationalError", "django.db.utils.InterfaceError"})
# A task taken by this many workers (each died running it, or the database failed under it) is failed.
MAX_CLAIMS = 10
# Heartbeats of workers gone this long are removed.
HEARTBEAT_KEEP = datetime.timedelta(days=1)


def reclaim_after():
    return datetime.timedelta(seconds=settings.TASK_RECLAIM_SECONDS)


def heartbeat_every():
    """Often enough that a live worker is never older than the reclaim bound, with room for a slow beat."""
    return max(0.5, min(10.0, settings.TASK_RECLAIM_SECONDS / 4))


def retry_delay(failures):
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd … failure in a row, at most WORKER_RETRY_MAX_SECONDS."""
    return min(float(settings.WORKER_RETRY_MAX_SECONDS), 2.0 ** min(failures - 1, 30))


def beat(worker_id, *, now=None):
    now = now or timezone.now()
    if not WorkerHeartbeat.objects.filter(pk=worker_id).update(seen_at=now):
        WorkerHeartbeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(),
                                       started_at=now, seen_at=now)


def reclaim_orphans(*, now=None):
    """Put back in the queue the tasks running on workers not seen for TASK_RECLAIM_SECONDS (and started at
    least that long ago). Returns their ids."""
    now = now or timezone.now()
    stale = now - reclaim_after()
    live = set(WorkerHeartbeat.objects.filter(seen_at__gte=stale).values_list("worker_id", flat=True))
    taken = []
    for pk, worker_ids, started_at, path in (DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING,
                                                                         started_at__lt=stale)
                                             .values_list("pk", "worker_ids", "started_at", "task_path")):
        if worker_ids and worker_ids[-1] in live:
            continue
        still = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
        if len(worker_ids) >= MAX_CLAIMS:
            if still.update(status=TaskResultStatus.FAILED, finished_at=now, exception_class_path="",
                            traceback=f"{len(worker_ids)} workers died running this task; given up"):
                log.error("task %s (%s): %d workers died running it; given up", pk, path, len(worker_ids))
            continue
        if still.update(status=TaskResultStatus.READY):
            log.warning("task %s (%s) was left running by worker %s, not seen since %s; queued again",
                        pk, path, worker_ids[-1] if worker_ids else "?", stale)
            taken.append(pk)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEEP).delete()
    return taken


def requeue_own(worker_id):
    """Tasks this worker had claimed when its loop failed (the database went away under it): it runs none of
    them now, so they go back in the queue at once rather than after the reclaim bound."""
    requeued = []
    for pk, worker_ids in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list("pk", "worker_ids"):
        if worker_ids and worker_ids[-1] == worker_id:
            if DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(status=TaskResultStatus.READY):
                requeued.append(pk)
    if requeued:
        log.warning("worker %s: %d task(s) it was running when the database failed are queued again",
                    worker_id, len(requeued))
    return requeued


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat and reclaims orphaned tasks, on its own database connection."""

    def __init__(self, worker_id):
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()
        self.failing = False

    def run(self):
        while True:
            self.once()
            if self.stopped.wait(heartbeat_every()):
                break
        connection.close()

    def once(self):
        try:
            beat(self.worker_id)
            reclaim_orphans()
        except Exception:  # noqa: BLE001 - the database may be away: the main loop reports outages, keep beating
            if not self.failing:
                log.warning("worker %s: heartbeat failed; retrying", self.worker_id, exc_info=True)
            self.failing = True
        else:
            self.failing = False
        finally:
            connection.close()  # a fresh connection next time: one broken by an outage is not reused

    def stop(self):
        self.stopped.set()
        self.join(timeout=5)


class ResilientWorker(Worker):
    """The db_worker loop, run again after each failure with a capped back-off; see the module's docstring."""

    def run(self):
        heartbeat = Heartbeat(self.worker_id)
        heartbeat.start()
        try:
            self._run_through_failures()
        finally:
            heartbeat.stop()
            try:
                WorkerHeartbeat.objects.filter(pk=self.worker_id).delete()
            except Exception:  # noqa: BLE001 - leaving: a stale row only ages out
                pass

    def _run_through_failures(self):
        failures, down_since = 0, None
        while self.running:
            started = time.monotonic()
            try:
                requeue_own(self.worker_id)
                if down_since is not None:
                    log.warning("worker %s: database reachable again after %.1f s and %d failed attempt(s); resuming",
                                self.worker_id, time.monotonic() - down_since, failures)
                    down_since = None
                super().run()
                return  # --batch or --max-tasks: done
            except Exception as e:  # noqa: BLE001 - never exit for good: log, wait, try again
                if time.monotonic() - started > settings.WORKER_RETRY_MAX_SECONDS:
                    failures = 0  # it had been running well: a new outage starts its back-off afresh
                failures += 1
                down_since = down_since or time.monotonic()
                delay = retry_delay(failures)
                log.error("worker %s: %s: %s; retrying in %.0f s (failure %d in a row)", self.worker_id,
                          type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "", delay, failures,
                          exc_info=failures == 1)
                connections.close_all()  # the broken connection is not reused
                self.startup_delay = False
                time.sleep(delay)

    def run_task(self, db_task_result):
        super().run_task(db_task_result)
        if (db_task_result.status == TaskResultStatus.FAILED
                and db_task_result.exception_class_path in TRANSIENT_ERRORS
                and len(db_task_result.worker_ids) < MAX_CLAIMS):
            delay = retry_delay(len(db_task_result.worker_ids))
            DBTaskResult.objects.filter(pk=db_task_result.pk, status=TaskResultStatus.FAILED).update(
                status=TaskResultStatus.READY, finished_at=None,
                run_after=timezone.now() + datetime.timedelta(seconds=delay))
            log.warning("task %s (%s) failed on the database (%s); queued again to run in %.0f s", db_task_result.pk,
                        db_task_result.task_path, db_task_result.exception_class_path, delay)
