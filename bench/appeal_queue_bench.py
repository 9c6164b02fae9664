"""Queue benchmark: the work queues, the list of every visible appeal and the three rates, among 1,000,000 appeals.

    .venv/bin/python bench/appeal_queue_bench.py               (SQLite and PostgreSQL; or: make bench-appeals)
    .venv/bin/python bench/appeal_queue_bench.py --db postgresql --keep --cases all,rates

For each database: the shared 1M-appeal data set (bench/_appeals_setup.py: the demo at scale 0.05, then
1,000,000 appeals bulk-inserted — most closed, about 4% open and recent, handlers as the routing rules
pick them — the duplicate-search index rebuilt, ANALYZE), generated once and reused while it is there.

Then, in one process set up like the server (DEBUG off), for each queue — the dispatcher's
(selectors.queue(community_worker, "dispatch")), a handler's (selectors.queue(property1, "handle")), and
`all` (every appeal the user may read: the API's and the list page's default) for community_worker,
street_admin, grid_worker1, property1 and resident1 — page 1 and page 1,000 (the cursor of page 1,000 is
computed once from the row at offset 999 x limit over the plain filter, selectors.queue(), in the queue's
order: a work queue of open appeals most urgent first — emergencies, then by deadline — and the others
newest first; when the queue has fewer pages, its last page; both pages are checked equal to the OFFSET
pages, and the count to the plain count), timed as:

* selector + keyset: selectors.queue_listing(...) and selectors.queue_page(...) evaluated (the user loaded fresh
  each run, outside the timer, so the policy scope is computed inside it, as in a request);
* API request: GET /api/v1/appeals?queue=...&cursor=... through Django's test Client with a bearer token:
  the whole request, which also counts the queue (`count`);
* COUNT(*): the plain filter's count alone; API count: the count as the API makes it (count_capped).

The work queues hold open appeals only, a few thousand rows, so they have no page 1,000; the same queues
over every status (`status=` with every status: the dispatcher's and the handler's full history) do, and
are measured too. Targets: each page under 50 ms server time, page 1,000 / page 1 <= 1.5.

Rates (--cases rates): for community_worker and street_admin, the rates page as it opens (GET /appeals/rates/:
this month, by handler), the same page for this year, and GET /api/v1/appeal-rates without dates (every
appeal), each the whole request; the API's rows are checked equal to three_rates() over the plain filter.
Aim: well under 1 s.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _appeals_setup as setup  # noqa: E402

TARGET_MS = 50.0
TARGET_RATIO = 1.5
RATES_AIM_MS = 1000.0


# ---- in the child: the measurements ------------------------------------------------------------

def listing(user, name, status):
    """(queryset, branches) as the API pages a queue (selectors.queue_listing; before it, queue + queue_branches)."""
    from gongzhi.appeals import selectors

    if hasattr(selectors, "queue_listing"):
        return selectors.queue_listing(user, name, status=status)
    return selectors.queue(user, name, status=status), selectors.queue_branches(name, status)


def page_of(name, status, lqs, branches, cursor, limit):
    """A page as the API reads it (selectors.queue_page: a to-do most urgent first; before it, newest first)."""
    from gongzhi.appeals import selectors
    from gongzhi.core.pagination import keyset_page

    if hasattr(selectors, "queue_page"):
        return selectors.queue_page(name, lqs, branches, status=status or None, cursor=cursor, limit=limit)[0]
    return keyset_page(lqs, cursor=cursor, limit=limit, branches=branches)[0]


def in_queue_order(qs, name, status):
    """(the plain filter in the queue's order, the cursor after a row of it): the reference the pages are checked
    against, written without the tiers and branches the pages are read through."""
    from django.db.models import Case, IntegerField, Value, When

    from gongzhi.appeals import selectors
    from gongzhi.appeals.models import AppealKind
    from gongzhi.core.pagination import encode_cursor

    if not (hasattr(selectors, "by_urgency") and selectors.by_urgency(name, status or None)):
        return qs.order_by("-id"), lambda row: encode_cursor([row.pk])
    tier = Case(When(resolve_due__isnull=True, then=Value(2)), When(category__kind=AppealKind.EMERGENCY, then=Value(0)),
                default=Value(1), output_field=IntegerField())  # from the category: the flag is what is checked
    ordered = qs.annotate(bench_tier=tier).order_by("bench_tier", "resolve_due", "id")
    return ordered, lambda row: encode_cursor([row.bench_tier, row.resolve_due.isoformat() if row.resolve_due
                                               else None, row.pk])


def api_count(qs, branches, cap):
    """The list's `count` as the API makes it: (count, capped)."""
    from gongzhi.core import pagination

    if hasattr(pagination, "count_capped"):
        return pagination.count_capped(qs, cap, branches=branches)
    counted = qs.order_by()[:cap + 1].count()
    return min(counted, cap), counted > cap


QUEUE_CASES = [  # (queue, user, every status?, label, group)
    ("dispatch", "community_worker", False, "dispatch queue (open)", "work"),
    ("handle", "property1", False, "handler queue (open)", "work"),
    ("dispatch", "community_worker", True, "dispatch, every status", "history"),
    ("handle", "property1", True, "handle, every status", "history"),
    ("all", "community_worker", False, "all: community_worker", "all"),
    ("all", "street_admin", False, "all: street_admin", "all"),
    ("all", "grid_worker1", False, "all: grid_worker1", "all"),
    ("all", "property1", False, "all: property1", "all"),
    ("all", "resident1", False, "all: resident1", "all"),
]
RATES_USERS = ("community_worker", "street_admin")


def measure(args):
    from django.db import connection, reset_queries
    from django.test import Client

    from gongzhi.accounts.models import ApiToken, User
    from gongzhi.appeals import selectors
    from gongzhi.appeals.models import Status

    all_statuses = ",".join(Status.values)
    try:  # the API stops counting here (gongzhi/appeals/api.py); without a cap, it counts every row
        from gongzhi.appeals.api import COUNT_CAP as cap
    except ImportError:
        cap = float("inf")
    client = Client()
    groups = set(args.cases.split(","))
    cases = [c for c in QUEUE_CASES if c[4] in groups]
    tokens = {name: ApiToken.issue(User.objects.get(username=name), 2)[1]
              for name in {c[1] for c in cases} | set(RATES_USERS)}
    limit = args.limit
    out = []
    for name, username, every, label, group in cases:
        progress(f"{label} ...")
        status = all_statuses if every else ""
        user = User.objects.get(username=username)
        # The plain filter (selectors.queue): what every page and the count are checked against.
        qs = selectors.queue(user, name, status=status)
        rows_total = qs.count()
        pages = max(1, -(-rows_total // limit))
        deep = min(args.page, pages)
        ordered, cursor_after = in_queue_order(qs, name, status)
        cursor = last_before = None
        if deep > 1:
            last_before = ordered[(deep - 1) * limit - 1]
            cursor = cursor_after(last_before)
        for page, c in ((1, None), (deep, cursor)):
            # The keyset page must be the page an OFFSET over the plain filter would give.
            expect = list(ordered.values_list("id", flat=True)[(page - 1) * limit:page * limit])
            lqs, branches = listing(user, name, status)
            got = [a.pk for a in page_of(name, status, lqs, branches, c, limit)]
            assert got == expect, f"{label}: keyset page {page} differs from the offset page"
        assert api_count(*listing(user, name, status), cap) == (min(rows_total, cap), rows_total > cap)

        def selector_run(c):
            u = User.objects.get(username=username)  # fresh: the scope is computed inside the timer
            t0 = time.perf_counter()
            lqs, branches = listing(u, name, status)
            rows = page_of(name, status, lqs, branches, c, limit)
            elapsed = time.perf_counter() - t0
            assert rows
            return elapsed

        def api_run(c):
            params = {"queue": name, "limit": limit}
            if status:
                params["status"] = status
            if c:
                params["cursor"] = c
            t0 = time.perf_counter()
            r = client.get("/api/v1/appeals", params, HTTP_AUTHORIZATION=f"Bearer {tokens[username]}")
            elapsed = time.perf_counter() - t0
            assert r.status_code == 200, r.content[:300]
            body = json.loads(r.content)
            assert body["items"] and body["count"] == min(rows_total, cap), body.get("detail")
            assert body.get("count_capped", False) == (rows_total > cap)
            return elapsed

        def count_run(_c, capped=False):
            # The querysets are made (and the user's scope computed) before the timer: the count alone.
            u = User.objects.get(username=username)
            lqs, branches = listing(u, name, status) if capped else (selectors.queue(u, name, status=status), None)
            t0 = time.perf_counter()
            n = api_count(lqs, branches, cap)[0] if capped else lqs.count()
            elapsed = time.perf_counter() - t0
            assert n == (min(rows_total, cap) if capped else rows_total)
            return elapsed

        fns = {"selector": selector_run, "api": api_run, "count": count_run,
               "capped": lambda c: count_run(c, capped=True)}
        timings = {("selector", 1): [], ("selector", deep): [], ("api", 1): [], ("api", deep): [], ("count", 0): [],
                   ("capped", 0): []}
        runs = [("selector", 1, None), ("selector", deep, cursor), ("api", 1, None), ("api", deep, cursor),
                ("count", 0, None), ("capped", 0, None)]
        for fn_name, page, c in runs:  # warm-up: one of each
            fns[fn_name](c)
        started = time.perf_counter()
        for i in range(args.runs):
            # Interleaved, so that a change of machine load touches every figure alike.
            for fn_name, page, c in runs:
                timings[fn_name, page].append(fns[fn_name](c))
            if time.perf_counter() - started > args.budget and i >= 4:
                break
        if args.proposal and name != "all":
            proposal = measure_proposal(user, username, name, status, cursor, limit, args.runs)
        else:
            proposal = None
        reset_queries()
        plan = None
        if args.plans and not getattr(selectors, "by_urgency", lambda *a: False)(name, status or None):
            lqs, branches = listing(user, name, status)
            lqs = lqs.order_by("-id").filter(**({"id__lt": last_before.pk} if cursor else {}))
            plan = [line for b in (branches or [None])
                    for line in ([f"-- branch {b}"] if b is not None else [])
                    + explain(connection, (lqs.filter(b) if b is not None else lqs)[:limit + 1])]
        out.append({
            "label": label, "queue": name, "user": username, "group": group, "rows": rows_total, "pages": pages,
            "deep": deep, "runs": len(timings["count", 0]),
            "ms": {f"{k[0]}:{k[1]}": [round(1000 * v, 3) for v in vs] for k, vs in timings.items()},
            "plan": plan, "proposal": proposal,
        })
    rates = measure_rates(args, client, tokens) if "rates" in groups else []
    print(json.dumps({"cases": out, "rates": rates, "vendor": connection.vendor,
                      "cap": cap if cap != float("inf") else None}))


def progress(text):
    sys.stderr.write(json.dumps({"progress": text}) + "\n")
    sys.stderr.flush()


def measure_rates(args, client, tokens):
    """The three rates as the rates page (/appeals/rates/) and the API (/api/v1/appeal-rates) make them."""
    import datetime

    from django.test import Client
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.appeals import rates, selectors
    from gongzhi.appeals.models import Appeal
    from gongzhi.core.workdays import LOCAL, local_date

    today = local_date(timezone.now())
    year_start = today.replace(month=1, day=1)
    calls = [  # (label, page or api, query, first day counted)
        ("page, this month (default)", "page", {}, today.replace(day=1)),
        ("page, this year", "page", {"start": year_start.isoformat(), "end": today.isoformat()}, year_start),
        ("API, every appeal (no dates)", "api", {}, None),
    ]
    out = []
    for username in RATES_USERS:
        user = User.objects.get(username=username)
        # The reference: three_rates over the plain visibility filter, every period.
        progress(f"rates: {username}, the reference ...")
        expect = rates.three_rates(Appeal.objects.filter(pk__in=selectors.visible_appeals(user).values("pk")))
        page_client = Client()
        page_client.force_login(user)
        for label, kind, query, first_day in calls:
            progress(f"rates: {username}, {label} ...")

            def run():
                t0 = time.perf_counter()
                if kind == "page":
                    r = page_client.get("/appeals/rates/", query)
                else:
                    r = client.get("/api/v1/appeal-rates", query, HTTP_AUTHORIZATION=f"Bearer {tokens[username]}")
                elapsed = time.perf_counter() - t0
                assert r.status_code == 200, r.content[:300]
                return elapsed, r

            _elapsed, r = run()  # warm-up
            if kind == "api":
                got = json.loads(r.content)["rows"]
                assert [(x["key"], x["total"], x["response_rate"], x["resolution_rate"], x["satisfaction_rate"])
                        for x in got] == [(x["key"], x["total"], x["response_rate"], x["resolution_rate"],
                                           x["satisfaction_rate"]) for x in expect], "rates differ from the reference"
                counted = sum(x["total"] for x in got)
            else:  # the page's period: from its first day to the end of today, local time
                begin = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=LOCAL)
                counted = selectors.visible_appeals(user).filter(created_at__gte=begin).count()
            times = []
            started = time.perf_counter()
            for i in range(args.runs):
                times.append(round(1000 * run()[0], 3))
                if time.perf_counter() - started > args.budget and i >= 4:
                    break
            out.append({"user": username, "label": label, "rows": counted, "ms": times})
    return out


def merged_keyset_page(user, name, statuses, before, limit):
    """NOT the product's code: a proposal, measured beside it (--proposal).

    A keyset page over an IN list of statuses, depth-independent where an index gives each status's rows
    newest first: one query per status (at most limit + 1 ids, newest first), merged here, then the
    page's rows read by id. The handler queue has such an index, (handler, status, -id); the dispatch
    queue's (status, compound, -id) serves it on SQLite, but PostgreSQL also needs one in id order
    within a status (e.g. (status, -id)) to keep its deep pages short.
    """
    import heapq

    from gongzhi.accounts.policy import acting_org_ids, scoped
    from gongzhi.appeals.capability import APPEAL_DISPATCH
    from gongzhi.appeals.models import Appeal
    from gongzhi.appeals.selectors import LIST_RELATED

    if name == "dispatch":
        base = scoped(user, APPEAL_DISPATCH, Appeal.objects.all())
    else:
        base = Appeal.objects.filter(handler_id__in=acting_org_ids(user) or [0])
    lists = []
    for s in statuses:
        q = base.filter(status=s)
        if before:
            q = q.filter(id__lt=before)
        lists.append(list(q.order_by("-id").values_list("id", flat=True)[:limit + 1]))
    top = list(heapq.merge(*lists, reverse=True))[:limit + 1]
    return list(Appeal.objects.select_related(*LIST_RELATED).filter(id__in=top).order_by("-id"))


def measure_proposal(user, username, name, status, cursor, limit, runs):
    from gongzhi.accounts.models import User
    from gongzhi.appeals import selectors
    from gongzhi.core.pagination import decode_cursor, keyset_page

    statuses = status.split(",") if status else (selectors.DISPATCH_STATUSES if name == "dispatch"
                                                 else selectors.HANDLER_STATUSES)
    before = decode_cursor(cursor)[0] if cursor else None
    out = {}
    for page, b, c in ((1, None, None), ("deep", before, cursor)):
        expect = [a.pk for a in keyset_page(selectors.queue(user, name, status=status), cursor=c, limit=limit)[0]]
        got = [a.pk for a in merged_keyset_page(user, name, statuses, b, limit)][:limit]
        assert got == expect, "the proposal must give the same page"
        times = []
        for i in range(runs + 1):
            u = User.objects.get(username=username)
            t0 = time.perf_counter()
            merged_keyset_page(u, name, statuses, b, limit)
            if i:
                times.append(round(1000 * (time.perf_counter() - t0), 3))
        out[str(page)] = times
    return out


def explain(connection, qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [r[-1] for r in cur.fetchall()]
        cur.execute("EXPLAIN " + sql, params)
        return [r[0] for r in cur.fetchall()]


# ---- the parent ---------------------------------------------------------------------------------

def med(values):
    return statistics.median(values) if values else float("nan")


def report(args, results):
    print()
    print(f"Queue benchmark: {args.count:,} appeals; limit {args.limit}; server time in ms, median of the runs "
          f"[slowest]; page {args.page:,} or, when the queue is shorter, its last page.")
    print(f"Machine: {setup.machine()}")
    head = (f"{'database':<11}{'queue':<25}{'rows':>10}{'page':>7}{'selector+keyset':>22}{'API request':>22}"
            f"{'COUNT(*)':>16}{'API count':>14}  verdict")
    line = "-" * (len(head) + 20)
    met = {}  # case group -> every target met
    if any(r["cases"] for r in results):
        print(line)
        print(head)
        print(line)
    for r in results:
        for case in r["cases"]:
            ms = case["ms"]
            ok_case = True
            for page in (1, case["deep"]):
                sel, api = ms[f"selector:{page}"], ms[f"api:{page}"]
                ok = med(sel) < TARGET_MS and med(api) < TARGET_MS
                page_label = f"{page:,}" + ("*" if page > 1 and page < args.page else "")
                count = f"{med(ms['count:0']):.1f} [{max(ms['count:0']):.1f}]" if page == 1 else ""
                capped = f"{med(ms['capped:0']):.1f} [{max(ms['capped:0']):.1f}]" if page == 1 else ""
                print(f"{r['label'] if page == 1 and case is r['cases'][0] else '':<11}"
                      f"{case['label'] if page == 1 else '':<25}{case['rows'] if page == 1 else '':>10}"
                      f"{page_label:>7}{med(sel):>13.1f} [{max(sel):>6.1f}]{med(api):>13.1f} [{max(api):>6.1f}]"
                      f"{count:>16}{capped:>14}  {'< 50 ms' if ok else 'OVER 50 ms'}")
                ok_case &= ok
            if case["deep"] > 1:
                rs = med(ms[f"selector:{case['deep']}"]) / med(ms["selector:1"])
                ra = med(ms[f"api:{case['deep']}"]) / med(ms["api:1"])
                ok = rs <= TARGET_RATIO and ra <= TARGET_RATIO
                print(f"{'':<11}{'':<25}{'':>10}{'ratio':>7}{rs:>22.2f}{ra:>22.2f}{'':>30}  "
                      f"{'<= 1.5' if ok else 'OVER 1.5'}")
                ok_case &= ok
            met[case["group"]] = met.get(case["group"], True) and ok_case
        if r["cases"]:
            print(line)
    if met:
        print("* the queue's last page (it has fewer than 1,000 pages).")
        cap = next((r["cap"] for r in results if r.get("cap")), None)
        print("'API request' includes the response's `count`. 'COUNT(*)': counting every row of the queue alone "
              "(the plain filter); " + (f"'API count': the count as the API makes it, stopping at {cap:,} rows "
                                        "(`count_capped`)." if cap else "'API count': the same (this API counts "
                                                                       "every row)."))
    if any(c.get("proposal") for r in results for c in r["cases"]):
        print()
        print("Proposal, NOT the product's code (--proposal): the same pages from one query per status "
              "(newest first, at most limit + 1 ids),")
        print("merged, then the page's rows read by id (merged_keyset_page). Same rows; ms, median [slowest]:")
        for r in results:
            for case in r["cases"]:
                p = case["proposal"]
                if not p:
                    continue
                ratio = med(p["deep"]) / med(p["1"])
                print(f"  {r['label']:<11}{case['label']:<25} page 1 {med(p['1']):>7.1f} [{max(p['1']):>6.1f}]   "
                      f"page {case['deep']:,} {med(p['deep']):>7.1f} [{max(p['deep']):>6.1f}]   ratio {ratio:.2f}")
    for r in results:
        for case in r["cases"]:
            if case.get("plan"):
                print(f"\n{r['label']} · {case['label']} · page {case['deep']:,}, query plan:")
                for p in case["plan"]:
                    print("   ", p)
    if any(r.get("rates") for r in results):
        print()
        print(f"Rates (三率, by handler): the whole request, ms, median of the runs [slowest]; "
              f"aim: well under {RATES_AIM_MS / 1000:.0f} s.")
        rhead = f"{'database':<11}{'user':<18}{'call':<32}{'appeals':>10}{'ms':>20}  verdict"
        print("-" * len(rhead))
        print(rhead)
        print("-" * len(rhead))
        for r in results:
            for i, x in enumerate(r.get("rates") or []):
                ok = med(x["ms"]) < RATES_AIM_MS
                met["rates"] = met.get("rates", True) and ok
                print(f"{r['label'] if i == 0 else '':<11}{x['user']:<18}{x['label']:<32}{x['rows']:>10,}"
                      f"{med(x['ms']):>11.1f} [{max(x['ms']):>6.1f}]  {'< 1 s' if ok else 'OVER 1 s'}")
            if r.get("rates"):
                print("-" * len(rhead))
    print()
    names = {"work": "work queues (open appeals)", "history": "the work queues over every status",
             "all": "queue=all", "rates": "rates (< 1 s)"}
    print("Targets: " + "; ".join(f"{names[g]} {'met' if ok else 'NOT met'}" for g, ok in met.items()) + ".")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--count", type=int, default=setup.MILLION, help="appeals in the data set (default 1,000,000)")
    parser.add_argument("--limit", type=int, default=50, help="page size (the API's default, 50)")
    parser.add_argument("--page", type=int, default=1000, help="the deep page (default 1,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each figure (median reported)")
    parser.add_argument("--budget", type=float, default=60, help="stop a queue's runs after this many seconds")
    parser.add_argument("--plans", action="store_true", help="print the query plan of each deep page")
    parser.add_argument("--cases", default="work,history,all,rates",
                        help="which to measure, comma-separated: work (the open work queues), history (the same "
                             "over every status), all (queue=all for five users), rates (default: every one)")
    parser.add_argument("--proposal", action="store_true",
                        help="also time a proposed depth-independent keyset (per-status scans, merged; not the "
                             "product's code) on the same pages")
    parser.add_argument("--data-dir", default=str(setup.MILLION_DIR), help="where the 1M data sets live")
    parser.add_argument("--keep", action="store_true",
                        help="keep the 1M data sets (e.g. for appeal_similar_bench.py, which reuses them)")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        return measure(args)
    child = ["--limit", str(args.limit), "--page", str(args.page), "--runs", str(args.runs),
             "--budget", str(args.budget), "--cases", args.cases]
    child += (["--plans"] if args.plans else []) + (["--proposal"] if args.proposal else [])
    results = setup.measure_on_million("Queue benchmark", __file__, child, args)
    report(args, results)


if __name__ == "__main__":
    main()
