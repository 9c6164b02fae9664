"""Home pages: each demo account's home, server time, with the full Xincheng demo. Target: under 150 ms.

    .venv/bin/python bench/home_bench.py                 (SQLite and PostgreSQL)
    .venv/bin/python bench/home_bench.py --db sqlite --runs 30

Per database: a throwaway database, `migrate` + `load_demo` (the whole demo: 10 compounds, about 3,000
households, 9,000 residents and the appeals' history), then in one process set up like the server (DEBUG off),
`GET /` through Django's test client for each demo account, signed in, after one warm-up: median, p95 and slowest
of --runs runs, and the queries the page makes. The public page for a visitor too.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET_MS = 150.0
ACCOUNTS = ["street_admin", "community_worker", "grid_worker1", "property1", "owners1", "member1", "resident1",
            "rider1", None]


def child(runs):
    """In the child, with the target's settings: time each home, print one JSON line."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gongzhi.accounts.models import User

    out = []
    for username in ACCOUNTS:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        assert client.get("/").status_code == 200  # warm-up: caches, templates
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        times.sort()
        out.append({"user": username or "(visitor)", "median": statistics.median(times),
                    "p95": times[max(0, int(len(times) * 0.95) - 1)], "max": times[-1], "queries": len(queries)})
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.runs)
    print(f"Home benchmark; machine: {setup.machine()}", flush=True)
    results = {}
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        work = Path(tempfile.mkdtemp(prefix=f"gongzhi-home-{kind}-"))
        target = setup.Target(kind, work / "var", "gongzhi_bench_home").create()
        try:
            t0 = time.perf_counter()
            setup.manage(target, "migrate", "--noinput", "-v", "0")
            setup.manage(target, "load_demo")
            print(f"  {target.label}: the whole demo loaded in {time.perf_counter() - t0:.0f} s", flush=True)
            proc = subprocess.run([setup.PYTHON, __file__, "--child", "--runs", str(args.runs)], cwd=setup.ROOT,
                                  env=target.env(), text=True, capture_output=True, check=True)
            results[target.label] = json.loads(proc.stdout.strip().splitlines()[-1])
        finally:
            target.drop()
    print(f"\nHome pages with the whole demo: GET / server time in ms over {args.runs} runs; target under "
          f"{TARGET_MS:.0f} ms")
    print(f"{'database':<12}{'account':<20}{'median':>9}{'p95':>9}{'slowest':>9}{'queries':>9}  verdict")
    met = True
    for label, rows in results.items():
        for r in rows:
            ok = r["p95"] < TARGET_MS
            met &= ok
            print(f"{label:<12}{r['user']:<20}{r['median']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}{r['queries']:>9}  "
                  f"{'< 150 ms' if ok else 'OVER'}")
    print(f"Target (p95 under {TARGET_MS:.0f} ms for every home): {'met' if met else 'NOT met'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
