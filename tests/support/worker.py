"""Start `manage.py run_worker` as a real process on the test database, and wait for what it does."""
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def database_url(via_port=None):
    """The URL of the test database (the one this test writes to), optionally through a local proxy port."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host, port = ("127.0.0.1", via_port) if via_port else (db["HOST"] or "127.0.0.1", db["PORT"] or 5432)
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def start_worker(log_path, *, database_url_=None, **env):
    """A worker process with the test's keys and database; its output goes to log_path."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_ or database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "GONGZHI_DATA_KEY": settings.DATA_KEY,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)]),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        **{k: str(v) for k, v in env.items()},
    }
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "manage.py", "run_worker", "--interval", "0.2", "--no-startup-delay",
                             "--no-reload"], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, *, what, process=None, timeout=90, log_path=None):
    """Poll until condition() is true. Bounded: fails (with the worker's log) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    log = Path(log_path).read_text(errors="replace")[-4000:] if log_path else ""
    raise AssertionError(f"gave up waiting for {what} (worker exit code "
                         f"{process.poll() if process else None}); worker log:\n{log}")


def stop(process):
    if process.poll() is None:
        process.kill()
    process.wait(10)
