"""Owners' votes (gongzhi.deliberation): the result of a vote in a compound of 3,000 units with every owner voting,
and 500 ballots cast at once. Targets: the result (selectors.result, the API's and the notice's figures) in under
200 ms; every one of the 500 concurrent ballots counted exactly once.

    .venv/bin/python bench/deliberation_bench.py                 (SQLite and PostgreSQL)
    .venv/bin/python bench/deliberation_bench.py --db postgresql --runs 30

Per database: a throwaway database, `migrate`, then in a child process set up like the server (DEBUG off): one
compound of 60 buildings × 50 units (areas 45-180 m², a tenth of the owners holding two units, 30 units still the
developer's), each owner a resident record with an account; the ownership register and a vote on one item-6 matter
and one ordinary matter opened through the services (the roll frozen by vote_open); a ballot for every owner
bulk-inserted; `result()` timed --runs times after one warm-up (median, p95, queries). Then a second vote, allowing
no change, and 500 owners cast their ballot through services.ballot_cast at once: 64 threads, each with its own
connection (PostgreSQL allows 100 by default), released together by a barrier, take the 500 in turn; the ballots in the table and the result's participating owners are
compared with the successes.
"""
import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET_MS = 200.0
UNITS = 3_000
CONCURRENT = 500
WORKERS = 64  # threads, each with its own connection (PostgreSQL's default allows 100 connections)


def _build():
    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.deliberation.models import Ownership
    from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict
    from gongzhi.people.models import Resident

    rng = random.Random(2026)
    s = Subdistrict.objects.create(code="BS", name="基准街道")
    c = Community.objects.create(subdistrict=s, code="BC", name="基准社区")
    k = Compound.objects.create(community=c, code="BK", name="基准小区")
    worker = User.objects.create_user(username="bench_worker", password="x" * 12)
    RoleAssignment.objects.create(user=worker, role=Role.COMMUNITY_WORKER, community=c)
    buildings = Building.objects.bulk_create([Building(compound=k, code=str(b), name=f"{b}栋") for b in range(1, 61)])
    if buildings[0].pk is None:
        buildings = list(Building.objects.filter(compound=k).order_by("pk"))
    units = Household.objects.bulk_create([
        Household(building=b, code=f"{u:03d}", address=f"基准小区{b.name}{u:03d}",
                  floor_area=Decimal(rng.randint(4500, 18000)) / 100)
        for b in buildings for u in range(1, 51)], batch_size=1000)
    if units[0].pk is None:
        units = list(Household.objects.filter(building__compound=k).order_by("pk"))
    people = Resident.objects.bulk_create([Resident(name=f"业主{i}", household=h) for i, h in enumerate(units)],
                                          batch_size=1000)
    if people[0].pk is None:
        people = list(Resident.objects.filter(household__building__compound=k).order_by("pk"))
    users = User.objects.bulk_create([User(username=f"bench_owner_{i}", password="!", resident=p)
                                      for i, p in enumerate(people)], batch_size=1000)
    if users[0].pk is None:
        users = list(User.objects.filter(username__startswith="bench_owner_").order_by("pk"))
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=Role.RESIDENT, household=h)
                                        for u, h in zip(users, units)], batch_size=1000)
    rows = []
    for i, (h, p) in enumerate(zip(units, people)):
        developer = i >= UNITS - 30
        owner = people[i - 1] if i % 10 == 1 else p  # a tenth of the owners hold the next unit too
        rows.append(Ownership(compound=k, building_id=h.building_id, household=h, owner_name=owner.name,
                              owner_resident=None if developer else owner, developer_held=developer))
    Ownership.objects.bulk_create(rows, batch_size=1000)
    return k, worker, users


def _vote(k, worker, **kw):
    import datetime

    from django.utils import timezone

    from gongzhi.deliberation import services

    now = timezone.now()
    vote = services.vote_create(user=worker, compound=k.pk, title="基准表决", opens_at=now - datetime.timedelta(hours=1),
                                closes_at=now + datetime.timedelta(days=7),
                                items=[{"text": "动用维修资金", "item_kind": "special"},
                                       {"text": "续聘物业", "item_kind": "ordinary"}], **kw)
    return services.vote_open(user=worker, vote=vote)


def child(runs):
    import django

    django.setup()
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from gongzhi.deliberation import selectors, services
    from gongzhi.deliberation.models import Ballot, RollEntry

    t0 = time.perf_counter()
    k, worker, users = _build()
    vote = _vote(k, worker)
    items = [str(pk) for pk in vote.items.values_list("pk", flat=True)]
    rng = random.Random(7)
    heads = {}
    for unit, head, hh_building in RollEntry.objects.filter(vote=vote).values_list("household_id", "head",
                                                                                 "household__building_id"):
        heads.setdefault(head, (unit, hh_building))
    Ballot.objects.bulk_create([
        Ballot(vote=vote, head=head, compound_id=k.pk, building_id=b, household_id=unit, entered_by=worker,
               channel="paper", choices={i: rng.choice(("yes", "yes", "yes", "no", "abstain")) for i in items})
        for head, (unit, b) in heads.items()], batch_size=1000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    built = time.perf_counter() - t0
    selectors.result(vote)  # warm-up
    times = []
    for _ in range(runs):
        t1 = time.perf_counter()
        r = selectors.result(vote)
        times.append((time.perf_counter() - t1) * 1000)
    with CaptureQueriesContext(connection) as q:
        selectors.result(vote)
    assert r["participating_owners"] == r["total_owners"] == len(heads)

    # 500 owners at once, on a vote that allows no change.
    race = _vote(k, worker, changeable=False)
    racers = users[:CONCURRENT * 2:2]  # owners of units 0, 2, 4…: distinct heads
    ok, refused, failed = [], [], []
    barrier = threading.Barrier(WORKERS)
    choices = {str(pk): "yes" for pk in race.items.values_list("pk", flat=True)}
    queue = list(racers)
    lock = threading.Lock()

    def cast():
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    user = queue.pop()
                try:
                    services.ballot_cast(user=user, vote=race.pk, choices=choices)
                    ok.append(user.pk)
                except Exception as exc:  # noqa: BLE001 - counted, then reported
                    name = exc.__class__.__name__
                    (refused if name in ("ValidationError", "Conflict") else failed).append(repr(exc)[:120])
        finally:
            connections.close_all()

    t2 = time.perf_counter()
    threads = [threading.Thread(target=cast) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    race_s = time.perf_counter() - t2
    stored = Ballot.objects.filter(vote=race).count()
    distinct = Ballot.objects.filter(vote=race).values("head").distinct().count()
    counted = selectors.result(race)["participating_owners"]
    print(json.dumps({
        "setup_s": round(built, 1), "owners": len(heads), "units": UNITS,
        "median_ms": round(statistics.median(times), 1), "p95_ms": round(setup.pct(times, 95), 1),
        "queries": len(q), "concurrent": len(racers), "ok": len(ok), "refused": len(refused), "failed": len(failed),
        "first_failures": failed[:3] + refused[:3], "stored": stored, "distinct_heads": distinct, "counted": counted,
        "race_s": round(race_s, 1)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.runs)
        return
    print(f"Deliberation benchmark; machine: {setup.machine()}", flush=True)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in setup.parse_kinds(args.db):
            target = setup.Target(kind, Path(tmp) / kind / "var", "gongzhi_bench_deliberation").create()
            try:
                setup.manage(target, "migrate", "--noinput", "-v", "0")
                proc = subprocess.run([setup.PYTHON, __file__, "--child", "--runs", str(args.runs)], cwd=setup.ROOT,
                                      env=target.env(), text=True, capture_output=True)
                if proc.returncode != 0:
                    sys.stderr.write(proc.stdout + proc.stderr)
                    raise SystemExit(f"{target.label}: the child failed")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                fast = r["median_ms"] < TARGET_MS
                once = r["ok"] == r["stored"] == r["distinct_heads"] == r["counted"] == r["concurrent"]
                failures += (not fast) + (not once)
                print(f"  {target.label}: result of {r['units']} units / {r['owners']} owners, all voting: median "
                      f"{r['median_ms']} ms, p95 {r['p95_ms']} ms, {r['queries']} queries "
                      f"(target < {TARGET_MS:.0f} ms: {'met' if fast else 'MISSED'})", flush=True)
                print(f"  {target.label}: {r['concurrent']} ballots at once in {r['race_s']} s: {r['ok']} accepted, "
                      f"{r['refused']} refused, {r['failed']} failed; {r['stored']} stored, {r['distinct_heads']} "
                      f"owners, {r['counted']} counted (exactly once: {'yes' if once else 'NO'})"
                      + (f"; e.g. {r['first_failures']}" if r["first_failures"] else ""), flush=True)
            finally:
                target.drop()
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
