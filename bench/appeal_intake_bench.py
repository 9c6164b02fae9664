"""Intake benchmark: appeals per second through POST /open311/v2/requests.json on the production server.

    .venv/bin/python bench/appeal_intake_bench.py              (SQLite and PostgreSQL; or: make bench-appeals)
    .venv/bin/python bench/appeal_intake_bench.py --db sqlite --seconds 30

For each database: a throwaway database (SQLite under a temporary GONGZHI_VAR_DIR, or a PostgreSQL
database created and dropped here), `migrate` + `load_demo --scale 0.05` (grid, organisations,
categories, the demo Open311 key), then the production server command of bin/serve — gunicorn with
gunicorn.conf.py, ${WEB_CONCURRENCY:-3} sync workers, access log on (masked) — on a free loopback port,
and the background task worker (`manage.py run_worker --interval 1`, reported as db_worker) beside it as in
production: every appeal leaves its timeline row pending in the notification outbox, and the worker drains the outbox in batches
while the intake runs.

Several client threads (http.client) then send, for a bounded time, first GET /healthz (a `SELECT 1`),
then form-encoded Open311 POSTs (api_key, service_code, lat/long inside a compound, a Chinese
description). Each phase is warmed up first. Printed: requests, errors (non-2xx, must be 0), seconds,
requests per second for both, the ratio intake / healthz (target >= 0.2) and the CPU each process
spent per request.
"""
import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET = 0.2
DEFAULT = "default"  # the settings' own CONN_MAX_AGE: CONN_MAX_AGE left out of the environment
API_KEY = "demo-open311-key"
CLK = os.sysconf("SC_CLK_TCK")


# ---- what the clients send ---------------------------------------------------------------------

def make_bodies(n=400, seed=311):
    """Form bodies for n Open311 POSTs: demo texts, public service codes, points inside compounds."""
    from gongzhi.appeals.demo import TEXTS
    from gongzhi.grid.models import Building, Compound
    from gongzhi.open311 import selectors

    from _appeals_setup import CLOSERS, OPENERS, _point_in

    rng = random.Random(seed)
    codes = [c.code for c in selectors.services() if c.code in TEXTS]
    compounds = [c for c in Compound.objects.order_by("id") if c.boundary]
    buildings = {}
    for b in Building.objects.order_by("id"):
        buildings.setdefault(b.compound_id, []).append(b.name)
    bodies = []
    for _i in range(n):
        code = rng.choice(codes)
        compound = rng.choice(compounds)
        lat, lng = _point_in(rng, compound)
        text = rng.choice(TEXTS[code]).format(b=rng.choice(buildings.get(compound.pk) or [""]), f=rng.randint(2, 18))
        bodies.append(urllib.parse.urlencode({
            "api_key": API_KEY, "service_code": code, "lat": str(lat), "long": str(lng),
            "description": rng.choice(OPENERS) + text + rng.choice(CLOSERS),
        }))
    return bodies


# ---- CPU accounting from /proc -----------------------------------------------------------------

def _stat(pid):
    """(utime + stime + cutime + cstime) in seconds, and the parent pid; None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return sum(int(x) for x in fields[11:15]) / CLK, int(fields[1])


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu(pid):
    """CPU seconds of a process and all its descendants, the finished ones included (cutime/cstime)."""
    st = _stat(pid)
    if st is None:
        return 0.0
    return st[0] + sum(tree_cpu(c) for c in _children(pid))


def postmaster_pid():
    """The PostgreSQL server's main process on this machine (its backends are its children), or None."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in ("postgres", "postmaster"):
            st = _stat(int(entry.name))
            if st is None:
                continue
            try:
                parent = Path(f"/proc/{st[1]}/comm").read_text().strip()
            except OSError:
                parent = ""
            if parent not in ("postgres", "postmaster"):
                return int(entry.name)
    return None


def machine_ticks():
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values), idle


class CpuMeter:
    def __init__(self, pids):
        self.pids = {k: v for k, v in pids.items() if v}

    def snapshot(self):
        snap = {k: tree_cpu(pid) for k, pid in self.pids.items()}
        snap["client"] = sum(os.times()[:2])
        snap["_machine"] = machine_ticks()
        return snap

    @staticmethod
    def diff(a, b):
        out = {k: b[k] - a[k] for k in a if not k.startswith("_")}
        total = b["_machine"][0] - a["_machine"][0]
        idle = b["_machine"][1] - a["_machine"][1]
        out["machine_busy"] = 1 - idle / total if total else 0.0
        return out


# ---- the load ----------------------------------------------------------------------------------

def run_phase(port, kind, bodies, clients, seconds, max_requests=0):
    """All client threads hit one endpoint until the time (or the count) is up. Returns the figures."""
    counter = itertools.count()
    statuses = {}
    failures = []
    lock = threading.Lock()
    done = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        local = {}
        rng = random.Random(i)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            n = next(counter)
            if max_requests and n >= max_requests:
                break
            try:
                if kind == "healthz":
                    conn.request("GET", "/healthz")
                else:
                    conn.request("POST", "/open311/v2/requests.json", body=bodies[rng.randrange(len(bodies))],
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
                resp = conn.getresponse()
                body = resp.read()
                local[resp.status] = local.get(resp.status, 0) + 1
                if not 200 <= resp.status < 300 and len(failures) < 5:
                    failures.append(f"{resp.status} {body[:300]!r}")
            except (OSError, http.client.HTTPException) as e:
                local["exception"] = local.get("exception", 0) + 1
                if len(failures) < 5:
                    failures.append(repr(e))
                conn.close()
            done[i] += 1
        conn.close()
        with lock:
            for k, v in local.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 3600  # set properly once everyone is at the barrier
    start.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    total = sum(statuses.values())
    ok = sum(v for k, v in statuses.items() if isinstance(k, int) and 200 <= k < 300)
    return {"requests": total, "ok": ok, "errors": total - ok, "seconds": elapsed, "rate": total / elapsed,
            "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)}, "failures": failures}


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up (see its log above)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


TASKS_TABLE = "django_tasks_database_dbtaskresult"


def task_counts(target):
    rows = target.sql(f"SELECT status, count(*) FROM {TASKS_TABLE} GROUP BY status")
    return {status: n for status, n in rows}


def backlog(target):
    counts = task_counts(target)
    return counts.get("READY", 0) + counts.get("RUNNING", 0)


def wait_drained(target, worker, limit):
    t0 = time.perf_counter()
    while backlog(target) and time.perf_counter() - t0 < limit:
        if worker is not None and worker.poll() is not None:
            raise SystemExit("the background worker exited")
        time.sleep(0.5)
    return time.perf_counter() - t0, backlog(target)


def open311_appeals(target):
    return target.sql("SELECT count(*) FROM appeals_appeal WHERE channel = 'open311'")[0][0]


def run_database(kind, args):
    """Set one database up, then measure each CONN_MAX_AGE variant against it (server restarted each time)."""
    work = Path(tempfile.mkdtemp(prefix=f"gongzhi-intake-{kind}-"))
    target = setup.Target(kind, work / "var", f"gongzhi_bench_intake_{os.getpid()}").create()
    try:
        seconds_demo = setup.load_demo(target)
        bodies = json.loads(subprocess.run(
            [setup.PYTHON, __file__, "--child", "bodies"], cwd=setup.ROOT, env=target.env(), text=True,
            capture_output=True, check=True).stdout.strip().splitlines()[-1])
        print(f"  {target.label}: migrated and demo loaded (scale {setup.DEMO_SCALE}) in {seconds_demo:.1f} s", flush=True)
        return [measure(target, bodies, cma, args, work) for cma in args.conn_max_age]
    finally:
        if args.keep:
            print(f"  kept {work}" + (f" and PostgreSQL database {target.pg_name}" if kind == "postgresql" else ""))
        else:
            target.drop()
            shutil.rmtree(work, ignore_errors=True)


def measure(target, bodies, conn_max_age, args, work):
    """Start bin/serve's processes with this CONN_MAX_AGE, warm up, measure healthz then the intake."""
    env = target.env(**({} if conn_max_age == DEFAULT else {"CONN_MAX_AGE": conn_max_age}))
    if conn_max_age == DEFAULT:
        env.pop("CONN_MAX_AGE", None)
    procs, logs = [], []
    try:
        port = setup.free_port()
        workers = os.environ.get("WEB_CONCURRENCY", "3") if args.workers is None else str(args.workers)
        worker = None
        if not args.no_worker:
            wlog = open(work / f"db_worker-{conn_max_age}.log", "w")
            logs.append(wlog)
            worker = subprocess.Popen([setup.PYTHON, "manage.py", "run_worker", "--interval", "1"], cwd=setup.ROOT,
                                      env=env, stdout=wlog, stderr=subprocess.STDOUT)
            procs.append(worker)
        alog = open(work / f"gunicorn-{conn_max_age}.log", "w")
        logs.append(alog)
        # bin/serve's command (gunicorn.conf.py, its access log masked), with the port chosen here.
        server = subprocess.Popen(
            [str(setup.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "--workers", workers],
            cwd=setup.ROOT, env=env, stdout=alog, stderr=subprocess.STDOUT)
        procs.append(server)
        wait_ready(port, server)
        pids = {"gunicorn": server.pid, "db_worker": worker.pid if worker else None,
                "postgres": postmaster_pid() if target.kind == "postgresql" else None}
        meter = CpuMeter(pids)
        label = target.label + ("" if conn_max_age == DEFAULT else f" CMA={conn_max_age}")
        print(f"  {label}: gunicorn ({workers} workers) on port {port}, CONN_MAX_AGE={conn_max_age}; "
              f"db_worker {'running (pid %d)' % worker.pid if worker else 'NOT running (--no-worker)'}", flush=True)

        # Warm up both endpoints (imports, connections, caches), then let the worker catch up.
        run_phase(port, "healthz", bodies, args.clients, args.warmup)
        warm = run_phase(port, "intake", bodies, args.clients, args.warmup)
        if warm["errors"]:
            raise SystemExit(f"errors while warming up: {warm['statuses']} {warm['failures']}")
        wait_drained(target, worker, 300) if worker else None

        a = meter.snapshot()
        health = run_phase(port, "healthz", bodies, args.clients, args.seconds, args.max_requests)
        b = meter.snapshot()
        health["cpu"] = CpuMeter.diff(a, b)

        before_appeals = open311_appeals(target)
        tasks_before = task_counts(target)
        a = meter.snapshot()
        intake = run_phase(port, "intake", bodies, args.clients, args.seconds, args.max_requests)
        b = meter.snapshot()
        intake["cpu"] = CpuMeter.diff(a, b)
        tasks_after = task_counts(target)
        intake["appeals_created"] = open311_appeals(target) - before_appeals
        intake["tasks_enqueued"] = sum(tasks_after.values()) - sum(tasks_before.values())
        intake["backlog_at_end"] = tasks_after.get("READY", 0) + tasks_after.get("RUNNING", 0)
        intake["tasks_done_during"] = tasks_after.get("SUCCESSFUL", 0) - tasks_before.get("SUCCESSFUL", 0)
        intake["tasks_failed"] = tasks_after.get("FAILED", 0)
        if worker:
            drain = meter.snapshot()
            intake["drain_seconds"], intake["backlog_after_drain"] = wait_drained(target, worker, args.drain_limit)
            intake["drain_cpu"] = CpuMeter.diff(drain, meter.snapshot())
            final = task_counts(target)
            intake["tasks_total"] = final.get("SUCCESSFUL", 0) - tasks_before.get("SUCCESSFUL", 0)
        print(f"    healthz {health['rate']:,.1f}/s, intake {intake['rate']:,.1f}/s", flush=True)
        return {"label": label, "conn_max_age": conn_max_age, "workers": workers, "healthz": health,
                "intake": intake, "worker": bool(worker)}
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()


def cpu_per_request(phase, with_drain=False):
    """Milliseconds of CPU per request over every process of ours (server, worker, database, client)."""
    cpu = sum(v for k, v in phase["cpu"].items() if k != "machine_busy")
    if with_drain and phase.get("drain_cpu"):
        cpu += sum(v for k, v in phase["drain_cpu"].items() if k not in ("machine_busy", "client"))
    return 1000 * cpu / max(1, phase["requests"])


def cpu_ratio(r):
    """healthz CPU / intake CPU per request, the intake's notification tasks included (drain too):
    what the ratio of rates would be on an otherwise idle machine, if both are CPU-bound."""
    return cpu_per_request(r["healthz"]) / cpu_per_request(r["intake"], with_drain=True)


# ---- the report --------------------------------------------------------------------------------

def report(args, results):
    cols = [r["label"] for r in results]
    w = 56
    line = "-" * (w + 24 * len(cols))

    def row(label, fn):
        print(f"{label:<{w}}" + "".join(f"{fn(r):>24}" for r in results))

    print()
    print(f"Intake benchmark: POST /open311/v2/requests.json vs GET /healthz, {args.clients} client threads "
          f"(http.client), {args.seconds:g} s each after a {args.warmup:g} s warm-up, loopback.")
    print("Server: bin/serve's command (gunicorn -c gunicorn.conf.py, sync workers, masked access log to a file); "
          f"db_worker {'running during the intake, as in production' if all(r['worker'] for r in results) else 'NOT running'}. "
          "Columns: the settings' default (the judged figure: PostgreSQL connections kept between requests, "
          "CONN_MAX_AGE=600 with health checks; SQLite opens its file per request), and 'CMA=n' the same server "
          "with CONN_MAX_AGE=n (CMA=0: a new database connection per request).")
    print(f"Machine: {setup.machine()}")
    print(line)
    print(f"{'':<{w}}" + "".join(f"{c:>24}" for c in cols))
    row("gunicorn workers", lambda r: r["workers"])
    for name, key in (("healthz", "healthz"), ("intake (Open311 POST)", "intake")):
        row(f"{name}: requests", lambda r, k=key: f"{r[k]['requests']:,}")
        row(f"{name}: errors (non-2xx or failed)", lambda r, k=key: f"{r[k]['errors']:,}")
        row(f"{name}: seconds", lambda r, k=key: f"{r[k]['seconds']:.1f}")
        row(f"{name}: requests per second", lambda r, k=key: f"{r[k]['rate']:,.1f}")
    row(f"ratio intake / healthz (target >= {TARGET})",
        lambda r: f"{r['intake']['rate'] / r['healthz']['rate']:.3f}")
    row("target met", lambda r: "yes" if r['intake']['rate'] / r['healthz']['rate'] >= TARGET
        and not r['intake']['errors'] and not r['healthz']['errors'] else "NO")
    row("  the same, counting the notification drain after it", lambda r: (
        f"{r['intake']['requests'] / (r['intake']['seconds'] + r['intake'].get('drain_seconds', 0)) / r['healthz']['rate']:.3f}"))
    row("  the same from CPU per request (all our processes)", lambda r: f"{cpu_ratio(r):.3f}")
    print(line)
    row("appeals created by the intake (checked in the DB)", lambda r: f"{r['intake']['appeals_created']:,}")
    row("tasks enqueued during the intake (notification drains)", lambda r: f"{r['intake']['tasks_enqueued']:,}")
    row("  run by db_worker during the intake", lambda r: f"{r['intake']['tasks_done_during']:,}")
    row("  backlog at the end of the intake", lambda r: f"{r['intake']['backlog_at_end']:,}")
    row("  then drained in (s)", lambda r: f"{r['intake'].get('drain_seconds', 0):.1f}"
        + (f" ({r['intake']['backlog_after_drain']} left)" if r['intake'].get('backlog_after_drain') else ""))
    row("  tasks run in all, per appeal (drains, e-mails)", lambda r: (
        f"{r['intake'].get('tasks_total', 0) / max(1, r['intake']['appeals_created']):.2f}"))
    row("  failed tasks", lambda r: f"{r['intake']['tasks_failed']:,}")
    print(line)
    print("CPU per request (ms), from /proc (process trees, ended children included; 'postgres' is the whole")
    print("PostgreSQL server, so other sessions' work on it is counted too):")
    for key, name in (("healthz", "healthz"), ("intake", "intake")):
        for proc in ("gunicorn", "db_worker", "postgres", "client"):
            if any(proc in r[key]["cpu"] for r in results):
                row(f"  {name}: {proc}", lambda r, k=key, p=proc: (
                    f"{1000 * r[k]['cpu'][p] / max(1, r[k]['requests']):.2f}" if p in r[k]["cpu"] else "-"))
        row(f"  {name}: machine busy (all processes)", lambda r, k=key: f"{r[k]['cpu']['machine_busy']:.0%}")
    row("  intake: db_worker, the drain included, per appeal", lambda r: (
        f"{1000 * (r['intake']['cpu'].get('db_worker', 0) + r['intake'].get('drain_cpu', {}).get('db_worker', 0)) / max(1, r['intake']['appeals_created']):.2f}"))
    print(line)
    for r in results:
        for key in ("healthz", "intake"):
            if r[key]["failures"]:
                print(f"{r['label']} {key} failures: {r[key]['failures']}")
    judged = [r for r in results if r["conn_max_age"] == args.conn_max_age[0]]
    met = all(r["intake"]["rate"] / r["healthz"]["rate"] >= TARGET and not r["intake"]["errors"]
              and not r["healthz"]["errors"] for r in judged)
    print(f"Target (ratio >= {TARGET}, no errors) with CONN_MAX_AGE={args.conn_max_age[0]} (the judged column): "
          + ("met on every database." if met else "NOT met (see above)."))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each measured phase (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up of each endpoint (default 5)")
    parser.add_argument("--max-requests", type=int, default=0, help="stop a phase after this many requests too")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: $WEB_CONCURRENCY or 3)")
    parser.add_argument("--conn-max-age", default=os.environ.get("CONN_MAX_AGE", DEFAULT) + ",0",
                        help="CONN_MAX_AGE values to run, comma separated, 'default' for the settings' own; the "
                             "first is the one judged (default: the environment's value or the settings', then 0)")
    parser.add_argument("--no-worker", action="store_true", help="do not run the background worker")
    parser.add_argument("--drain-limit", type=float, default=120, help="wait at most this long for the task backlog")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and database")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child == "bodies":
        import django  # the environment (database, var dir) is the parent's

        django.setup()
        print(json.dumps(make_bodies()))
        return
    kinds = setup.parse_kinds(args.db)
    print(f"Intake benchmark on {', '.join(kinds)}; machine: {setup.machine()}", flush=True)
    args.conn_max_age = [v.strip() for v in args.conn_max_age.split(",") if v.strip()]
    results = [r for kind in kinds for r in run_database(kind, args)]
    report(args, results)


if __name__ == "__main__":
    main()
