"""Duplicate-suggestion benchmark: similar open appeals among 1,000,000, target under 100 ms.

    .venv/bin/python bench/appeal_similar_bench.py             (SQLite and PostgreSQL; or: make bench-appeals)
    .venv/bin/python bench/appeal_similar_bench.py --db sqlite --runs 20

Uses the shared 1M-appeal data set of bench/_appeals_setup.py (generated if absent, reused if the queue
benchmark left it with --keep; removed at the end unless --keep). Its texts are the demo's templates
(gongzhi/appeals/demo.py TEXTS) with buildings, floors and openers/closers varied; about 4% of the appeals
are open, so the search index (open appeals only) holds about 40,000 of them.

For a few texts as a resident would type them, `similar_appeals(text=..., user=community_worker)` with
the compound, and with a point (lat/lng) inside it, is timed over --runs runs (median, p95, slowest);
also as resident1 (who sees only public appeals and their own). Beside it, the index lookup alone (the
FTS5 / tsvector query that picks the candidates, similar.py's private helper) shows how the time splits
between finding candidates and reading and filtering them.

Every statement runs under a time limit (--timeout, default 15 s): a query that would run for minutes
is reported as timed out instead of stalling the benchmark.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET_MS = 100.0
TEXTS = [
    ("lift", "3栋电梯又坏了，停在12楼不动，老人下不了楼"),
    ("lighting", "小区门口的路灯不亮了，晚上很黑"),
    ("fire_lane", "楼道里有人给电动车充电，有消防隐患"),
    ("leak", "楼上漏水，我家天花板都发霉了"),
    ("noise", "楼上装修噪音晚上十点以后还很吵"),
]


# ---- in the child ------------------------------------------------------------------------------

class TimedOut(Exception):
    pass


def limit_statements(connection, seconds):
    """Every statement of this connection stops after `seconds`: PostgreSQL's statement_timeout, or on
    SQLite a progress handler that interrupts a statement running too long."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, false)", [str(int(seconds * 1000))])
        return lambda: None
    state = {"deadline": None}
    raw = connection.connection

    def handler():
        return 1 if state["deadline"] and time.perf_counter() > state["deadline"] else 0

    raw.set_progress_handler(handler, 10_000)

    def arm():
        state["deadline"] = time.perf_counter() + seconds
    return arm


def measure(args):
    from django.db import OperationalError, connection
    from django.db.utils import DatabaseError

    from gongzhi.accounts.models import User
    from gongzhi.appeals import similar
    from gongzhi.grid.models import Compound

    from _appeals_setup import _point_in

    import random

    arm = limit_statements(connection, args.timeout)
    rng = random.Random(7)
    compound = Compound.objects.order_by("id").first()
    lat, lng = _point_in(rng, compound)
    users = {u.username: u for u in User.objects.filter(username__in=("community_worker", "resident1"))}
    variants = [("community_worker", "compound", {"compound": compound.pk}),
                ("community_worker", "lat/lng", {"lat": str(lat), "lng": str(lng)}),
                ("resident1", "compound", {"compound": compound.pk})]
    out = []
    for code, text in TEXTS[:args.texts]:
        for username, where, place_kw in variants:
            times, lookups, found, status = [], [], None, "ok"
            started = time.perf_counter()
            for i in range(args.runs + 1):  # the first run warms up and is not counted
                user = User.objects.get(pk=users[username].pk)  # fresh: scope computed inside, as in a request
                arm()
                t0 = time.perf_counter()
                try:
                    result = similar.similar_appeals(text=text, user=user, **place_kw)
                except (OperationalError, DatabaseError) as e:
                    status = f"timed out (> {args.timeout:g} s): {str(e).splitlines()[0][:80]}"
                    connection.close()
                    arm = limit_statements(connection, args.timeout)
                    break
                elapsed = time.perf_counter() - t0
                if i:
                    times.append(elapsed)
                found = [(a.pk, a.similarity) for a in result]
                if time.perf_counter() - started > args.budget and len(times) >= 10:
                    break
            # The index lookup alone, as similar_appeals makes it (staff: no visibility tokens).
            place = similar._resolve_place(place_kw.get("compound"), place_kw.get("lat"), place_kw.get("lng"))
            grams = similar.text_grams(text)[:similar.MAX_QUERY_GRAMS]
            own = None if similar._sees_all_candidates(users[username]) else users[username]
            lookup = similar._sqlite_candidates if connection.vendor == "sqlite" else similar._pg_candidates
            for i in range(min(len(times), 20) + 1):
                arm()
                t0 = time.perf_counter()
                ids = lookup(connection, grams, place, own, 40)
                if i:
                    lookups.append(time.perf_counter() - t0)
            out.append({"code": code, "text": text, "user": username, "where": where, "status": status,
                        "ms": [round(1000 * t, 2) for t in times], "lookup_ms": [round(1000 * t, 2) for t in lookups],
                        "candidates": len(ids), "found": len(found or []),
                        "best": max((s for _pk, s in found or []), default=None),
                        "compounds_searched": len(place.compound_ids or ())})
            print(json.dumps({"progress": f"{code} {username} {where}: {status}, "
                              f"{statistics.median(times) * 1000 if times else float('nan'):.1f} ms"}),
                  file=sys.stderr, flush=True)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {similar.TABLE}")
        indexed = cur.fetchone()[0]
    print(json.dumps({"cases": out, "indexed": indexed}))


# ---- the parent ---------------------------------------------------------------------------------

def report(args, results):
    print()
    print(f"Duplicate-suggestion benchmark: similar_appeals() among {args.count:,} appeals; ms per call, "
          f"median / p95 / slowest of up to {args.runs} runs (after one warm-up).")
    print(f"Machine: {setup.machine()}")
    head = (f"{'database':<11}{'text':<28}{'user':<18}{'place':<10}{'runs':>5}{'median':>9}{'p95':>9}"
            f"{'slowest':>9}{'index lookup':>14}{'found':>7}  verdict")
    line = "-" * (len(head) + 6)
    print(line)
    print(head)
    print(line)
    met = True
    for r in results:
        first = True
        for c in r["cases"]:
            ms, lk = c["ms"], c["lookup_ms"]
            if c["status"] != "ok" or not ms:
                print(f"{r['label'] if first else '':<11}{c['code']:<28}{c['user']:<18}{c['where']:<10}{len(ms):>5}"
                      f"  {c['status']}")
                met = False
            else:
                med, p95 = statistics.median(ms), setup.pct(ms, 95)
                ok = med < TARGET_MS and p95 < TARGET_MS
                met &= ok
                print(f"{r['label'] if first else '':<11}{c['code']:<28}{c['user']:<18}{c['where']:<10}{len(ms):>5}"
                      f"{med:>9.1f}{p95:>9.1f}{max(ms):>9.1f}{statistics.median(lk) if lk else float('nan'):>14.1f}"
                      f"{c['found']:>7}  {'< 100 ms' if ok else 'OVER 100 ms'}")
            first = False
        print(f"{'':<11}(search index: {r['indexed']:,} open appeals; the lat/lng point searches "
              f"{r['cases'][1]['compounds_searched'] if len(r['cases']) > 1 else '?'} compounds within reach)")
        print(line)
    print("Texts: " + " | ".join(f"{code}: {text}" for code, text in TEXTS[:args.texts]))
    print("'index lookup' is the FTS5 / tsvector query alone (median); the rest of a call reads the candidates, "
          "checks who may see them, and ranks them.")
    print(f"Target (median and p95 under {TARGET_MS:.0f} ms): {'met' if met else 'NOT met'}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--count", type=int, default=setup.MILLION, help="appeals in the data set (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per case (default 50)")
    parser.add_argument("--texts", type=int, default=len(TEXTS), help=f"how many of the {len(TEXTS)} texts")
    parser.add_argument("--budget", type=float, default=30, help="stop a case's runs after this many seconds "
                        "(at least 10 runs)")
    parser.add_argument("--timeout", type=float, default=15, help="time limit of one statement, seconds")
    parser.add_argument("--data-dir", default=str(setup.MILLION_DIR), help="where the 1M data sets live")
    parser.add_argument("--keep", action="store_true", help="keep the 1M data sets")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        return measure(args)
    child = ["--runs", str(args.runs), "--texts", str(args.texts), "--budget", str(args.budget),
             "--timeout", str(args.timeout)]
    results = setup.measure_on_million("Duplicate-suggestion benchmark", __file__, child, args)
    report(args, results)


if __name__ == "__main__":
    main()
