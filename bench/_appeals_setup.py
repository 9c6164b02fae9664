"""Shared set-up for the appeals benchmarks (appeal_intake_bench, appeal_queue_bench, appeal_similar_bench).

* `Target`: one throwaway database to run against, SQLite (a file under a temporary directory, which is
  also GONGZHI_VAR_DIR and so holds the generated secret and data keys) or PostgreSQL (a database the
  bench creates and drops on the local server, BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432).
* `manage()`: run a management command against a target in a subprocess (migrate, load_demo, ...).
* The 1,000,000-appeal data set shared by the queue and duplicate benchmarks: generated once per database
  by `python bench/_appeals_setup.py generate --db sqlite|postgresql --dir DIR` (bulk inserts, the search
  index triggers dropped during the load and the index rebuilt afterwards), and reused while it is there.

Nothing here is imported by the product; it only drives it.
"""
import argparse
import datetime
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PG_BASE_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
KINDS = ("sqlite", "postgresql")
DEMO_SCALE = "0.05"

# The 1M data set: where it lives between the queue and the duplicate benchmark.
MILLION_DIR = Path(os.environ.get("BENCH_MILLION_DIR", Path(os.environ.get("TMPDIR", "/tmp")) / "gongzhi-appeals-1m"))
# Another name lets two sessions on one machine keep data sets of their own.
MILLION_PG_DB = os.environ.get("BENCH_MILLION_PG_DB", "gongzhi_appeals_1m")
MILLION = 1_000_000


class Target:
    """One database the benchmark runs against, with its own GONGZHI_VAR_DIR."""

    def __init__(self, kind, var_dir, pg_name=None):
        assert kind in KINDS, kind
        self.kind = kind
        self.var_dir = Path(var_dir)
        self.pg_name = pg_name

    @property
    def label(self):
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    @property
    def sqlite_path(self):
        return self.var_dir / "gongzhi.sqlite3"

    @property
    def database_url(self):
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return f"{PG_BASE_URL}/{self.pg_name}"

    def env(self, **extra):
        env = dict(os.environ)
        env.update(GONGZHI_VAR_DIR=str(self.var_dir), DATABASE_URL=self.database_url, DEBUG="0",
                   DJANGO_SETTINGS_MODULE="gongzhi.settings", PYTHONPATH=str(ROOT), LOG_LEVEL="ERROR")
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def create(self):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.kind == "postgresql":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        return self

    def exists(self):
        if self.kind == "sqlite":
            return self.sqlite_path.exists()
        return bool(pg_admin("SELECT 1 FROM pg_database WHERE datname = %s", [self.pg_name], fetch=True))

    def drop(self):
        if self.kind == "postgresql" and self.pg_name:
            pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def maintain(self):
        """VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite) the whole database."""
        if self.kind == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                con.execute("ANALYZE")
            finally:
                con.close()
            return
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")

    def sql(self, query, params=()):
        """Rows of one query, from the benchmark's own process (no Django here)."""
        if self.kind == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                return con.execute(query, params).fetchall()
            finally:
                con.close()
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as con:
            return con.execute(query.replace("?", "%s"), params).fetchall()


def pg_admin(query, params=None, fetch=False):
    import psycopg

    with psycopg.connect(f"{PG_BASE_URL}/postgres", autocommit=True) as con:
        cur = con.execute(query, params)
        return cur.fetchall() if fetch else None


def parse_kinds(value):
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    kinds = ["postgresql" if k in ("pg", "postgres") else k for k in kinds]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise SystemExit(f"unknown database kind {bad}; use sqlite, postgresql or both")
    return kinds


def manage(target, *args, check=True, quiet=True):
    proc = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=target.env(), text=True,
                          capture_output=quiet)
    if check and proc.returncode != 0:
        sys.stderr.write((proc.stdout or "") + (proc.stderr or ""))
        raise SystemExit(f"manage.py {' '.join(args)} failed on {target.label}")
    return proc


def load_demo(target):
    """migrate + load_demo --scale 0.05: the grid, organisations, accounts, categories, the demo Open311 key."""
    t0 = time.perf_counter()
    manage(target, "migrate", "--noinput", "-v", "0")
    manage(target, "load_demo", "--scale", DEMO_SCALE)
    return time.perf_counter() - t0


def setup_django(target):
    """Point this process at the target and set Django up (once per process)."""
    os.environ.update(target.env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "?"


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpus} CPU(s){' · ' + model if model else ''}; load average {load_average()}"


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


def pct(values, p):
    """The p-th percentile (nearest rank) of a list of numbers."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# =========================================================================== the 1,000,000 appeals

def million_target(kind, base_dir=MILLION_DIR):
    """The shared 1M-appeal database of a kind (SQLite file or PostgreSQL database), existing or not."""
    return Target(kind, Path(base_dir) / kind, MILLION_PG_DB if kind == "postgresql" else None)


def million_marker(target):
    return target.var_dir / "complete.json"


def million_ready(target):
    """The data set is there and complete: the marker written at the end of generation, and the rows."""
    marker = million_marker(target)
    if not marker.exists() or not target.exists():
        return None
    try:
        info = json.loads(marker.read_text())
        rows = target.sql("SELECT count(*) FROM appeals_appeal WHERE id > ?", [info["first_id"] - 1])[0][0]
    except Exception:  # noqa: BLE001 - half-made or foreign: generate again
        return None
    return info if rows == info["generated"] else None


def ensure_million(kind, count=MILLION, base_dir=MILLION_DIR, seed=2026):
    """(target, info, reused): generate the data set unless a complete one of that size is there."""
    target = million_target(kind, base_dir)
    info = million_ready(target)
    if info and info["generated"] == count:
        if manage(target, "migrate", "--check", check=False).returncode != 0:
            # Made by an earlier commit: brought to this one's schema, then its statistics and visibility map
            # refreshed as autovacuum would, or a migration's rewrite of rows would slow every count measured.
            manage(target, "migrate", "--noinput", "-v", "0")
            target.maintain()
        return target, info, True
    target.drop()
    target.create()
    t0 = time.perf_counter()
    seconds_demo = load_demo(target)
    proc = subprocess.run([PYTHON, __file__, "generate", "--db", kind, "--dir", str(base_dir), "--count", str(count),
                           "--seed", str(seed)], cwd=ROOT, env=target.env(), text=True, capture_output=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"generating {count:,} appeals on {target.label} failed")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["seconds_demo"] = round(seconds_demo, 1)
    info["seconds_total"] = round(time.perf_counter() - t0, 1)
    million_marker(target).write_text(json.dumps(info))
    return target, info, False


def describe_million(info, reused):
    how = "reused (generated earlier)" if reused else "generated now"
    return (f"{info['generated']:,} appeals {how}: {info['open']:,} open ({info['open'] / info['generated']:.1%}), "
            f"{info['handle_property1']:,} in property1's handler queue, {info['dispatch_queue']:,} in the dispatch "
            f"queue; demo set-up {info['seconds_demo']} s, bulk insert {info['seconds_insert']} s, "
            f"search index rebuilt in {info['seconds_index']} s ({info['indexed']:,} open appeals), "
            f"ANALYZE {info['seconds_analyze']} s")


# Extra phrases so the texts vary the way real ones do (the templates are the demo's, gongzhi/appeals/demo.py).
OPENERS = ["", "", "", "你好，", "您好，", "麻烦反映一下，", "再次反映：", "居民反映：", "紧急！", "请问", "投诉："]
CLOSERS = ["", "", "", "，请尽快处理", "，已经好几天了", "，希望物业尽快解决", "，谢谢！", "，多次反映无果",
           "，影响居民正常生活", "，老人小孩很不方便", "，请相关部门核实", "，晚上尤其明显", "，上周也出现过"]
# Most appeals are closed; the open ones are recent: an appeal `age` days old is still open with the
# chance exp(-age / OPEN_DAYS), which leaves OPEN_DAYS / (365 * YEARS) of them open (about 4%).
OPEN_DAYS = 44
OPEN_MIX = [(18, "submitted"), (8, "accepted"), (3, "returned"), (2, "reopened"), (4, "extension_requested"),
            (14, "dispatched"), (28, "in_progress"), (5, "on_hold"), (12, "resolved"), (6, "verified")]
CLOSED_MIX = [(95, "closed"), (5, "rejected")]
STATUSES_WITH_HANDLER = {"dispatched", "in_progress", "on_hold", "extension_requested", "resolved", "verified",
                         "closed", "reopened"}
YEARS = 3


def _weighted(rng, pairs):
    return rng.choices([v for _w, v in pairs], weights=[w for w, _v in pairs])[0]


def _point_in(rng, compound):
    """A random point inside the compound's boundary (or its centre)."""
    from gongzhi.core.geometry import Area

    area = Area.from_geojson(compound.boundary)
    if area is not None:
        min_lng, min_lat, max_lng, max_lat = area.geom.bounds
        for _i in range(50):
            lat, lng = rng.uniform(min_lat, max_lat), rng.uniform(min_lng, max_lng)
            if area.covers(lat, lng):
                return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")
    return compound.center_lat, compound.center_lng


def generate(kind, count, seed):
    """Bulk-load `count` appeals into the target this process is set up for; print a JSON summary."""
    from django.db import connection, transaction

    from gongzhi.accounts.models import User
    from gongzhi.appeals import similar
    from gongzhi.appeals.demo import TEXTS
    from gongzhi.appeals.models import Appeal, Category, Channel, Rating
    from gongzhi.appeals.routing import route
    from gongzhi.appeals.selectors import DISPATCH_STATUSES, HANDLER_STATUSES
    from gongzhi.grid.models import Building, Compound
    from gongzhi.orgs.models import Organisation

    rng = random.Random(seed)
    compounds = list(Compound.objects.select_related("community").order_by("id"))
    buildings = {}
    for b in Building.objects.order_by("id"):
        buildings.setdefault(b.compound_id, []).append(b)
    categories = {c.code: c for c in Category.objects.filter(code__in=TEXTS)}
    codes = sorted(categories)
    # The organisation the routing rules pick for each (category, compound): handlers spread as in the product.
    handler_of = {}
    for code in codes:
        for c in compounds:
            org, _rule, _note = route(categories[code], c)
            handler_of[code, c.pk] = org.pk if org else Organisation.objects.filter(kind="community_office").first().pk
    users = {u.username: u.pk for u in User.objects.all()}
    reporters = [users.get(n) for n in ("resident1", "resident2", "property1", "grid_worker1", "grid_worker2")] + [None]
    channels = [(45, Channel.APP), (30, Channel.HOTLINE), (15, Channel.PATROL), (10, Channel.PROPERTY)]
    first_id = (Appeal.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    span = datetime.timedelta(days=365 * YEARS).total_seconds()

    cols = ["id", "category_id", "channel", "title", "description", "is_public", "status", "version", "reporter_id",
            "entered_by_id", "contact_name", "contact_phone_enc", "contact_phone_masked", "compound_id", "building_id",
            "lat", "lng", "address", "handler_id", "suggested_handler_id", "routing_note", "escalation_level",
            "respond_due", "resolve_due", "responded_at", "resolved_at", "closed_at", "public_reply", "rating",
            "rating_comment", "rated_at", "me_too_count", "reopen_count", "created_at", "updated_at"]
    # The to-dos' emergency flag, on code that has it (a data set for an earlier commit is generated without).
    flagged = any(f.name == "urgent" for f in Appeal._meta.get_fields())
    if flagged:
        cols.append("urgent")

    def rows():
        # Ids grow with time, as they do: the n-th appeal is created at a time rising with n.
        for n in range(count):
            created = now - datetime.timedelta(seconds=span * (1 - (n + rng.random()) / count))
            age_days = (now - created).total_seconds() / 86400
            p_open = math.exp(-age_days / OPEN_DAYS)
            status = _weighted(rng, OPEN_MIX) if rng.random() < p_open else _weighted(rng, CLOSED_MIX)
            code = rng.choice(codes)
            cat = categories[code]
            compound = compounds[min(len(compounds) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.3 \
                else rng.choice(compounds)
            b = rng.choice(buildings.get(compound.pk) or [None])
            text = rng.choice(TEXTS[code]).format(b=b.name if b else "", f=rng.randint(2, 18))
            text = (rng.choice(OPENERS) + text + rng.choice(CLOSERS))[:4000]
            channel = _weighted(rng, channels)
            reporter = rng.choice(reporters) if channel == Channel.APP else None
            suggested = handler_of[code, compound.pk]
            handler = suggested if status in STATUSES_WITH_HANDLER else None
            lat = lng = None
            if rng.random() < 0.6:
                lat, lng = _point_in(rng, compound)
            respond_due = created + datetime.timedelta(days=1)
            resolve_due = created + datetime.timedelta(days=cat.resolve_amount * 7 / 5 if cat.resolve_unit == "wd"
                                                       else cat.resolve_amount / 24)
            closed = status in ("closed", "rejected")
            responded_at = created + datetime.timedelta(hours=rng.uniform(0.5, 30)) if handler else None
            resolved_at = created + datetime.timedelta(days=rng.uniform(0.5, 12)) \
                if status in ("resolved", "verified", "closed") else None
            closed_at = (resolved_at or created) + datetime.timedelta(days=rng.uniform(0.2, 3)) if closed else None
            rating = _weighted(rng, [(62, Rating.SATISFIED), (24, Rating.BASICALLY), (14, Rating.UNSATISFIED)]) \
                if status == "closed" and reporter and rng.random() < 0.7 else ""
            updated = closed_at or resolved_at or responded_at or created
            row = (first_id + n, cat.pk, channel, text[:30], text, cat.may_be_public and rng.random() < 0.6, status,
                   rng.randint(1, 9), reporter, reporter, "", "", "", compound.pk, b.pk if b else None, lat, lng, "",
                   handler, suggested, "", "compound", respond_due, resolve_due, responded_at, resolved_at,
                   closed_at, "已处理完毕" if resolved_at else "", rating, "", closed_at if rating else None,
                   rng.choice((0, 0, 0, 0, 1, 2)) if not closed else 0, 0, created, updated)
            yield row + (cat.kind == "emergency",) if flagged else row

    t0 = time.perf_counter()
    similar.uninstall(connection)  # the index triggers fire per row; rebuilt once at the end
    if kind == "sqlite":
        _insert_sqlite(connection, cols, rows())
    else:
        _insert_pg(connection, cols, rows())
    seconds_insert = time.perf_counter() - t0

    t0 = time.perf_counter()
    with transaction.atomic():
        similar.install(connection, rebuild=True)
    seconds_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if kind == "sqlite":
            cur.execute("ANALYZE")
        else:
            cur.execute("VACUUM ANALYZE")
    seconds_analyze = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {similar.TABLE}")
        indexed = cur.fetchone()[0]
    property1 = User.objects.get(username="property1")
    from gongzhi.accounts.policy import acting_org_ids

    info = {
        "generated": count, "first_id": first_id, "seed": seed,
        "open": Appeal.objects.filter(id__gte=first_id).exclude(status__in=("closed", "rejected")).count(),
        "handle_property1": Appeal.objects.filter(handler_id__in=acting_org_ids(property1),
                                                  status__in=HANDLER_STATUSES).count(),
        "dispatch_queue": Appeal.objects.filter(status__in=DISPATCH_STATUSES).count(),
        "indexed": indexed, "seconds_insert": round(seconds_insert, 1), "seconds_index": round(seconds_index, 1),
        "seconds_analyze": round(seconds_analyze, 1),
    }
    print(json.dumps(info))


def _sqlite_value(v):
    if isinstance(v, datetime.datetime):
        return v.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bool):
        return int(v)
    return v


def _insert_sqlite(connection, cols, rows, batch=20_000):
    from django.db import transaction

    sql = f"INSERT INTO appeals_appeal ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        chunk = []
        for row in rows:
            chunk.append(tuple(_sqlite_value(v) for v in row))
            if len(chunk) >= batch:
                raw.executemany(sql, chunk)
                chunk = []
        if chunk:
            raw.executemany(sql, chunk)
    raw.execute("PRAGMA synchronous=NORMAL")


def _insert_pg(connection, cols, rows):
    from django.db import transaction

    connection.ensure_connection()
    with transaction.atomic():
        with connection.connection.cursor() as cur:
            with cur.copy(f"COPY appeals_appeal ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute("SELECT setval(pg_get_serial_sequence('appeals_appeal', 'id'), "
                        "(SELECT max(id) FROM appeals_appeal))")


def measure_on_million(title, script, child_args, args):
    """Run `script --child child_args` once per database of args.db on the shared 1M data set.

    The child prints its results as one JSON line on stdout and may report progress as JSON lines
    {"progress": ...} on stderr. The data sets are dropped afterwards unless args.keep. Returns the results.
    """
    kinds = parse_kinds(args.db)
    print(f"{title} on {', '.join(kinds)}; machine: {machine()}", flush=True)
    results = []
    try:
        for kind in kinds:
            t0 = time.perf_counter()
            target, info, reused = ensure_million(kind, args.count, args.data_dir)
            print(f"  {target.label}: {describe_million(info, reused)}", flush=True)
            proc = subprocess.Popen([PYTHON, script, "--child", *child_args], cwd=ROOT, env=target.env(), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            errors = []
            for err_line in proc.stderr:
                try:
                    print(f"    {json.loads(err_line)['progress']}", flush=True)
                except (ValueError, KeyError, TypeError):
                    errors.append(err_line)
            stdout = proc.stdout.read()
            if proc.wait() != 0:
                sys.stderr.write(stdout + "".join(errors))
                raise SystemExit(f"measuring on {target.label} failed")
            data = json.loads(stdout.strip().splitlines()[-1])
            data["label"] = target.label
            results.append(data)
            print(f"  {target.label}: measured in {time.perf_counter() - t0:.0f} s (data set included)", flush=True)
    finally:
        if not args.keep:
            for kind in kinds:
                million_target(kind, args.data_dir).drop()
            try:
                Path(args.data_dir).rmdir()  # only if no other data set is left in it
            except OSError:
                pass
        else:
            print(f"  kept the data sets under {args.data_dir}"
                  + (f" and PostgreSQL database {MILLION_PG_DB}" if "postgresql" in kinds else ""))
    return results


def main():
    parser = argparse.ArgumentParser(description="Generate the 1M-appeal data set (used by the appeals benchmarks)")
    parser.add_argument("command", choices=["generate", "drop"])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--dir", default=str(MILLION_DIR))
    parser.add_argument("--count", type=int, default=MILLION)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.command == "drop":
        for kind in parse_kinds(args.db):
            million_target(kind, args.dir).drop()
        return
    target = million_target(args.db, args.dir)
    setup_django(target)
    generate(args.db, args.count, args.seed)


if __name__ == "__main__":
    main()
