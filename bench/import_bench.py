"""Import benchmark: households and residents from .xlsx.

    .venv/bin/python bench/import_bench.py            (or: make bench)

Sets up a throwaway SQLite database in a temporary directory, creates a grid
(one sub-district, one community, ten compounds), generates two files in the
import template — 10,000 households / 30,000 residents and 30,000 households /
90,000 residents — and measures, each in a fresh subprocess:

1. openpyxl merely reading the 10k file (read-only mode, every row);
2. the full import of the same file (the product's own code path: an
   ImportJob run by `jobs.import_run`, committed), giving rows per second
   and the ratio import / read (target: at most 3x);
3. peak memory (max RSS of the subprocess) importing the 10k file and the 30k
   file, and their ratio (target: at most 1.5x: the file is streamed, not
   held whole). The tracemalloc peak of the Python heap is reported too.

See bench/README.md for what each figure means.
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READ_TARGET = 3.0
MEMORY_TARGET = 1.5
COMPOUNDS = 10
HOUSEHOLDS_PER_BUILDING = 60


def setup_django(var_dir, db_path=None):
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    if db_path is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


# ---- the data -----------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆鑫晨瑶欣怡子涵梓萱"


def id_number(i, rng):
    from gongzhi.core.identity import id_check_digit
    import datetime

    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=i // 400)
    first17 = f"441481{born:%Y%m%d}{i % 400 + 100:03d}"[:17]
    return first17 + id_check_digit(first17)


def generate(path, households, per_household=3, seed=2026):
    """A template file written row by row (openpyxl write-only mode, as Gongzhi's export writes it)."""
    import openpyxl

    from gongzhi.people.imports.template import HEADERS

    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append(HEADERS)
    relations = ["户主", "配偶", "子女", "父母", "孙子女"]
    serial = 0
    for h in range(households):
        compound = f"K{h % COMPOUNDS + 1:02d}"
        n_in_compound = h // COMPOUNDS
        building = str(n_in_compound // HOUSEHOLDS_PER_BUILDING + 1)
        room = f"{(n_in_compound % HOUSEHOLDS_PER_BUILDING) // 4 + 1}{n_in_compound % 4 + 1:02d}"
        address = f"宁江新城{compound}{building}栋{room}"
        area = round(rng.uniform(45, 160), 2)
        tenure = "业主自住" if rng.random() < 0.8 else "租户"
        for k in range(per_household):
            serial += 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            phone = f"13{rng.randrange(10**9):09d}" if rng.random() < 0.9 else ""
            tags = "独居老人" if rng.random() < 0.05 else ""
            ws.append([compound, building, room, address, area, tenure, name, id_number(serial, rng), phone,
                       relations[min(k, len(relations) - 1)], tags, ""])
    wb.save(path)
    return households * per_household


_INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>')
_SST_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SST_CONTENT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def to_shared_strings(src, dst, rows):
    """The same workbook as Excel saves it: text in a shared-string table, and a <dimension> element.

    openpyxl's write-only mode (Gongzhi's export, and the generator above) writes text inline in each
    cell; Excel, WPS and LibreOffice write a shared-string table instead, which openpyxl loads whole
    when it opens the file. The bench measures both.
    """
    table = {}

    def shared(match):
        index = table.setdefault(match.group(3), len(table))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2) or b"", index)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zin.open(item) as f, zout.open(item.filename, "w") as out:
                    rest, first = b"", True
                    while chunk := f.read(1 << 20):
                        data = rest + chunk
                        cut = data.rfind(b"</row>") + len(b"</row>") if b"</row>" in data else 0
                        head, rest = data[:cut], data[cut:]
                        if first and head:
                            head = head.replace(b"</sheetPr>", b'</sheetPr><dimension ref="A1:L%d"/>' % (rows + 1), 1)
                            first = False
                        out.write(_INLINE.sub(shared, head))
                    out.write(_INLINE.sub(shared, rest))
            elif item.filename == "[Content_Types].xml":
                xml = zin.read(item).replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                             + _SST_CONTENT + b'" /></Types>')
                zout.writestr(item.filename, xml)
            elif item.filename == "xl/_rels/workbook.xml.rels":
                xml = zin.read(item).replace(b"</Relationships>", b'<Relationship Type="' + _SST_TYPE
                                             + b'" Target="sharedStrings.xml" Id="rIdSST" /></Relationships>')
                zout.writestr(item.filename, xml)
            else:
                zout.writestr(item, zin.read(item))
        with zout.open("xl/sharedStrings.xml", "w") as out:
            out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" '
                      b'uniqueCount="%d">' % (len(table), len(table)))
            for text in table:
                out.write(b'<si><t xml:space="preserve">%s</t></si>' % text)
            out.write(b"</sst>")
    return len(table)


def prepare_database(var_dir):
    """Migrate, then the grid the files refer to, one importing user and the tags."""
    setup_django(var_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.grid.models import Community, Compound, Subdistrict
    from gongzhi.people.models import Tag

    s = Subdistrict.objects.create(code="S01", name="福兴街道")
    c = Community.objects.create(subdistrict=s, code="C01", name="新城社区")
    for i in range(1, COMPOUNDS + 1):
        Compound.objects.create(community=c, code=f"K{i:02d}", name=f"宁江新城{i}期")
    Tag.objects.create(code="elderly_alone", name="独居老人")
    Tag.objects.create(code="dibao", name="低保户", sensitive=True)
    user = User.objects.create_user(username="bench_worker", password="Bench@2026pass")
    ra = RoleAssignment(user=user, role=Role.COMMUNITY_WORKER)
    ra.set_node(c)
    ra.save()
    from django.db import connection

    connection.close()


# ---- measurements, each in a fresh process ------------------------------------------------------


def peak_rss_kb():
    """Peak resident set size of this process in KB (getrusage; see the note in bench/README.md)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def vm_hwm_kb():
    """The same from /proc (Linux), as a cross-check; None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def child(op, path, var_dir, db_path, use_tracemalloc, households=0, per_household=3, seed=0):
    if op == "prepare":
        prepare_database(var_dir)
        return
    if op == "generate":
        setup_django(var_dir)
        rows = generate(path, households, per_household, seed)
        strings = to_shared_strings(path, str(path).replace(".xlsx", "-excel.xlsx"), rows)
        print(json.dumps({"rows": rows, "shared_strings": strings}))
        return
    setup_django(var_dir, db_path)
    import gc

    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    baseline_rss = peak_rss_kb()
    out = {"op": op}
    if op == "read":
        import openpyxl

        t0, c0 = time.perf_counter(), time.process_time()
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = 0
        for _row in wb.worksheets[0].iter_rows(values_only=True):
            rows += 1
        wb.close()
        out["seconds"], out["cpu"] = time.perf_counter() - t0, time.process_time() - c0
        out["rows"] = rows - 1
    else:
        from django.db import connection

        from gongzhi.accounts.models import User
        from gongzhi.people.imports import jobs
        from gongzhi.people.models import ImportJob, Resident

        user = User.objects.get(username="bench_worker")
        # The product keeps uploads under VAR_DIR/imports and removes them when done: work on a copy.
        stored = jobs.imports_dir() / f"bench-{os.getpid()}.xlsx"
        shutil.copyfile(path, stored)
        job = ImportJob.objects.create(user=user, file_name=Path(path).name, file_path=str(stored),
                                       dry_run=(op == "dry_run"))
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        status = jobs.import_run(job.pk)
        out["seconds"], out["cpu"] = time.perf_counter() - t0, time.process_time() - c0
        job.refresh_from_db()
        out["status"] = str(status)
        out["errors"] = job.errors[:3]
        out["rows"] = job.rows_done
        out["residents_in_db"] = Resident.objects.count()
        out["residents_created"] = job.residents_created
        connection.close()
    out["max_rss_kb"] = peak_rss_kb()
    out["vm_hwm_kb"] = vm_hwm_kb()
    out["baseline_rss_kb"] = baseline_rss
    if use_tracemalloc:
        import tracemalloc

        out["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps(out))


def run_child(*extra):
    proc = subprocess.run([sys.executable, __file__, *extra], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench step {extra[:2]} failed")
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def measure(op, path, work, base_db, tracemalloc_=False):
    db_path = work / f"run-{op}-{time.monotonic_ns()}.sqlite3"
    if op != "read":
        shutil.copyfile(base_db, db_path)
    result = run_child("--child", op, "--file", str(path), "--var-dir", str(work), "--db", str(db_path),
                       *(["--tracemalloc"] if tracemalloc_ else []))
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    if op != "read" and result.get("status") != ("checked" if op == "dry_run" else "done"):
        raise SystemExit(f"import of {path.name} did not complete: {result}")
    return result


def mb(kb):
    return kb / 1024


def suite(small, big, work, base_db, repeat, with_tracemalloc, label):
    """Every figure for one kind of file: timings on the small file, memory on both."""
    reads, imports_ = [], []
    for i in range(repeat):
        reads.append(measure("read", small, work, base_db))
        imports_.append(measure("import", small, work, base_db))
        print(f"  {label}, run {i + 1}: read {reads[-1]['seconds']:.2f} s (CPU {reads[-1]['cpu']:.2f} s), "
              f"import {imports_[-1]['seconds']:.2f} s (CPU {imports_[-1]['cpu']:.2f} s)")
    big_import = measure("import", big, work, base_db)
    dry = measure("dry_run", small, work, base_db)
    rows = imports_[0]["rows"]
    assert all(r["rows"] == rows for r in reads + imports_), "every run read every row"
    assert all(r["residents_created"] == rows for r in imports_), "every run imported every resident"
    fig = {
        "rows": rows,
        "read": statistics.median(r["seconds"] for r in reads),
        "import": statistics.median(r["seconds"] for r in imports_),
        "dry": dry["seconds"],
        "read_cpu": statistics.median(r["cpu"] for r in reads),
        "import_cpu": statistics.median(r["cpu"] for r in imports_),
        "rss_small": statistics.median(r["max_rss_kb"] for r in imports_),
        "rss_big": big_import["max_rss_kb"],
        "hwm_small": statistics.median(r["vm_hwm_kb"] or 0 for r in imports_),
        "hwm_big": big_import["vm_hwm_kb"] or 0,
        "base_small": statistics.median(r["baseline_rss_kb"] for r in imports_),
        "base_big": big_import["baseline_rss_kb"],
        "big_rows": big_import["rows"],
    }
    fig["ratio"] = fig["import"] / fig["read"]
    fig["cpu_ratio"] = fig["import_cpu"] / fig["read_cpu"]
    fig["mem_ratio"] = fig["rss_big"] / fig["rss_small"]
    if with_tracemalloc:
        fig["tm_small"] = measure("import", small, work, base_db, tracemalloc_=True)["tracemalloc_peak"]
        fig["tm_big"] = measure("import", big, work, base_db, tracemalloc_=True)["tracemalloc_peak"]
    return fig


def short(n):
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def verdict(value, target):
    return "MET" if value <= target else "NOT MET"


def report(args, figures):
    cols = list(figures)
    first = figures[cols[0]]
    width = 58
    line = "-" * (width + 22 * len(cols))

    def row(label, fmt):
        print(f"{label:<{width}}" + "".join(f"{fmt(figures[c]):>22}" for c in cols))

    print()
    print(f"Import benchmark: {args.households:,} households / {first['rows']:,} residents from .xlsx; "
          f"memory vs {args.big:,} / {first['big_rows']:,}. Median of {args.repeat} runs, SQLite.")
    print(line)
    print(f"{'':<{width}}" + "".join(f"{c:>22}" for c in cols))
    row(f"openpyxl merely reading the {args.households:,}-household file", lambda f: f"{f['read']:.2f} s")
    row("full import of the same file (committed)", lambda f: f"{f['import']:.2f} s")
    row("  rows (residents) per second", lambda f: f"{f['rows'] / f['import']:,.0f}")
    row("  dry run of the same file (rolled back)", lambda f: f"{f['dry']:.2f} s")
    row(f"ratio import / read (target <= {READ_TARGET:.0f}x)",
        lambda f: f"{f['ratio']:.2f}x {verdict(f['ratio'], READ_TARGET)}")
    row("  the same in CPU time (read / import / ratio)",
        lambda f: f"{f['read_cpu']:.2f}/{f['import_cpu']:.2f}/{f['cpu_ratio']:.2f}x")
    print(line)
    row(f"peak RSS importing {args.households:,} households", lambda f: f"{mb(f['rss_small']):.1f} MB")
    row(f"peak RSS importing {args.big:,} households", lambda f: f"{mb(f['rss_big']):.1f} MB")
    row(f"ratio (target <= {MEMORY_TARGET:.1f}x)",
        lambda f: f"{f['mem_ratio']:.2f}x {verdict(f['mem_ratio'], MEMORY_TARGET)}")
    row("  RSS after start-up, before the import", lambda f: f"{mb(f['base_small']):.1f} MB")
    sizes = f"{short(args.households)} / {short(args.big)}"
    row(f"  growth during the import, {sizes}",
        lambda f: f"{mb(f['rss_small'] - f['base_small']):.1f} / {mb(f['rss_big'] - f['base_big']):.1f} MB")
    row(f"  /proc VmHWM cross-check, {sizes}", lambda f: f"{mb(f['hwm_small']):.0f} / {mb(f['hwm_big']):.0f} MB")
    if any("tm_small" in f for f in figures.values()):
        row(f"tracemalloc peak (Python heap), {sizes}",
            lambda f: f"{f['tm_small'] / 2**20:.1f} / {f['tm_big'] / 2**20:.1f} MB" if "tm_small" in f else "-")
        row("  ratio", lambda f: f"{f['tm_big'] / f['tm_small']:.2f}x" if "tm_small" in f else "-")
    print(line)
    met = all(f["ratio"] <= READ_TARGET and f["mem_ratio"] <= MEMORY_TARGET for f in figures.values())
    print("All targets met." if met else "Some targets NOT met (see above).")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=30_000, help="households in the file for the memory comparison")
    parser.add_argument("--per-household", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs of each kind (the median is reported)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the (slow) tracemalloc runs")
    parser.add_argument("--inline-only", action="store_true", help="skip the Excel-style (shared strings) files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--var-dir")
    parser.add_argument("--db")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.file, args.var_dir, args.db, args.tracemalloc,
                     args.households, args.per_household, args.seed)

    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-"))
    try:
        print(f"Working in {work} (a throwaway SQLite database; removed afterwards unless --keep)")
        # Set-up and generation run in their own processes too, so that this one stays small: on Linux a
        # child's getrusage() peak includes the RSS its parent had when it was started.
        run_child("--child", "prepare", "--var-dir", str(work))
        base_db = work / "gongzhi.sqlite3"
        files = {}
        t0 = time.perf_counter()
        for n, seed in ((args.households, 2026), (args.big, 2027)):
            path = work / f"households-{n}.xlsx"
            out = run_child("--child", "generate", "--file", str(path), "--var-dir", str(work),
                            "--households", str(n), "--per-household", str(args.per_household), "--seed", str(seed))
            excel = Path(str(path).replace(".xlsx", "-excel.xlsx"))
            files[n] = (path, excel)
            print(f"Generated {n:,} households / {out['rows']:,} residents: {path.name} "
                  f"({path.stat().st_size / 1e6:.1f} MB, inline strings) and {excel.name} "
                  f"({excel.stat().st_size / 1e6:.1f} MB, {out['shared_strings']:,} shared strings)")
        print(f"  in {time.perf_counter() - t0:.1f} s")
        figures = {}
        figures["Gongzhi export"] = suite(files[args.households][0], files[args.big][0], work, base_db,
                                          args.repeat, not args.no_tracemalloc, "inline strings")
        if not args.inline_only:
            figures["Excel-style"] = suite(files[args.households][1], files[args.big][1], work, base_db,
                                           args.repeat, not args.no_tracemalloc, "shared strings")
        report(args, figures)
    finally:
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
