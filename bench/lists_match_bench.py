"""Matching for a need (lists.matching.suggest), server-side function call, as the lists grow tenfold.
Targets: under 100 ms at 10,000 resources and 5,000 registered members, and time@10,000 / time@1,000 ≤ 2.

    .venv/bin/python bench/lists_match_bench.py                 (SQLite and PostgreSQL)
    .venv/bin/python bench/lists_match_bench.py --db sqlite --runs 30

Per database: a throwaway database, `migrate` + `load_demo --scale 0.05` (the grid, the accounts and the lists'
demo), then in a child process set up like the server (DEBUG off): bulk inserts bring the lists to 1,000
active resources and 500 confirmed members (users, registrations and their skill rows, as
registration_decide writes them), spread at random over every compound of the grid and the nine categories;
the statistics are refreshed (ANALYZE, as autovacuum would); `suggest()` is timed for each of the demo's
open needs in turn, after one warm-up, --runs times. Then the lists are brought to 10,000 and 5,000 and the
same is timed again. Median, p95 and the queries of one call are printed, and the ratio of the medians.
"""
import argparse
import datetime
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET_MS = 100.0
TARGET_RATIO = 2.0
STEPS = [(1_000, 500), (10_000, 5_000)]


def _grow(rng, resources, members, have):
    """Bulk-insert up to `resources` resources and `members` confirmed members (from `have` already there)."""
    from gongzhi.accounts.models import User
    from gongzhi.grid.models import Compound
    from gongzhi.lists.models import (Category, MemberSkill, ProviderKind, Registration, RegistrationKind,
                                      RegistrationStatus, Resource, ResourceKind)

    compounds = list(Compound.objects.values_list("pk", flat=True))
    topics = Category.values
    today = datetime.date(2026, 6, 1)
    n_res, n_mem = have
    batch = []
    for i in range(n_res, resources):
        start = today + datetime.timedelta(days=rng.randint(-200, 100)) if rng.random() < 0.5 else None
        batch.append(Resource(title=f"资源{i}", kind=rng.choice(ResourceKind.values), topic=rng.choice(topics),
                              provider_kind=rng.choice(ProviderKind.values), compound_id=rng.choice(compounds),
                              capacity=rng.randint(1, 50), available_from=start,
                              available_to=start + datetime.timedelta(days=rng.randint(10, 300)) if start else None,
                              active=rng.random() < 0.9))
    Resource.objects.bulk_create(batch, batch_size=1000)
    users = User.objects.bulk_create([User(username=f"bench_member_{i}", password="!", display_name=f"党员{i}")
                                      for i in range(n_mem, members)], batch_size=1000)
    regs = []
    for u in users:
        skills = rng.sample(topics, rng.randint(1, 3))
        regs.append(Registration(kind=RegistrationKind.MEMBER, user=u, compound_id=rng.choice(compounds),
                                 work_unit="某单位", skills=",".join(skills), weekly_hours=rng.randint(0, 12),
                                 status=RegistrationStatus.CONFIRMED))
    regs = Registration.objects.bulk_create(regs, batch_size=1000)
    if not regs or regs[0].pk is None:  # a backend that does not return keys: read them back
        regs = list(Registration.objects.filter(user__in=users))
    MemberSkill.objects.bulk_create([MemberSkill(registration=r, user_id=r.user_id, compound_id=r.compound_id,
                                                 topic=t, weekly_hours=r.weekly_hours)
                                     for r in regs for t in r.skill_list()], batch_size=1000)


def child(runs):
    """In the child, with the target's settings: grow, time, print one JSON line."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongzhi.accounts.models import User
    from gongzhi.lists.matching import suggest
    from gongzhi.lists.models import MemberSkill, Need, NeedStatus, Resource

    rng = random.Random(20261207)
    worker = User.objects.get(username="community_worker")
    needs = list(Need.objects.filter(status=NeedStatus.OPEN).select_related("compound").order_by("pk"))
    assert needs, "the demo's open needs"
    out, have = [], (0, 0)
    for resources, members in STEPS:
        t0 = time.perf_counter()
        _grow(rng, resources, members, have)
        have = (resources, members)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        grown = time.perf_counter() - t0
        for need in needs:
            suggest(worker, need)  # warm-up
        times = []
        for i in range(runs):
            need = needs[i % len(needs)]
            t0 = time.perf_counter()
            got = suggest(worker, need)
            times.append((time.perf_counter() - t0) * 1000)
            assert got
        with CaptureQueriesContext(connection) as queries:
            suggest(worker, needs[0])
        times.sort()
        out.append({"resources": Resource.objects.count(), "members": MemberSkill.objects.values("registration")
                    .distinct().count(), "median": statistics.median(times),
                    "p95": times[max(0, int(len(times) * 0.95) - 1)], "max": times[-1], "queries": len(queries),
                    "grown_s": grown})
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.runs)
    print(f"Lists matching benchmark; machine: {setup.machine()}", flush=True)
    results = {}
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        work = Path(tempfile.mkdtemp(prefix=f"gongzhi-match-{kind}-"))
        target = setup.Target(kind, work / "var", "gongzhi_bench_match").create()
        try:
            seconds = setup.load_demo(target)
            print(f"  {target.label}: demo (scale {setup.DEMO_SCALE}) loaded in {seconds:.0f} s", flush=True)
            proc = subprocess.run([setup.PYTHON, __file__, "--child", "--runs", str(args.runs)], cwd=setup.ROOT,
                                  env=target.env(), text=True, capture_output=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr)
                return 1
            results[target.label] = json.loads(proc.stdout.strip().splitlines()[-1])
        finally:
            target.drop()
    print(f"\nsuggest(): server time in ms over {args.runs} runs; targets under {TARGET_MS:.0f} ms, "
          f"time@10,000 / time@1,000 ≤ {TARGET_RATIO:.0f}")
    print(f"{'database':<12}{'resources':>10}{'members':>9}{'median':>9}{'p95':>9}{'slowest':>9}{'queries':>9}")
    met = True
    for label, rows in results.items():
        for r in rows:
            met &= r["p95"] < TARGET_MS
            print(f"{label:<12}{r['resources']:>10,}{r['members']:>9,}{r['median']:>9.1f}{r['p95']:>9.1f}"
                  f"{r['max']:>9.1f}{r['queries']:>9}")
        ratio = rows[-1]["median"] / rows[0]["median"]
        met &= ratio <= TARGET_RATIO
        print(f"{label:<12}ratio of medians time@10,000 / time@1,000: {ratio:.2f}")
    print(f"Targets: {'met' if met else 'NOT met'}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
