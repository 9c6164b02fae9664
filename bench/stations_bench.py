"""Stations: the nearest rest stations among 10,000, and a busy station's room over a month, server time.
Targets: GET /api/v1/stations/nearest under 20 ms, GET /api/v1/stations/rooms/{id}/month under 50 ms (p95).

    .venv/bin/python bench/stations_bench.py                 (SQLite and PostgreSQL, a few minutes)
    .venv/bin/python bench/stations_bench.py --db sqlite --runs 50

Per database: a throwaway database (`migrate` only), then in a child process set up like the server (DEBUG off,
the public throttle on, each request from its own address so that it never answers 429) the data set is built
with bulk inserts:

* a grid of one sub-district, one community and ten compounds around Xingning, a resident of one of them;
* rest stations spread like a province's: 85% in twelve cities (normal around each centre, 6–20 km), the rest
  anywhere in a 440 × 700 km box; 85% open, 8% opening soon, 4% planned, 3% closed; amenities at random; each
  with a row of hours per weekday (a fifth of them open round the clock, some overnight);
* one busy 党群驿站 with four rooms serving the resident's compound, booked six times a day every day for the
  last twelve months and the next two (a tenth cancelled), two temporary closures in the month timed, closed on
  public holidays; twenty other party stations booked twice a day over the same fourteen months.

The statistics are refreshed (ANALYZE), then timed, after a warm-up, --runs times each: the nearest 10 from
points in the cities and from points anywhere (where the search box has to grow), with and without an amenity
and "open only" — as a function call (selectors.nearest + open_now + the public facts, what the view does)
and as the whole request through Django's test client; then the busy room's month (selectors.month_free, and
the API request), and its page (the day view with the month grid). First with 1,000 stations, then 10,000:
the ratio of the medians says how the search grows.
"""
import argparse
import datetime
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

NEAREST_MS = 20.0
MONTH_MS = 50.0
STEPS = (1_000, 10_000)
CITIES = [(24.14, 115.73), (23.13, 113.26), (22.54, 114.06), (23.02, 113.75), (23.05, 113.12), (22.27, 113.58),
          (23.36, 116.68), (24.29, 116.12), (22.52, 113.39), (21.27, 110.36), (24.81, 113.60), (23.11, 114.42)]
BOX = ((21.6, 25.4), (110.2, 117.2))  # south–north, west–east
KM_PER_DEG = 111.32


def _point(rng, city=True):
    if city:
        lat0, lng0 = rng.choice(CITIES)
        spread = rng.uniform(6, 20)
        lat = rng.gauss(lat0, spread / KM_PER_DEG)
        lng = rng.gauss(lng0, spread / (KM_PER_DEG * math.cos(math.radians(lat0))))
    else:
        lat, lng = rng.uniform(*BOX[0]), rng.uniform(*BOX[1])
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _grid():
    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict

    s = Subdistrict.objects.create(code="BS1", name="福兴街道")
    c = Community.objects.create(subdistrict=s, code="BC1", name="新城社区")
    compounds = [Compound.objects.create(community=c, code=f"BK{i}", name=f"小区{i}",
                                         center_lat=Decimal(f"{24.14 + i * 0.004:.6f}"), center_lng=Decimal("115.73"))
                 for i in range(10)]
    b = Building.objects.create(compound=compounds[0], code="1", name="1栋")
    h = Household.objects.create(building=b, code="101", address="1栋101", floor_area=Decimal("90"))
    resident = User.objects.create_user(username="bench_resident", password="!")
    RoleAssignment.objects.create(user=resident, role=Role.RESIDENT, household=h)
    return compounds, resident


def _hours(rng):
    T = datetime.time
    kind = rng.random()
    if kind < 0.2:
        return [(d, T(0), T(0)) for d in range(7)]
    if kind < 0.35:
        return [(d, T(20), T(8)) for d in range(7)]  # a night station
    if kind < 0.6:
        return [(d, T(8, 30), T(17, 30)) for d in range(5)]
    return [(d, T(7), T(22)) for d in range(7)]


def _grow_stations(rng, compounds, have, want):
    from gongzhi.stations.models import AMENITY_KEYS, Kind, OpeningHours, Station, Status

    statuses = [Status.OPEN] * 85 + [Status.SOON] * 8 + [Status.PLANNED] * 4 + [Status.CLOSED] * 3
    rows, hours = [], []
    for i in range(have, want):
        lat, lng = _point(rng, city=rng.random() < 0.85)
        rows.append(Station(name=f"暖锋驿站{i}", kind=Kind.REST, status=rng.choice(statuses), lat=lat, lng=lng,
                            compound_id=rng.choice(compounds).pk,
                            **{f"has_{k}": rng.random() < 0.5 for k in AMENITY_KEYS}))
    made = Station.objects.bulk_create(rows, batch_size=2000)
    if made and made[0].pk is None:
        made = list(Station.objects.filter(name__in=[r.name for r in rows]))
    for s in made:
        hours += [OpeningHours(station_id=s.pk, weekday=w, opens=o, closes=c) for w, o, c in _hours(rng)]
    OpeningHours.objects.bulk_create(hours, batch_size=5000)


def _bookings_for(room, user, rng, first, days, times, compound_id):
    from gongzhi.core.workdays import LOCAL
    from gongzhi.stations.models import Booking

    out = []
    for i in range(days):
        day = first + datetime.timedelta(days=i)
        for hour, minutes in times:
            start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)
            out.append(Booking(room=room, booked_by=user, starts_at=start,
                               ends_at=start + datetime.timedelta(minutes=minutes), purpose="活动", attendees=4,
                               status="cancelled" if rng.random() < 0.1 else "confirmed", compound_id=compound_id))
    return out


def _busy_station(rng, compounds, resident, today):
    """The busy station (its four rooms booked six times a day) and twenty others booked twice a day."""
    from gongzhi.core.workdays import LOCAL
    from gongzhi.stations.models import Booking, Closure, Kind, OpeningHours, Room, RoomReach, Station, Status

    T = datetime.time
    first = (today.replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
    days = (today.replace(day=1) + datetime.timedelta(days=62) - first).days
    rows, busy_room = [], None
    for n in range(21):
        k = compounds[n % len(compounds)]
        station = Station.objects.create(name=f"党群驿站{n}", kind=Kind.PARTY, status=Status.OPEN, lat=k.center_lat,
                                         lng=k.center_lng, compound=k, closed_on_holidays=True)
        OpeningHours.objects.bulk_create([OpeningHours(station=station, weekday=d, opens=T(8, 30), closes=T(21, 30))
                                          for d in range(6)] + [OpeningHours(station=station, weekday=6, opens=T(9),
                                                                             closes=T(17))])
        for r in range(4 if n == 0 else 2):
            room = Room.objects.create(station=station, name=f"活动室{r}", capacity=30, max_minutes=240,
                                       horizon_days=14)
            RoomReach.objects.create(room=room, compound=k)
            if n == 0:  # six a day, some back to back
                times = [(9, 60), (10, 90), (14, 60), (15, 120), (18, 60), (19, 120)]
                busy_room = busy_room or room
            else:
                times = [(9, 90), (19, 90)]
            rows += _bookings_for(room, resident, rng, first, days, times, k.pk)
        if n == 0:
            month = today.replace(day=1)
            for day, hours in ((5, (13, 17)), (20, (8, 12))):
                d = month.replace(day=day)
                Closure.objects.create(station=station, reason="检修",
                                       starts_at=datetime.datetime.combine(d, T(hours[0]), tzinfo=LOCAL),
                                       ends_at=datetime.datetime.combine(d, T(hours[1]), tzinfo=LOCAL))
    Booking.objects.bulk_create(rows, batch_size=5000)
    return busy_room, len(rows)


def _stats(times, queries):
    times = sorted(times)
    return {"median": statistics.median(times), "p95": setup.pct(times, 95), "max": times[-1], "queries": queries}


def _timed(fn, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn(0)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        fn(1)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i + 2)
        times.append((time.perf_counter() - t0) * 1000)
    return _stats(times, len(captured))


def child(runs):
    """In the child, with the target's settings: build, time, print one JSON line."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from gongzhi.accounts.models import ApiToken
    from gongzhi.core.workdays import LOCAL
    from gongzhi.stations import selectors
    from gongzhi.stations.present import public

    rng = random.Random(20261207)
    today = datetime.datetime.now(LOCAL).date()
    t0 = time.perf_counter()
    compounds, resident = _grid()
    busy_room, n_bookings = _busy_station(rng, compounds, resident, today)
    built = time.perf_counter() - t0
    client = Client()
    points = {"city": [_point(rng, city=True) for _ in range(runs + 2)],
              "anywhere": [_point(rng, city=False) for _ in range(runs + 2)]}
    cases = [("city", {}), ("city", {"amenity": "charging"}), ("city", {"open_only": "true"}),
             ("anywhere", {}), ("anywhere", {"amenity": "charging", "open_only": "true"})]

    def nearest_call(where, params):
        def call(i):
            lat, lng = points[where][i]
            qs = selectors.public_stations().filter(status="open") if params.get("open_only") else None
            ranked = selectors.nearest(float(lat), float(lng), amenities=[params["amenity"]] if "amenity" in params
                                       else [], limit=10, queryset=qs)
            opened = selectors.open_now([s for _d, s in ranked])
            return [public(s, distance_m=d, open_now=opened[s.pk]) for d, s in ranked]
        return call

    def nearest_request(where, params):
        def call(i):
            lat, lng = points[where][i]
            r = client.get("/api/v1/stations/nearest", {"lat": str(lat), "lng": str(lng), **params},
                           REMOTE_ADDR=f"10.{i // 250 % 250}.{i % 250}.{rng.randint(1, 250)}")
            assert r.status_code == 200, r.content
        return call

    out = {"nearest": [], "built_s": built, "bookings": n_bookings}
    have = 0
    for want in STEPS:
        t0 = time.perf_counter()
        _grow_stations(rng, compounds, have, want)
        have = want
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        step = {"stations": want, "grown_s": time.perf_counter() - t0, "cases": []}
        for where, params in cases:
            label = where + "".join(f" {k}={v}" for k, v in params.items())
            step["cases"].append({"case": label, "call": _timed(nearest_call(where, params), runs),
                                  "request": _timed(nearest_request(where, params), runs)})
        out["nearest"].append(step)

    month = today.replace(day=1)
    _token, raw = ApiToken.issue(resident, 24)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client.force_login(resident)

    def month_call(i):
        room = selectors.room(resident, busy_room.pk)
        return selectors.month_free(room, month)

    def month_request(i):
        r = client.get(f"/api/v1/stations/rooms/{busy_room.pk}/month", {"month": f"{month:%Y-%m}"}, **auth)
        assert r.status_code == 200, r.content

    def room_page(i):
        r = client.get(f"/stations/rooms/{busy_room.pk}/", {"date": f"{today}"})
        assert r.status_code == 200

    days = month_call(0)
    out["month"] = {"call": _timed(month_call, runs), "request": _timed(month_request, runs),
                    "page": _timed(room_page, runs), "month": f"{month:%Y-%m}",
                    "free_days": sum(1 for spans in days.values() if spans)}
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.runs)
    print(f"Stations benchmark; machine: {setup.machine()}", flush=True)
    results = {}
    for kind in setup.parse_kinds(args.db):
        work = Path(tempfile.mkdtemp(prefix=f"gongzhi-stations-{kind}-"))
        target = setup.Target(kind, work / "var", "gongzhi_bench_stations").create()
        try:
            t0 = time.perf_counter()
            setup.manage(target, "migrate", "--noinput", "-v", "0")
            print(f"  {target.label}: migrated in {time.perf_counter() - t0:.0f} s", flush=True)
            proc = subprocess.run([setup.PYTHON, __file__, "--child", "--runs", str(args.runs)], cwd=setup.ROOT,
                                  env=target.env(), text=True, capture_output=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr)
                return 1
            results[target.label] = json.loads(proc.stdout.strip().splitlines()[-1])
        finally:
            target.drop()
    return report(results, args.runs)


def report(results, runs):
    met = True
    print(f"\nServer time in ms over {runs} runs (median / p95 / slowest, queries); call = the selectors as the view "
          f"calls them, request = the whole request through Django")
    print(f"\nNearest 10 rest stations (target: request p95 under {NEAREST_MS:.0f} ms at 10,000 stations)")
    print(f"{'database':<12}{'stations':>9}  {'case':<40}{'call':>24}{'request':>24}")
    for label, r in results.items():
        for step in r["nearest"]:
            for c in step["cases"]:
                call, req = c["call"], c["request"]
                if step["stations"] == STEPS[-1]:
                    met &= req["p95"] < NEAREST_MS
                print(f"{label:<12}{step['stations']:>9,}  {c['case']:<40}"
                      f"{call['median']:>7.1f} /{call['p95']:>6.1f} /{call['max']:>6.1f} ({call['queries']})"
                      f"{req['median']:>7.1f} /{req['p95']:>6.1f} /{req['max']:>6.1f} ({req['queries']})")
        small, big = r["nearest"][0]["cases"], r["nearest"][-1]["cases"]
        ratios = [b["request"]["median"] / s["request"]["median"] for s, b in zip(small, big)]
        print(f"{label:<12}ratio of request medians 10,000 / 1,000 stations: "
              + ", ".join(f"{x:.2f}" for x in ratios))
    print(f"\nA busy room's month (target: request p95 under {MONTH_MS:.0f} ms)")
    print(f"{'database':<12}{'bookings':>9}  {'what':<40}{'median':>8}{'p95':>8}{'slowest':>9}{'queries':>9}")
    for label, r in results.items():
        m = r["month"]
        met &= m["request"]["p95"] < MONTH_MS
        for what, key in (("selectors.month_free (with the room)", "call"),
                          (f"GET …/rooms/{{id}}/month?month={m['month']}", "request"),
                          ("the room's page (day and month)", "page")):
            s = m[key]
            print(f"{label:<12}{r['bookings']:>9,}  {what:<40}{s['median']:>8.1f}{s['p95']:>8.1f}{s['max']:>9.1f}"
                  f"{s['queries']:>9}")
    print(f"\nTargets: {'met' if met else 'NOT met'}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
