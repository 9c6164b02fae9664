"""The background worker rides out database outages and takes back the tasks of workers that died."""
import datetime
import logging
import signal

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from appeals.conftest import submit  # noqa: F401  (the appeals fixture, reused)
from gongzhi.appeals.models import AppealEvent
from gongzhi.core import worker as worker_mod
from gongzhi.core.models import WorkerHeartbeat
from gongzhi.notifications import services, tasks
from gongzhi.notifications.models import Notification
from support.tcp_proxy import TcpProxy
from support.worker import database_url, start_worker, stop, wait_for

RUNNING, READY, FAILED = TaskResultStatus.RUNNING, TaskResultStatus.READY, TaskResultStatus.FAILED


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.TASK_RECLAIM_SECONDS = 60


def queued(task, *args, status=RUNNING, started_ago=None, workers=()):
    """A task row as a worker left it: claimed by `workers` (the last one holds it), started that long ago."""
    result = task.enqueue(*args)
    row = DBTaskResult.objects.get(pk=result.id)
    row.status, row.worker_ids = status, list(workers)
    row.started_at = timezone.now() - started_ago if started_ago is not None else None
    row.save()
    return row


def status_of(row):
    row.refresh_from_db()
    return row.status


def new_worker(worker_id="w-test"):
    return worker_mod.ResilientWorker(queue_names=["default"], interval=0, batch=False, backend_name="default",
                                      startup_delay=False, max_tasks=None, worker_id=worker_id,
                                      excluded_queue_names=[])


@pytest.mark.django_db
class TestReclaim:
    def test_a_task_of_a_dead_worker_is_queued_again_after_the_bound(self, database_queue):
        long_ago, just_now = datetime.timedelta(seconds=61), datetime.timedelta(seconds=30)
        now = timezone.now()
        WorkerHeartbeat.objects.create(worker_id="alive", started_at=now, seen_at=now - datetime.timedelta(seconds=5))
        WorkerHeartbeat.objects.create(worker_id="dead", started_at=now, seen_at=now - long_ago)
        orphan = queued(tasks.drain_notifications, started_ago=long_ago, workers=["dead"])
        unknown = queued(tasks.drain_notifications, started_ago=long_ago, workers=["never-beat"])
        busy = queued(tasks.drain_notifications, started_ago=long_ago, workers=["dead", "alive"])
        fresh = queued(tasks.drain_notifications, started_ago=just_now, workers=["dead"])
        assert sorted(map(str, worker_mod.reclaim_orphans())) == sorted([str(orphan.pk), str(unknown.pk)])
        assert [status_of(r) for r in (orphan, unknown, busy, fresh)] == [READY, READY, RUNNING, RUNNING]

    def test_the_bound_is_the_setting(self, database_queue, settings):
        settings.TASK_RECLAIM_SECONDS = 5
        row = queued(tasks.drain_notifications, started_ago=datetime.timedelta(seconds=6), workers=["gone"])
        worker_mod.reclaim_orphans()
        assert status_of(row) == READY

    def test_a_task_that_killed_every_worker_is_given_up(self, database_queue):
        workers = [f"w{i}" for i in range(worker_mod.MAX_CLAIMS)]
        row = queued(tasks.drain_notifications, started_ago=datetime.timedelta(hours=1), workers=workers)
        assert worker_mod.reclaim_orphans() == []
        row.refresh_from_db()
        assert row.status == FAILED and "10 workers died" in row.traceback

    def test_a_recovering_worker_requeues_what_it_held(self, database_queue):
        mine = queued(tasks.drain_notifications, started_ago=datetime.timedelta(seconds=1), workers=["other", "me"])
        theirs = queued(tasks.drain_notifications, started_ago=datetime.timedelta(seconds=1), workers=["other"])
        assert [str(pk) for pk in worker_mod.requeue_own("me")] == [str(mine.pk)]
        assert (status_of(mine), status_of(theirs)) == (READY, RUNNING)

    def test_heartbeats_are_written_and_old_ones_removed(self, database_queue):
        now = timezone.now()
        WorkerHeartbeat.objects.create(worker_id="ancient", started_at=now, seen_at=now - datetime.timedelta(days=2))
        worker_mod.beat("w1", now=now - datetime.timedelta(seconds=3))
        worker_mod.beat("w1", now=now)
        worker_mod.reclaim_orphans(now=now)
        assert list(WorkerHeartbeat.objects.values_list("worker_id", "seen_at")) == [("w1", now)]


@pytest.mark.django_db
class TestOutages:
    def test_the_loop_is_run_again_after_each_failure_with_a_capped_back_off(self, database_queue, settings,
                                                                             monkeypatch, caplog):
        settings.WORKER_RETRY_MAX_SECONDS = 4
        outage = [OperationalError("connection refused")] * 5  # the first five attempts to reach the database
        loops = []
        waits = []

        def requeue_own(worker_id):  # the first query of each round
            if outage:
                raise outage.pop(0)
            return []

        monkeypatch.setattr(worker_mod, "requeue_own", requeue_own)
        monkeypatch.setattr(Worker, "run", lambda self: loops.append(self.worker_id))
        monkeypatch.setattr(worker_mod.time, "sleep", waits.append)
        # The test's connection holds its transaction: not closed as a broken one would be.
        monkeypatch.setattr(worker_mod, "connections", type("Connections", (), {"close_all": lambda self: None})())
        monkeypatch.setattr(worker_mod.Heartbeat, "start", lambda self: None)
        monkeypatch.setattr(worker_mod.Heartbeat, "stop", lambda self: None)
        with caplog.at_level(logging.WARNING, logger="gongzhi.worker"):
            new_worker().run()
        assert outage == [] and waits == [1, 2, 4, 4, 4] and loops == ["w-test"]
        lines = [r.getMessage() for r in caplog.records]
        assert [m.split(": ", 1)[1] for m in lines[:5]] == [
            f"OperationalError: connection refused; retrying in {w} s (failure {i} in a row)"
            for i, w in enumerate([1, 2, 4, 4, 4], 1)]
        assert caplog.records[0].exc_info and not caplog.records[1].exc_info  # the traceback once
        assert lines[5].startswith("worker w-test: database reachable again after ")
        assert lines[5].endswith(" and 5 failed attempt(s); resuming")

    def test_a_task_failing_on_the_database_is_queued_again(self, database_queue, monkeypatch):
        def refused(**kw):
            raise OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(services, "drain_batch", refused)
        row = queued(tasks.drain_notifications, status=READY)
        DBTaskResult.objects.filter(pk=row.pk).update(status=RUNNING, worker_ids=["w-test"])
        row.refresh_from_db()
        before = timezone.now()
        new_worker().run_task(row)
        row.refresh_from_db()
        assert row.status == READY and row.run_after >= before + datetime.timedelta(seconds=1)
        assert row.exception_class_path == "django.db.utils.OperationalError"

    def test_a_task_failing_on_its_own_stays_failed(self, database_queue, monkeypatch):
        def broken(**kw):
            raise ValueError("a bug")

        monkeypatch.setattr(services, "drain_batch", broken)
        row = queued(tasks.drain_notifications, status=RUNNING, workers=["w-test"])
        new_worker().run_task(row)
        assert status_of(row) == FAILED


def pending():
    return AppealEvent.objects.filter(notify_pending=True).count()


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="the outage is a cut network connection to the PostgreSQL server; SQLite is a local file")
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_rides_out_a_database_outage(grid, submit, database_queue, tmp_path):
    """A real worker connected through a proxy: the proxy is cut for a few seconds (the worker keeps retrying,
    work is committed meanwhile), restored, and the worker does what was pending without being restarted."""
    log = tmp_path / "worker.log"
    db = connection.settings_dict
    with TcpProxy(db["HOST"] or "127.0.0.1", db["PORT"] or 5432) as proxy:
        worker = start_worker(log, database_url_=database_url(via_port=proxy.port), WORKER_RETRY_MAX_SECONDS=1)
        try:
            wait_for(lambda: WorkerHeartbeat.objects.exists(), what="the worker's first heartbeat", process=worker,
                     log_path=log)
            proxy.cut()
            wait_for(lambda: "(failure 3 in a row)" in log.read_text(), what="three failed attempts",
                     process=worker, log_path=log)
            for _ in range(3):  # committed (directly, not through the proxy) while the worker cannot reach the database
                submit()
            assert pending() == 3 and worker.poll() is None
            proxy.restore()
            wait_for(lambda: pending() == 0, what="the pending notifications", process=worker, log_path=log)
            assert Notification.objects.filter(recipient=grid.community_worker).count() == 3
            assert worker.poll() is None
            assert "database reachable again after" in log.read_text()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
        finally:
            stop(worker)
