"""bin/serve supervises what it starts: a process that dies is started again; SIGTERM stops them all."""
import os
import signal
import socket
import subprocess

import pytest
from django.conf import settings

from gongzhi.core.models import WorkerHeartbeat
from support.procs import alive, descendants, healthy
from support.worker import ROOT, database_url, wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_bin_serve_restarts_a_killed_worker_and_stops_everything_on_sigterm(tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "DEADLINE_WATCH_SECONDS": "3600",
           "GONGZHI_VAR_DIR": str(tmp_path), "DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY,
           "GONGZHI_DATA_KEY": settings.DATA_KEY, "TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}
    serve = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=tmp_path, env=env, stdout=open(log, "ab"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: healthy(port) and WorkerHeartbeat.objects.exists(), what="the site and the worker",
                 process=serve, log_path=log)
        [first] = WorkerHeartbeat.objects.values_list("pid", flat=True)
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: WorkerHeartbeat.objects.exclude(pid=first).exists(), what="a new worker", process=serve,
                 log_path=log)
        [second] = WorkerHeartbeat.objects.exclude(pid=first).values_list("pid", flat=True)
        children = [pid for pid, _ in descendants(serve.pid, depth=1)]
        assert second in children and len(children) == 4  # web, worker, deadline watch, no-show sweep
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(90) == 0
        assert [pid for pid in children if alive(pid)] == [] and not healthy(port)
    finally:
        if serve.poll() is None:  # the test failed midway: stop everything, children in their own groups too
            strays = [pid for pid, _ in descendants(serve.pid, depth=1)]
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(60)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait(10)
            for pid in strays:
                if alive(pid):
                    os.killpg(pid, signal.SIGKILL)
