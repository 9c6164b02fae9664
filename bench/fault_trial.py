"""Fault trials against the production commands of bin/serve on PostgreSQL, with figures.

    .venv/bin/python bench/fault_trial.py --database postgres://postgres@127.0.0.1:5432/faults_trial

Creates the database when missing, migrates it and loads the demo, then runs bin/serve (supervisord:
gunicorn, run_worker, the deadline watch) with its database reached through a TCP proxy this script
controls (tests/support/tcp_proxy.py), so an outage is a cut connection and the PostgreSQL server, which
may be shared, is never stopped. Notification e-mails go to the desk (community_worker) and are written
one file each by tests/support/mail.py, taking GONGZHI_TEST_MAIL_DELAY (0.05 s) each as a mail server
would. The load: 8 clients filing appeals as fast as they are answered, half through the API
(resident1's token), half through Open311 (the demo key), each with an Idempotency-Key, retrying the same
request with the same key after a failure (connection refused or reset, 5xx, 409) until it is answered.

1. kill  — kill -9 of every gunicorn process (master and workers), three times, under the load.
2. worker — kill -9 of the task worker while it sends the e-mails of a burst of appeals.
3. outage — the proxy cut for 5 s and then for 30 s under the load.

For each: acknowledged, found, lost, duplicated, half-written appeals; notifications pending,
missing, duplicated; e-mails missing and duplicated; whether the worker had to be restarted.
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.mail import message_ids, sent  # noqa: E402
from support.procs import descendants, healthy  # noqa: E402
from support.tcp_proxy import TcpProxy  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
DESK_EMAIL = "desk@example.cn"
SITE = "https://gongzhi.example.cn"


def say(*args):
    print(*args, flush=True)


# ---- set-up -------------------------------------------------------------------------------------

def ensure_database(url):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            say(f"created database {name}")


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def django_setup(env):
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "GONGZHI_VAR_DIR", "SITE_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django

    django.setup()


def prepare():
    """Only the desk gets e-mail: one e-mail per appeal filed (its 'submit' notification)."""
    from gongzhi.accounts.models import ApiToken, User

    User.objects.exclude(email="").update(email="")
    User.objects.filter(username="community_worker").update(email=DESK_EMAIL)
    resident = User.objects.select_related("resident__household__building").get(username="resident1")
    _, raw = ApiToken.issue(resident, 24)
    return raw, resident.resident.household.building.compound_id


# ---- processes ----------------------------------------------------------------------------------

def pids_of(serve, word):
    return sorted(pid for pid, cmd in descendants(serve.pid) if word in cmd)


class Serve:
    def __init__(self, env, port, log):
        self.port, self.log = port, log
        self.process = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env={**env, "PORT": str(port)},
                                        stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.process.pid
        deadline = time.monotonic() + 120
        while not self.healthy():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"bin/serve did not come up; see {log}")
            time.sleep(0.5)
        while not pids_of(self, "run_worker"):
            time.sleep(0.2)

    def healthy(self):
        return healthy(self.port)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            return "killed"


# ---- the load -----------------------------------------------------------------------------------

class Load:
    """Clients filing appeals with idempotency keys, each retrying until answered."""

    def __init__(self, port, token, tag, clients=8, seconds=30.0, total=None):
        self.port, (self.token, self.compound), self.tag = port, token, tag
        self.clients, self.seconds, self.total = clients, seconds, total
        self.lock = threading.Lock()
        self.acknowledged = {}        # key: (kind, number)
        self.answers = collections.Counter()  # (kind, status or error) of every attempt
        self.retried = self.replayed = self.gave_up = 0
        self.issued = 0
        self.first_ok_after = {}      # label: monotonic time of the first 2xx after it
        self.marks = {}

    def mark(self, label):
        with self.lock:
            self.marks[label] = time.monotonic()

    def send(self, kind, key, description):
        if kind == "api":
            url = f"http://127.0.0.1:{self.port}/api/v1/appeals"
            body = json.dumps({"category": "lighting", "description": description, "compound_id": self.compound}).encode()
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                       "Idempotency-Key": f'"{key}"'}
        else:
            url = f"http://127.0.0.1:{self.port}/open311/v2/requests.json"
            body = urllib.parse.urlencode({"api_key": "demo-open311-key", "service_code": "lighting",
                                           "lat": "24.1425", "long": "115.7210", "description": description,
                                           "idempotency_key": key}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers
        except (OSError, urllib.error.URLError) as e:
            return type(getattr(e, "reason", e)).__name__, b"", {}

    def next_key(self):
        with self.lock:
            if self.total is not None and self.issued >= self.total:
                return None
            self.issued += 1
            return str(uuid.uuid4())

    def client(self, i, end):
        kind = "api" if i % 2 == 0 else "open311"
        while time.monotonic() < end:
            key = self.next_key()
            if key is None:
                return
            description = f"故障演练 {self.tag} {key}"
            tries, wait, give_up = 0, 0.1, time.monotonic() + 180
            while True:
                tries += 1
                status, body, headers = self.send(kind, key, description)
                with self.lock:
                    self.answers[(kind, status)] += 1
                if status in (200, 201):
                    number = (json.loads(body)["number"] if kind == "api" else json.loads(body)[0]["service_request_id"])
                    with self.lock:
                        self.acknowledged[key] = (kind, number)
                        self.retried += tries > 1
                        self.replayed += headers.get("Idempotent-Replayed") == "true"
                        now = time.monotonic()
                        for label, at in self.marks.items():
                            if label not in self.first_ok_after and now > at:
                                self.first_ok_after[label] = now - at
                    break
                if isinstance(status, int) and 400 <= status < 500 and status != 409:
                    say(f"refused: {status} {body[:300]!r}")
                    os._exit(3)  # a request the trial got wrong: stop it all
                if time.monotonic() > give_up:
                    with self.lock:
                        self.gave_up += 1
                    break
                time.sleep(wait)
                wait = min(2.0, wait * 2)

    def run(self, during=None):
        end = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self.client, args=(i, end)) for i in range(self.clients)]
        for t in threads:
            t.start()
        if during:
            during(self)
        for t in threads:
            t.join()
        return self


# ---- what the database says ---------------------------------------------------------------------

def appeals_check(load):
    from gongzhi.appeals.models import Appeal, AppealEvent, number_for
    from gongzhi.core.models import AuditEntry, IdempotencyKey
    from gongzhi.open311.models import ServiceRequest

    rows = [(pk, number_for(pk, created), *rest) for pk, created, *rest in
            Appeal.objects.filter(description__startswith=f"故障演练 {load.tag} ")
            .values_list("pk", "created_at", "description", "respond_due", "resolve_due", "suggested_handler_id",
                         "routing_note")]
    by_key = collections.defaultdict(list)
    for pk, number, description, *_ in rows:
        by_key[description.rsplit(" ", 1)[1]].append(number)
    acked_numbers = {number for _, number in load.acknowledged.values()}
    found = {n for n in acked_numbers if any(n in v for v in by_key.values())}
    pks = [r[0] for r in rows]
    submitted = set(AppealEvent.objects.filter(appeal_id__in=pks, action="submit").values_list("appeal_id", flat=True))
    audited = {int(x) for x in AuditEntry.objects.filter(object_type="appeals.appeal", action="create",
                                                         object_id__in=[str(p) for p in pks])
               .values_list("object_id", flat=True)}
    filed_by_open311 = set(ServiceRequest.objects.filter(appeal_id__in=pks).values_list("appeal_id", flat=True))
    keys = set(IdempotencyKey.objects.filter(key__in=list(by_key)).values_list("key", flat=True))
    half = [r for r in rows if r[0] not in submitted or r[0] not in audited or not (r[3] and r[4])
            or not (r[5] or r[6]) or r[2].rsplit(" ", 1)[1] not in keys]
    open311_keys = {k for k, (kind, _) in load.acknowledged.items() if kind == "open311"}
    no_sr = [r for r in rows if r[2].rsplit(" ", 1)[1] in open311_keys and r[0] not in filed_by_open311]
    return {
        "acknowledged": len(load.acknowledged),
        "found": len(found),
        "lost": len(acked_numbers - found),
        "appeals written": len(rows),
        "duplicated (one key, more than one appeal)": sum(len(v) > 1 for v in by_key.values()),
        "written, never acknowledged (client gave up)": len(set(by_key) - set(load.acknowledged)),
        "half-written": len(half) + len(no_sr),
    }


def settle(load, timeout=600):
    """Wait until every notification of the load's appeals has been made and e-mailed; returns the seconds."""
    from gongzhi.appeals.models import AppealEvent
    from gongzhi.notifications.models import Notification

    start, deadline = time.monotonic(), time.monotonic() + timeout
    events = AppealEvent.objects.filter(appeal__description__startswith=f"故障演练 {load.tag} ", action="submit")
    while time.monotonic() < deadline:
        if (not AppealEvent.objects.filter(notify_pending=True).exists()
                and not Notification.objects.filter(source="appeals", event_id__in=events.values("pk"),
                                                    emailed_at__isnull=True, recipient__email=DESK_EMAIL).exists()
                and Notification.objects.filter(source="appeals", event_id__in=events.values("pk"),
                                                recipient__email=DESK_EMAIL).count()
                == events.count()):
            return time.monotonic() - start
        time.sleep(0.5)
    return None


def notifications_check(load, outbox):
    from gongzhi.appeals.models import AppealEvent
    from gongzhi.notifications.models import Notification

    events = list(AppealEvent.objects.filter(appeal__description__startswith=f"故障演练 {load.tag} ",
                                             action="submit").values_list("pk", flat=True))
    told = collections.Counter(Notification.objects.filter(source="appeals", event_id__in=events,
                                                           recipient__email=DESK_EMAIL)
                               .values_list("event_id", flat=True))
    ids = {pk: f"<notification-{pk}@gongzhi.example.cn>" for pk in Notification.objects.filter(
        source="appeals", event_id__in=events, recipient__email=DESK_EMAIL).values_list("pk", flat=True)}
    copies = collections.Counter(m for m in message_ids(outbox) if m in set(ids.values()))
    return {
        "appeals' submit events": len(events),
        "still pending in the outbox": AppealEvent.objects.filter(pk__in=events, notify_pending=True).count(),
        "desk notifications missing": sum(1 for e in events if not told[e]),
        "desk notifications duplicated": sum(1 for e in events if told[e] > 1),
        "e-mails sent (unique)": len(copies),
        "e-mails missing": sum(1 for m in ids.values() if not copies[m]),
        "e-mails duplicated": sum(1 for c in copies.values() if c > 1),
    }


def show(title, figures):
    say(f"\n{title}")
    for k, v in figures.items():
        say(f"  {k:<48} {v}")


# ---- the trials ---------------------------------------------------------------------------------

def trial_kill(serve, token, outbox, seconds):
    kills = []

    def during(load):
        for at in (seconds * 0.2, seconds * 0.45, seconds * 0.7):
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            victims = pids_of(serve, "gunicorn")
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            kills.append(len(victims))
            load.mark(f"kill {len(kills)}")

    start = time.monotonic()
    load = Load(serve.port, token, f"kill-{uuid.uuid4().hex[:6]}", seconds=seconds).run(during)
    figures = {"gunicorn processes killed (kill -9), each time": kills, **appeals_check(load),
               "requests retried / answers replayed": f"{load.retried} / {load.replayed}",
               "attempts by answer": dict(sorted((f"{k}:{s}", n) for (k, s), n in load.answers.items())),
               "seconds to the first 2xx after each kill": [round(load.first_ok_after.get(f"kill {i}", -1), 2)
                                                           for i in (1, 2, 3)]}
    settled = settle(load)
    figures["notifications settled after the load (s)"] = round(settled, 1) if settled is not None else "NO"
    figures.update(notifications_check(load, outbox))
    show(f"1. kill -9 of every gunicorn process, 3 times, under 8 clients for {seconds:.0f} s", figures)


def trial_worker(serve, token, outbox, count):
    before = len(sent(outbox))
    worker = pids_of(serve, "run_worker")
    load = Load(serve.port, token, f"worker-{uuid.uuid4().hex[:6]}", seconds=600, total=count)
    box = {}

    def during(load):
        while len(sent(outbox)) - before < count * 0.3:
            time.sleep(0.02)
        for pid in worker:
            os.kill(pid, signal.SIGKILL)
        box["killed"] = time.monotonic()
        box["sent_at_kill"] = len(sent(outbox)) - before

    load.run(during)
    settled = settle(load)
    done = time.monotonic()
    figures = {"appeals filed (each one e-mail to the desk)": count,
               "e-mails sent when the worker was killed": box["sent_at_kill"],
               "worker pid before / after": f"{worker} / {pids_of(serve, 'run_worker')}",
               "seconds from the kill to every e-mail sent": round(done - box["killed"], 1) if settled else "NO",
               **notifications_check(load, outbox)}
    show(f"2. kill -9 of the worker mid-batch ({count} appeals, e-mails 0.05 s each)", figures)


def trial_outage(serve, token, outbox, proxy, seconds, log):
    worker = pids_of(serve, "run_worker")
    cuts = ((seconds * 0.15, 5.0), (seconds * 0.45, 30.0))
    start = time.monotonic()

    def during(load):
        for n, (at, length) in enumerate(cuts, 1):
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            proxy.cut()
            time.sleep(length)
            proxy.restore()
            load.mark(f"restore {n}")

    log_before = Path(log).read_text(errors="replace")
    load = Load(serve.port, token, f"outage-{uuid.uuid4().hex[:6]}", seconds=seconds).run(during)
    settled = settle(load)
    log_after = Path(log).read_text(errors="replace")[len(log_before):]
    failures = len(re.findall(r"worker \S+: .* in a row\)", log_after))
    recoveries = log_after.count("database reachable again")
    figures = {"database cut (s)": [length for _, length in cuts], **appeals_check(load),
               "attempts by answer": dict(sorted((f"{k}:{s}", n) for (k, s), n in load.answers.items())),
               "seconds to the first 2xx after each restore": [round(load.first_ok_after.get(f"restore {i}", -1), 2)
                                                               for i in (1, 2)],
               "worker pid before / after": f"{worker} / {pids_of(serve, 'run_worker')}",
               "worker log: failed attempts / recoveries": f"{failures} / {recoveries}",
               "supervisord restarts (exited: lines)": log_after.count(" exited: "),
               "notifications settled after the load (s)": round(settled, 1) if settled is not None else "NO",
               **notifications_check(load, outbox)}
    show(f"3. database cut away (proxy) for 5 s and 30 s under 8 clients for {seconds:.0f} s", figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/faults_trial")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--var", default="/tmp/gongzhi-fault-trial")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--trials", default="kill,worker,outage")
    args = parser.parse_args()

    var = Path(args.var)
    outbox = var / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": args.database, "GONGZHI_VAR_DIR": str(var), "SITE_URL": SITE,
           "PYTHONPATH": str(ROOT / "tests"), "EMAIL_BACKEND": "support.mail.FileBackend",
           "GONGZHI_TEST_MAIL_DIR": str(outbox), "GONGZHI_TEST_MAIL_DELAY": "0.05", "LOG_LEVEL": "WARNING"}
    ensure_database(args.database)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo", "--if-empty")
    django_setup(env)
    token = prepare()

    target = urllib.parse.urlsplit(args.database)
    with TcpProxy(target.hostname, target.port or 5432) as proxy:
        via = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
        log = var / "serve.log"
        say(f"bin/serve on port {args.port}, database through the proxy on port {proxy.port}; log {log}")
        serve = Serve({**env, "DATABASE_URL": via}, args.port, log)
        try:
            for name in args.trials.split(","):
                if name == "kill":
                    trial_kill(serve, token, outbox, args.seconds)
                elif name == "worker":
                    trial_worker(serve, token, outbox, args.burst)
                elif name == "outage":
                    trial_outage(serve, token, outbox, proxy, args.seconds + 20, log)
        finally:
            say(f"\nbin/serve stopped (SIGTERM): exit {serve.stop()}")


if __name__ == "__main__":
    main()
