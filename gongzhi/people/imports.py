"""Import of households and residents from the one documented template (.xlsx or .csv).

The template (docs/import-template.md) has one row per resident; a household
without residents is a row whose resident columns are empty. Households are
keyed by (小区编码, 楼栋编码, 房号); residents by ID number (through the keyed
hash), else — when the ID cell is empty or masked — within their household by
name or by the masked ID.

One pass, streamed, all or nothing
----------------------------------
Rows are read one at a time (openpyxl read-only mode, or the csv module) and
handled in batches of IMPORT_BATCH_SIZE rows. The whole run is one database
transaction: each batch is validated, looked up with one query per kind of
record, and its rows are written at once (one multi-row insert per model for
new records — see BulkInsert — and bulk_update for changed ones).
Every row is validated, even after the first bad one, so the report counts
every bad row (and lists the first IMPORT_MAX_ERRORS). At the end the transaction is rolled back when any row was bad
or when this is a dry run, so nothing is ever half written and a dry run
writes nothing — while the file is never held in memory.

Duplicates inside one file are found without remembering every ID number:
each household and resident this import touches is stamped with
`last_import` (this job) and `last_import_row`. A later row that finds a
resident already stamped by this job is a duplicate of the stamped row. The
stamps live in the same transaction, so they vanish with a rolled-back run.

Cells: an empty cell never erases a stored value (empty = unchanged; to clear
a value use the resident or household page), except 关注标签 where "无" removes
the tags. A masked ID number or phone (as exported to a user who may not see
them in clear) means "unchanged" too. Leading apostrophes added by the export
against formula injection are removed again.

Audit: one AuditAction.IMPORT entry per run, real or dry, with the file, the
rows read and the errors found (and the counts it made or would make). There
are no per-row entries: an import of 30,000 rows would bury the log, and the
rows are traceable through `last_import` / `last_import_row`.

Bounded, whatever the file
--------------------------
An .xlsx is a zip archive, checked before any of its XML is parsed
(check_archive): the number of parts, read from the archive's end record
before zipfile reads its directory; their names; what they unpack to, in all
and as a ratio per part and overall (declared sizes bind: zipfile never
inflates a part past its declared size); and, streaming through the parts,
no DTD (entity expansion) and at most IMPORT_MAX_SHARED_STRINGS shared
texts, the one table the reader loads whole. A refusal says which limit and
why. Then everything derived from the file is bounded: MAX_COLUMNS header
columns, CELL_KEEP characters per cell, CSV_MAX_LINE characters per CSV
line, IMPORT_MAX_ROWS rows; an error quotes at most QUOTE_CHARS characters of
the file (quote()); the job keeps the first IMPORT_MAX_ERRORS errors and
counts the rest (ImportJob.error_count). Cells holding text that cannot be
stored (gongzhi.core.text) are row errors.
"""
import codecs
import csv
import datetime
import logging
import operator
import os
import re
import struct
import types
import uuid
import zipfile
import zlib
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F
from django.db.utils import load_backend
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import A, can, require
from gongzhi.core.audit import audit
from gongzhi.core.crypto import lookup_hash
from gongzhi.core.identity import birth_date_from_id, gender_from_id, validate_id_number, validate_mobile
from gongzhi.core.models import AuditAction
from gongzhi.core.text import shown, text_problem
from gongzhi.grid.models import Building, Compound, Household, Tenure

from .models import ImportJob, ImportStatus, Relation, Resident, Tag

logger = logging.getLogger(__name__)

# ---- the template -------------------------------------------------------------------------------

# (key, header). The headers are the file format: fixed Chinese text, not translated.
COLUMNS = (
    ("compound", "小区编码"),
    ("building", "楼栋编码"),
    ("room", "房号"),
    ("address", "地址"),
    ("area", "专有面积(㎡)"),
    ("tenure", "产权状态"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("phone", "手机号"),
    ("relation", "与户主关系"),
    ("tags", "关注标签"),
    ("note", "备注"),
)
HEADERS = [h for _k, h in COLUMNS]
HEADER = dict(COLUMNS)

# Cell values of the choice columns. The Chinese labels are the template; the codes are accepted too.
TENURE_LABELS = {Tenure.OWNER: "业主自住", Tenure.TENANT: "租户", Tenure.VACANT: "空置"}
RELATION_LABELS = {
    Relation.HEAD: "户主", Relation.SPOUSE: "配偶", Relation.CHILD: "子女", Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女", Relation.GRANDPARENT: "祖父母", Relation.SIBLING: "兄弟姐妹",
    Relation.TENANT: "租客", Relation.OTHER: "其他",
}
_TENURE_BY_CELL = {**{v: k for k, v in TENURE_LABELS.items()}, **{str(k): k for k in TENURE_LABELS}}
_RELATION_BY_CELL = {**{v: k for k, v in RELATION_LABELS.items()}, **{str(k): k for k in RELATION_LABELS}}
NO_TAGS = "无"
_TAG_SPLIT = re.compile(r"[、,，;；/\s]+")
# Cells starting with these are formulas to a spreadsheet (OWASP "CSV injection"); the export prefixes "'".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")

MAX_LEN = {"compound": 32, "building": 32, "room": 32, "address": 200, "name": 50, "note": 500}


def _norm_header(value):
    v = "" if value is None else str(value)
    v = re.sub(r"\s+", "", v).replace("（", "(").replace("）", ")")
    for alias in ("m²", "m2", "平方米", "平米"):
        v = v.replace(alias, "㎡")
    return v


_HEADER_KEYS = {_norm_header(h): k for k, h in COLUMNS}


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, wrong columns): one message."""


def batch_size():
    return max(1, int(getattr(settings, "IMPORT_BATCH_SIZE", 1000)))


def _setting(name, default):
    return max(1, int(getattr(settings, name, default)))


def max_bytes():
    return _setting("IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def max_rows():
    return _setting("IMPORT_MAX_ROWS", 200_000)


def max_errors():
    return _setting("IMPORT_MAX_ERRORS", 500)


# Fixed bounds on what is read from a file (see the module docstring).
MAX_COLUMNS = 64       # header columns read; the template has 12
CELL_KEEP = 1000       # characters kept of a cell: past every column's limit (备注: 500), so still refused
CSV_MAX_LINE = 65536   # characters in one line of a CSV file
QUOTE_CHARS = 30       # characters of the file quoted in an error message
RATIO_FROM = 1 << 20   # a part's ratio is judged once it unpacks past 1 MB: small parts of real files compress oddly


def quote(text):
    """Text from the file, fit for an error message: at most QUOTE_CHARS characters, then "…"."""
    text = shown(str(text))
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---- reading files ------------------------------------------------------------------------------

KINDS = {".xlsx": "xlsx", ".csv": "csv"}


def _human_mb(n):
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def check_upload(upload):
    """Cheap checks before anything is stored or parsed; returns 'xlsx' or 'csv'."""
    name = getattr(upload, "name", "") or ""
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise ValidationError({"file": _("只能导入 .xlsx 或 .csv 文件")})
    size = upload.size or 0
    if size > max_bytes():
        raise ValidationError({"file": _("文件过大（%(size)s MB），上限为 %(max)s MB，请拆分后分批导入")
                               % {"size": _human_mb(size), "max": _human_mb(max_bytes())}})
    if size == 0:
        raise ValidationError({"file": _("文件是空的")})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if kind == "xlsx":
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ValidationError({"file": _("不是有效的 Excel 文件：不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx")})
        if not head.startswith(b"PK\x03\x04"):
            raise ValidationError({"file": _("不是有效的 Excel 文件（.xlsx）")})
        try:
            check_archive(upload, scan=False)  # the directory only: the parts are read by the worker
        except ImportFileError as e:
            raise ValidationError({"file": str(e)})
        finally:
            upload.seek(0)
    return kind


# ---- the archive, before any XML is parsed ------------------------------------------------------

_END = b"PK\x05\x06"        # end of central directory record
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
# A shared text (<si>, with or without a namespace prefix), and a DTD, which no Excel part has.
_SHARED_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


def _declared_directory(f):
    """(parts, directory bytes) as the archive's end record declares them, read before zipfile parses the
    directory (it holds a record of every part in memory); None when there is no end record."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - (22 + 0xFFFF + 20)))  # the record, its comment and the zip64 locator before it
    tail = f.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) < at + 22:
        return None
    count, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    if (count == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == _END64_LOCATOR:
        f.seek(struct.unpack("<Q", tail[at - 12:at - 4])[0])
        record = f.read(56)
        if len(record) == 56 and record[:4] == _END64:
            count, directory = struct.unpack("<QQ", record[32:48])
    return count, directory


def _mb(n):
    return _human_mb(n) if n >= 1024 * 1024 else f"{n / (1024 * 1024):.2f}"


def _refused(reason):
    return ImportFileError(_("不能导入：%(reason)s。请用 Excel 重新另存为 .xlsx，或拆分后分批导入。") % {"reason": reason})


def check_archive(source, scan=True):
    """Refuse an .xlsx (a path or an open file) whose archive passes a limit, before any XML is parsed.

    scan=False checks the directory only (cheap: the upload itself); scan=True also streams through every
    part, refusing a DTD and a shared-string table past IMPORT_MAX_SHARED_STRINGS texts.
    """
    max_entries, max_ratio = _setting("IMPORT_MAX_ENTRIES", 1000), _setting("IMPORT_MAX_RATIO", 100)
    max_unpacked = _setting("IMPORT_MAX_UNPACKED_BYTES", 150 * 1024 * 1024)
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    try:
        declared = _declared_directory(handle)
        if declared is None:
            raise _not_excel()
        if declared[0] > max_entries:
            raise _refused(_("文件由%(n)s个部件组成，上限为%(max)s个（Excel 文件通常只有十几个）")
                           % {"n": declared[0], "max": max_entries})
        if declared[1] > max_entries * 1024:  # a part's record is some 60 bytes plus its name
            raise _refused(_("文件的部件目录有%(size)s KB，上限为%(max)s KB")
                           % {"size": declared[1] // 1024, "max": max_entries})
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise _not_excel()
        with archive:
            infos = archive.infolist()
            _check_directory(infos, max_entries, max_ratio, max_unpacked)
            if scan:
                _scan_parts(archive, infos)
    finally:
        if handle is not source:
            handle.close()


def _check_directory(infos, max_entries, max_ratio, max_unpacked):
    if len(infos) > max_entries:  # the directory may hold more records than the end record declares
        raise _refused(_("文件由%(n)s个部件组成，上限为%(max)s个（Excel 文件通常只有十几个）")
                       % {"n": len(infos), "max": max_entries})
    names, unpacked, packed = set(), 0, 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (not name or len(name) > 255 or name in names or name.startswith(("/", "\\")) or ".." in parts
                or text_problem(name) is not None):
            raise _refused(_("文件中有无效或重复的部件名“%(name)s”") % {"name": quote(name)})
        names.add(name)
        unpacked += info.file_size
        packed += info.compress_size
        if info.file_size > RATIO_FROM and info.file_size > max_ratio * max(info.compress_size, 1):
            raise _refused(_("文件中的“%(name)s”压缩比为%(ratio)s倍，上限为%(max)s倍（疑似压缩炸弹）")
                           % {"name": quote(name), "ratio": info.file_size // max(info.compress_size, 1),
                              "max": max_ratio})
    if unpacked > max_unpacked:
        raise _refused(_("文件解压后共%(size)s MB，上限为%(max)s MB") % {"size": _mb(unpacked), "max": _mb(max_unpacked)})
    if unpacked > RATIO_FROM and unpacked > max_ratio * max(packed, 1):
        raise _refused(_("文件整体压缩比为%(ratio)s倍，上限为%(max)s倍（疑似压缩炸弹）")
                       % {"ratio": unpacked // max(packed, 1), "max": max_ratio})
    if "[Content_Types].xml" not in names:
        raise _not_excel()


def _scan_parts(archive, infos):
    """Stream through every part: no DTD, and no more shared texts than the reader may load."""
    limit = _setting("IMPORT_MAX_SHARED_STRINGS", 1_000_000)
    shared = 0
    try:
        for info in infos:
            shared += _scan_part(archive, info)
            if shared > limit:
                raise _refused(_("文件的共享文本表超过%(max)s条") % {"max": limit})
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        raise _not_excel()  # corrupt, encrypted, or compressed in a way Excel does not use


def _scan_part(archive, info):
    """The shared texts in one part, read a megabyte at a time; ImportFileError for a DTD."""
    count, tail = 0, b""  # tail: the end of the last chunk, read again with the next so no tag is cut in two
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            data = tail + chunk
            if _DTD.search(data):
                raise _refused(_("文件中的“%(name)s”含有 XML 实体声明（DTD），Excel 保存的文件不会有")
                               % {"name": quote(info.filename)})
            tail = data[-64:]
            count += len(_SHARED_TEXT.findall(data)) - len(_SHARED_TEXT.findall(tail))
    return count + len(_SHARED_TEXT.findall(tail))


class Table:
    """The header row, an iterator of (row number, values) for the data rows, and an estimate of their number."""

    def __init__(self, header, rows, estimate):
        self.header = header
        self.rows = rows
        self.estimate = estimate


def _not_excel():
    return ImportFileError(_("不是有效的 Excel 文件（.xlsx）"))


def _count_xml_rows(path, sheet_path):
    """Rows in a sheet whose XML carries no <dimension>: count the row tags while decompressing."""
    count, tail = 0, b""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(sheet_path) as f:
            while chunk := f.read(1 << 20):
                data = tail + chunk
                count += data.count(b"<row ") + data.count(b"<row>")
                tail = data[-5:]
                count -= tail.count(b"<row ") + tail.count(b"<row>")
        return count
    except (KeyError, OSError, zipfile.BadZipFile):
        return 0


def _bounded_header(header):
    """The header cells up to the last filled one; more than MAX_COLUMNS is not the template."""
    header = [_bounded_cell(v) for v in header]
    if any(v not in (None, "") for v in header[MAX_COLUMNS:]):
        raise ImportFileError(_("表头超过%(max)s列，与导入模板不符（模板共%(n)s列）") % {"max": MAX_COLUMNS, "n": len(COLUMNS)})
    header = header[:MAX_COLUMNS]
    while header and header[-1] in (None, ""):
        header.pop()
    return header


def _bounded_cell(value):
    return value[:CELL_KEEP] if type(value) is str and len(value) > CELL_KEEP else value


def _bounded_row(values, width):
    """At most `width` cells, none longer than CELL_KEEP characters (the next checks refuse it as too long)."""
    if len(values) > width:
        values = values[:width]
    for value in values:
        if type(value) is str and len(value) > CELL_KEEP:
            return tuple(_bounded_cell(v) for v in values)
    return values


def _too_many_rows():
    return ImportFileError(_("文件超过%(max)s行（不含表头），请拆分后分批导入") % {"max": max_rows()})


def _numbered(rows, width, broken):
    """(row number, cells) for the data rows: bounded in count and width; `broken(n)`: the error to raise
    when the reader fails on row n."""
    n, last = 1, max_rows() + 1
    try:
        for values in rows:
            n += 1
            if n > last:
                raise _too_many_rows()
            yield n, _bounded_row(values, width)
    except ImportFileError:
        raise
    except Exception as e:
        raise broken(n, e)


def _xlsx_error(n, error):
    return ImportFileError(_("读取第%(row)s行时出错：文件已损坏或不是有效的 Excel 文件") % {"row": n})


@contextmanager
def _xlsx_table(path):
    import openpyxl

    check_archive(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # any failure to open an untrusted file means the same to the user
        raise _not_excel()
    try:
        if not wb.worksheets or not hasattr(wb.worksheets[0], "iter_rows"):
            raise ImportFileError(_("工作簿中没有工作表"))
        ws = wb.worksheets[0]
        try:
            header = next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS + 1, values_only=True), None)
        except Exception:
            raise _not_excel()
        header = _bounded_header(header or ())
        if not header:
            raise ImportFileError(_("工作表是空的：第1行应为表头（请使用导入模板）"))
        max_row = ws.max_row
        if max_row:
            estimate = max(0, max_row - 1)
        else:
            estimate = max(0, _count_xml_rows(path, getattr(ws, "_worksheet_path", "")) - 1)
        if estimate > max_rows():
            raise _too_many_rows()
        width = len(header)
        rows = ws.iter_rows(min_row=2, max_col=width, values_only=True)
        yield Table(header, _numbered(rows, width, _xlsx_error), estimate)
    finally:
        wb.close()


def _sniff_encoding(path):
    """UTF-8 (with or without BOM), else GB18030; also counts lines for the progress estimate."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines, last = 0, b""
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    if b"\x00" in chunk:
                        raise ImportFileError(_("不是有效的 CSV 文件（含有二进制内容）"))
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if last and last != b"\n":
            lines += 1
        return encoding, lines
    raise ImportFileError(_("不是有效的 CSV 文件：无法识别文字编码，请另存为 UTF-8 或 GB18030 编码"))


def _bounded_lines(f):
    """The lines of a CSV file, each at most CSV_MAX_LINE characters: a file of one huge line (or of
    separators only) is refused before the csv module splits it into millions of cells."""
    for number, line in enumerate(f, 1):
        if len(line) > CSV_MAX_LINE:
            raise ImportFileError(_("文件第%(line)s行超过%(max)s个字符，不是导入模板的格式")
                                  % {"line": number, "max": CSV_MAX_LINE})
        yield line


def _csv_error(n, error):
    if "field larger than field limit" in str(error):
        return ImportFileError(_("第%(row)s行有单元格过长") % {"row": n + 1})
    return ImportFileError(_("第%(row)s行不是有效的 CSV：%(error)s") % {"row": n + 1, "error": quote(error)})


@contextmanager
def _csv_table(path):
    encoding, lines = _sniff_encoding(path)
    with open(path, encoding=encoding, newline="") as f:
        first = next(_bounded_lines(f), "")
        if not first.strip():
            raise ImportFileError(_("文件是空的：第1行应为表头（请使用导入模板）"))
        delimiter = max((",", "\t", ";"), key=first.count)
        f.seek(0)
        reader = csv.reader(_bounded_lines(f), delimiter=delimiter)
        try:
            header = _bounded_header(next(reader))
        except csv.Error:
            raise ImportFileError(_("不是有效的 CSV 文件"))
        if not header:
            raise ImportFileError(_("文件是空的：第1行应为表头（请使用导入模板）"))
        yield Table(header, _numbered(reader, len(header), _csv_error), max(0, lines - 1))


def open_table(path, kind):
    return _xlsx_table(path) if kind == "xlsx" else _csv_table(path)


def map_header(header):
    """{key: column index}; wrong, missing or repeated columns are one clear error."""
    positions, unknown, repeated = {}, [], []
    for i, cell in enumerate(header):
        norm = _norm_header(cell)
        if not norm:
            continue
        key = _HEADER_KEYS.get(norm)
        if key is None:
            unknown.append(str(cell).strip())
        elif key in positions:
            repeated.append(HEADER[key])
        else:
            positions[key] = i
    missing = [h for k, h in COLUMNS if k not in positions]
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(_("缺少列：%s") % "、".join(missing))
        if unknown:
            named = "、".join(quote(name) for name in unknown[:5])
            if len(unknown) > 5:
                named += _("等%(n)s列") % {"n": len(unknown)}
            parts.append(_("未知列：%s") % named)
        if repeated:
            parts.append(_("重复的列：%s") % "、".join(repeated))
        raise ImportFileError(_("表头与导入模板不符（%(problems)s）。第1行应依次为：%(headers)s")
                              % {"problems": "；".join(parts), "headers": "、".join(HEADERS)})
    return positions


# ---- one row, checked on its own -----------------------------------------------------------------


def cell_text(v):
    """A cell as trimmed text: numbers without a spurious '.0', the export's formula escape removed."""
    if v is None:
        return ""
    t = type(v)
    if t is str:
        v = v.strip()
        if len(v) > 1 and v[0] == "'" and v[1] in FORMULA_TRIGGERS:
            return v[1:]
        return v
    if t is int:
        return str(v)
    if t is float:
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat(sep=" ")
    return str(v).strip()


class Row:
    __slots__ = ("n", "errors", "compound", "building", "room", "address", "area", "tenure", "name",
                 "id_number", "id_hash", "id_masked", "phone", "relation", "tag_ids", "note", "has_resident",
                 "id_ok")

    def error(self, key, message):
        self.errors.append((key, message))


class RowParser:
    """Checks one row without the database (except the tag list, read once)."""

    def __init__(self, positions):
        self.idx = tuple(positions[k] for k, _h in COLUMNS)
        self.width = max(self.idx) + 1
        self.tags = {}
        for tag in Tag.objects.all():
            self.tags[tag.code.lower()] = tag
            self.tags[tag.name] = tag
        self.sensitive_tag_ids = {t.pk for t in self.tags.values() if t.sensitive}

    def parse(self, n, values):
        """A Row, or None for a blank row."""
        if len(values) < self.width:
            values = tuple(values) + (None,) * (self.width - len(values))
        idx = self.idx
        raw_id = values[idx[7]]
        cells = [cell_text(values[i]) for i in idx]
        if not any(cells):
            return None
        row = Row()
        row.n = n
        row.errors = []
        if text_problem("".join(cells)) is not None:  # no spreadsheet writes these: kept out of queries and messages
            for i, value in enumerate(cells):
                problem = text_problem(value)
                if problem is not None:
                    row.error(COLUMNS[i][0], problem)
                    cells[i] = shown(value)
        (compound, building, room, address, area, tenure, name, id_number, phone, relation, tags, note) = cells
        for key, value in (("compound", compound), ("building", building), ("room", room)):
            if not value:
                row.error(key, _("必填"))
            elif len(value) > MAX_LEN[key]:
                row.error(key, _("不能超过%(max)s个字符") % {"max": MAX_LEN[key]})
        row.compound, row.building, row.room = compound, building, room
        row.address = address
        if len(address) > MAX_LEN["address"]:
            row.error("address", _("地址不能超过200个字"))
            row.address = ""
        row.area = None
        if area:
            try:
                value = Decimal(area).quantize(Decimal("0.01"))
                if not value.is_finite() or value <= 0 or value >= 100000:
                    raise InvalidOperation
                row.area = value
            except (InvalidOperation, ValueError):
                row.error("area", _("专有面积应为大于0、小于100000的数字（平方米），当前为“%s”") % quote(area))
        row.tenure = None
        if tenure:
            row.tenure = _TENURE_BY_CELL.get(tenure)
            if row.tenure is None:
                row.error("tenure", _("产权状态应为：%s") % "、".join(TENURE_LABELS.values()))
        row.has_resident = bool(name or id_number or phone or relation or tags or note)
        row.name = name
        if len(name) > MAX_LEN["name"]:
            row.error("name", _("姓名不能超过50个字"))
            row.name = ""
        elif not name and row.has_resident:
            if id_number:
                row.error("name", _("填写了身份证号时姓名必填"))
            else:
                row.error("name", _("填写了居民信息时姓名必填"))
        row.id_number = row.id_hash = row.id_masked = None
        row.id_ok = True
        if id_number:
            if type(raw_id) in (int, float):
                row.error("id_number", _("身份证号被存成了数字，末尾几位可能已丢失；请把该列设为文本格式后重新填写"))
                row.id_ok = False
            elif "*" in id_number:
                masked = id_number.upper()
                if _MASKED_ID.match(masked):
                    row.id_masked = masked
                else:
                    row.error("id_number", _("身份证号格式不正确"))
                    row.id_ok = False
            else:
                try:
                    row.id_number = validate_id_number(id_number)
                    row.id_hash = lookup_hash(row.id_number)
                except ValidationError as e:
                    row.error("id_number", e.messages[0])
                    row.id_ok = False
        row.phone = None
        if phone and "*" not in phone:  # a masked phone means "unchanged"
            try:
                row.phone = validate_mobile(phone)
            except ValidationError as e:
                row.error("phone", e.messages[0])
        row.relation = None
        if relation:
            row.relation = _RELATION_BY_CELL.get(relation)
            if row.relation is None:
                row.error("relation", _("与户主关系应为：%s") % "、".join(RELATION_LABELS.values()))
        row.tag_ids = None
        if tags:
            if tags == NO_TAGS:
                row.tag_ids = set()
            else:
                found, unknown = set(), []
                for part in _TAG_SPLIT.split(tags):
                    if not part:
                        continue
                    tag = self.tags.get(part) or self.tags.get(part.lower())
                    if tag is None:
                        unknown.append(part)
                    else:
                        found.add(tag.pk)
                if unknown:
                    row.error("tags", _("未知标签：%s") % quote("、".join(unknown)))
                row.tag_ids = found
        row.note = note
        if len(note) > MAX_LEN["note"]:
            row.error("note", _("备注不能超过500个字"))
            row.note = ""
        return row


# ---- progress visible while the import's transaction is open ------------------------------------


def progress_file(job_id) -> Path:
    return imports_dir() / f"{int(job_id)}.progress"


class ProgressChannel:
    """Publishes rows_done while the import's transaction is still open, and that the run is alive.

    Writing ImportJob.rows_done through the import's own connection would be
    useless: nobody sees it before the commit (PostgreSQL), and it would only
    be committed at the end. So:

    * PostgreSQL (and any server database): a second, autocommitting
      connection to the same database updates the job row after each batch.
      The import's transaction never touches the job row, so the two never
      wait on each other.
    * SQLite allows one writer at a time and the import holds the write lock
      for its whole transaction, so a second connection could not write. A
      SQLite install is one machine, so the count goes to a small file under
      VAR_DIR/imports/ that the web process reads (`live_rows_done`).

    With either database the file is written at the start and after each
    batch: its time is the run's last sign of life (`fail_stale`). The web
    process and the worker share VAR_DIR/imports/ anyway (the upload is there).
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.sqlite = connections[DEFAULT_DB_ALIAS].vendor == "sqlite"
        self._conn = None

    def start(self):
        self._write(0)

    def _write(self, rows_done):
        path = progress_file(self.job_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(int(rows_done)))
        os.replace(tmp, path)

    def report(self, rows_done):
        self._write(rows_done)
        if self.sqlite:
            return
        if self._conn is None:
            params = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
            self._conn = load_backend(params["ENGINE"]).DatabaseWrapper(params, alias="import_progress")
        table = self._conn.ops.quote_name(ImportJob._meta.db_table)
        with self._conn.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET rows_done = %s WHERE id = %s", [int(rows_done), self.job_id])

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def discard(self):
        """Once the outcome is saved: until then the file says the run is alive."""
        progress_file(self.job_id).unlink(missing_ok=True)


def live_rows_done(job):
    """rows_done as the web process can see it while the job runs (see ProgressChannel)."""
    if job.status == ImportStatus.RUNNING and connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        try:
            return max(job.rows_done, int(progress_file(job.pk).read_text() or 0))
        except (OSError, ValueError):
            pass
    return job.rows_done


def live_progress(job):
    """(rows_done, rows_total, percent) for pages and the API."""
    done = live_rows_done(job)
    total = max(job.rows_total, done)
    if job.status in (ImportStatus.DONE, ImportStatus.CHECKED):
        return done, total, 100
    return done, total, int(100 * done / total) if total else 0


# ---- the import ---------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


class Record(types.SimpleNamespace):
    """A new household or resident while its batch is built: plain attributes named like the model's."""


class BulkInsert:
    """INSERT … VALUES of many new rows with one executemany.

    Django's bulk_create sends every value through several generic layers
    (pre_save, get_db_prep_save, placeholders per value); for 30,000
    residents that costs about as much as reading the file. Here the columns
    and each column's adapter are worked out once from the model's fields, so
    a field added to the model is inserted too (its default when a record
    does not set it). Records carry attributes named like the fields'
    attnames; primary keys are not returned (the caller looks them up).
    """

    _PLAIN = {"CharField", "TextField", "SlugField", "EmailField", "IntegerField", "SmallIntegerField",
              "BigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField",
              "ForeignKey", "OneToOneField", "BooleanField"}

    def __init__(self, model, using=DEFAULT_DB_ALIAS):
        self.connection = connections[using]
        ops = self.connection.ops
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.adapters = [self._adapter(f) for f in self.fields]
        self.attnames = {f.attname for f in self.fields}
        self.by_attname = {f.attname: f for f in self.fields}
        self.getter = operator.itemgetter(*[f.attname for f in self.fields])
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"

    def _adapter(self, field):
        ops = self.connection.ops
        kind = field.get_internal_type()
        if kind in self._PLAIN:
            return None
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        if kind == "DateField":
            return ops.adapt_datefield_value
        if kind == "DecimalField":
            return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        return lambda v: field.get_db_prep_save(v, self.connection)

    def insert(self, records):
        wanted = self.attnames
        adapted = [(i, adapt, {}) for i, adapt in enumerate(self.adapters) if adapt is not None]
        rows = []
        for rec in records:
            values = rec.__dict__
            for attname in wanted - values.keys():  # not set by the record: the field's default
                values[attname] = self.by_attname[attname].get_default()
            row = list(self.getter(values))
            for i, adapt, memo in adapted:
                v = row[i]
                if v is not None:
                    # A batch shares one timestamp: adapt each distinct value once.
                    got = memo.get(v)
                    if got is None:
                        got = memo[v] = adapt(v)
                    row[i] = got
            rows.append(row)
        with self.connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)


class Importer:
    """Runs one ImportJob over its stored file (see the module docstring)."""

    def __init__(self, job, progress=None):
        self.job = job
        self.user = job.user
        self.progress = progress
        self.errors = []
        self.counts = {"households_created": 0, "households_updated": 0, "residents_created": 0,
                       "residents_updated": 0, "buildings_created": 0}
        self.compounds = {}        # code -> Compound | None (unknown or out of scope)
        self.buildings = {}        # (compound id, code) -> Building | None (not there yet)
        self.building_ok = {}      # building id -> may import into it
        self.new_building_ok = {}  # compound id -> may create buildings in it
        self.tags_all = {}         # compound id -> may see (and so set) sensitive tags
        self.through = Resident.tags.through
        self.insert_households = BulkInsert(Household)
        self.insert_residents = BulkInsert(Resident)
        self.rows_seen = 0
        self.rows_read = 0
        self.error_count = 0       # every error found; self.errors keeps the first max_errors()
        self.error_rows = 0
        self._batch_errors = []

    # -- reporting

    def _error(self, row, key, message):
        self._batch_errors.append({"row": row.n, "column": HEADER[key], "message": str(message)})

    def _keep_errors(self):
        """A batch's errors in row order (batches follow the file), kept up to max_errors(); all are counted."""
        found, self._batch_errors = self._batch_errors, []
        found.sort(key=lambda e: e["row"])
        self.error_count += len(found)
        self.error_rows += len({e["row"] for e in found})
        room = max_errors() - len(self.errors)
        if room > 0:
            self.errors.extend(found[:room])

    # -- the run

    def run(self, path, kind):
        job = self.job
        with open_table(path, kind) as table:
            positions = map_header(table.header)
            parser = RowParser(positions)
            self.sensitive_tag_ids = parser.sensitive_tag_ids
            if table.estimate and table.estimate != job.rows_total:
                job.rows_total = table.estimate
                job.save(update_fields=["rows_total"])
            size = batch_size()
            rows = table.rows
            try:
                with transaction.atomic():
                    while True:
                        chunk = list(islice(rows, size))
                        if not chunk:
                            break
                        self.rows_read = chunk[-1][0] - 1
                        parsed = []
                        for n, values in chunk:
                            row = parser.parse(n, values)
                            if row is not None:
                                parsed.append(row)
                        del chunk
                        self.rows_seen += len(parsed)
                        if parsed:
                            self._batch(parsed)
                            self._keep_errors()
                        if self.progress is not None:
                            self.progress.report(self.rows_read)
                    if not self.rows_seen:
                        raise ImportFileError(_("文件只有表头，没有数据行"))
                    if self.error_count or job.dry_run:
                        raise _Rollback
                    audit(AuditAction.IMPORT, user=self.user, object_type=ImportJob._meta.label_lower,
                          object_id=str(job.pk), object_repr=job.file_name,
                          changes={"file": job.file_name, "rows": self.rows_seen, **self.counts},
                          detail=_("导入完成"))
            except _Rollback:
                pass
        return self.errors

    # -- one batch

    def _load_compounds(self, rows):
        missing = {r.compound for r in rows if r.compound and r.compound not in self.compounds}
        if not missing:
            return
        found = {c.code: c for c in Compound.objects.select_related("community").filter(code__in=missing)}
        for code in missing:
            c = found.get(code)
            self.compounds[code] = c if c is not None and can(self.user, A.IMPORT, c) else None

    def _load_buildings(self, rows):
        want = {}
        for r in rows:
            c = self.compounds.get(r.compound)
            if c is not None and r.building and (c.pk, r.building) not in self.buildings:
                want.setdefault(c.pk, set()).add(r.building)
        if not want:
            return
        codes = set().union(*want.values())
        found = {(b.compound_id, b.code): b for b in Building.objects.filter(compound_id__in=want, code__in=codes)}
        by_pk = {c.pk: c for c in self.compounds.values() if c is not None}
        for cid, bcodes in want.items():
            for code in bcodes:
                b = found.get((cid, code))
                if b is not None:
                    b.compound = by_pk[cid]
                self.buildings[(cid, code)] = b

    def _may_building(self, building):
        ok = self.building_ok.get(building.pk)
        if ok is None:
            ok = self.building_ok[building.pk] = can(self.user, A.IMPORT, building)
        return ok

    def _may_new_building(self, compound):
        ok = self.new_building_ok.get(compound.pk)
        if ok is None:
            ok = self.new_building_ok[compound.pk] = can(self.user, A.IMPORT, Building(compound=compound))
        return ok

    def _may_all_tags(self, compound):
        ok = self.tags_all.get(compound.pk)
        if ok is None:
            ok = self.tags_all[compound.pk] = can(self.user, A.REVEAL_ID, compound)
        return ok

    def _may_move(self, resident):
        """May this import take a resident (found by ID number) from where they live now?"""
        if resident.cur_building_id:
            return bool(self.building_ok.get(resident.cur_building_id))
        return can(self.user, A.IMPORT, resident)  # no household: only a superuser

    def _check_buildings_of(self, residents):
        """Load and check the buildings residents currently live in (moving them needs both ends in scope)."""
        missing = {r.cur_building_id for r in residents
                   if r.cur_building_id and r.cur_building_id not in self.building_ok}
        if missing:
            for b in Building.objects.select_related("compound__community").filter(pk__in=missing):
                self.building_ok[b.pk] = can(self.user, A.IMPORT, b)

    def _batch(self, rows):
        job = self.job
        self._load_compounds(rows)
        self._load_buildings(rows)
        now = timezone.now()

        # 1. The grid key of each row: compound in scope, building (created when new), room.
        keyed = []
        for row in rows:
            for key, message in row.errors:
                self._error(row, key, message)
            if not (row.compound and row.building and row.room) or any(
                    k in ("compound", "building", "room") for k, _m in row.errors):
                continue
            compound = self.compounds.get(row.compound)
            if compound is None:
                self._error(row, "compound", _("小区编码不存在或不在您的管辖范围内：%s") % quote(row.compound))
                continue
            building = self.buildings.get((compound.pk, row.building))
            if building is None:
                if not self._may_new_building(compound):
                    self._error(row, "building", _("您无权在该小区导入楼栋：%s") % quote(row.building))
                    continue
                building = Building.objects.create(compound=compound, code=row.building, name=f"{row.building}栋")
                building.compound = compound
                self.buildings[(compound.pk, row.building)] = building
                self.building_ok[building.pk] = True
                self.counts["buildings_created"] += 1
            elif not self._may_building(building):
                self._error(row, "building", _("您无权导入该楼栋：%s") % quote(row.building))
                continue
            keyed.append((row, compound, building))
        if not keyed:
            return

        # 2. One query each: households by (building, room); residents by ID hash; members of those households.
        bids = {b.pk for _r, _c, b in keyed}
        rooms = {r.room for r, _c, _b in keyed}
        # (building in …, room in …) over-fetches the other rooms of those buildings: match the pairs on
        # plain tuples first, and build model instances only for the households this batch names.
        pairs = {(b.pk, r.room) for r, _c, b in keyed}
        ids = [pk for pk, bid, code in Household.objects.filter(building_id__in=bids, code__in=rooms)
               .values_list("pk", "building_id", "code") if (bid, code) in pairs]
        households = {(h.building_id, h.code): h for h in Household.objects.filter(pk__in=ids)} if ids else {}
        hashes = {r.id_hash for r, _c, _b in keyed if r.id_hash}
        by_pk = {}
        by_hash = {}
        if hashes:
            for res in Resident.objects.filter(id_number_hash__in=hashes).annotate(cur_building_id=F("household__building_id")):
                by_pk[res.pk] = res
                by_hash[res.id_number_hash] = res
        need_members = set()
        for r, _c, b in keyed:
            if r.has_resident and r.id_ok and (r.id_hash is None or r.id_hash not in by_hash):
                h = households.get((b.pk, r.room))
                if h is not None:
                    need_members.add(h.pk)
        members = {}
        if need_members:
            for res in Resident.objects.filter(household_id__in=need_members).annotate(
                    cur_building_id=F("household__building_id")):
                res = by_pk.setdefault(res.pk, res)
                members.setdefault(res.household_id, []).append(res)
        self._check_buildings_of(by_pk.values())
        current_tags = {}
        if by_pk:
            for rid, tid in self.through.objects.filter(resident_id__in=list(by_pk)).values_list("resident_id", "tag_id"):
                current_tags.setdefault(rid, set()).add(tid)

        # 3. Each row in file order.
        new_households = {}      # (building id, room) -> Household created in this batch
        touched_h = {}           # pk -> Household (existing)
        changed_h = set()
        new_residents = []       # [(Resident, Household)]
        new_by_hash = {}         # id hash -> row number, for residents created in this batch
        new_by_name = {}         # (household key, name) -> (row number, has ID)
        touched_r = {}           # pk -> Resident (existing)
        changed_r = set()
        set_tags = {}            # id(Resident) -> (Resident, set of tag ids)
        counts = self.counts
        job_id = job.pk
        for row, compound, building in keyed:
            n = row.n
            hkey = (building.pk, row.room)
            # -- the household
            h = new_households.get(hkey)
            if h is None:
                h = households.get(hkey)
                if h is None:
                    if not row.address and not any(k == "address" for k, _m in row.errors):
                        self._error(row, "address", _("新登记的户地址必填"))
                    h = Record(pk=None, building_id=building.pk, code=row.room, address=row.address,
                               floor_area=row.area, tenure=row.tenure or Tenure.OWNER)
                    h.last_import_id, h.last_import_row = job_id, n
                    h.created_at = h.updated_at = now
                    new_households[hkey] = h
                    counts["households_created"] += 1
                    h = None  # nothing more to compare for the row that created it
            if h is not None:
                if h.last_import_id == job_id:
                    # Touched by an earlier row of this file: its values must agree.
                    for key, value, current in (("address", row.address, h.address), ("area", row.area, h.floor_area),
                                                ("tenure", row.tenure, h.tenure)):
                        if value not in (None, "") and value != current:
                            self._error(row, key, _("与第%(row)s行同一户的%(column)s不一致")
                                        % {"row": h.last_import_row, "column": HEADER[key]})
                else:
                    changed = False
                    if row.address and row.address != h.address:
                        h.address, changed = row.address, True
                    if row.area is not None and row.area != h.floor_area:
                        h.floor_area, changed = row.area, True
                    if row.tenure and row.tenure != h.tenure:
                        h.tenure, changed = row.tenure, True
                    h.last_import_id, h.last_import_row = job_id, n
                    if h.pk is not None:
                        touched_h[h.pk] = h
                        if changed:
                            h.updated_at = now
                            changed_h.add(h.pk)
                            counts["households_updated"] += 1
            household = new_households.get(hkey) or households.get(hkey)
            if not row.has_resident or not row.id_ok or not row.name:
                continue

            # -- the resident
            res, dup_of = None, None
            name_key = (hkey, row.name)
            if row.id_hash is not None:
                if row.id_hash in new_by_hash:
                    dup_of = new_by_hash[row.id_hash]
                else:
                    res = by_hash.get(row.id_hash)
                    if res is None:
                        # Not known by ID: perhaps registered in this household by name only; give them the ID.
                        local = new_by_name.get(name_key)
                        if local is not None and not local[1]:
                            self._error(row, "name", _("与第%(row)s行为同一居民") % {"row": local[0]})
                            continue
                        same = [m for m in members.get(household.pk, ()) if m.name == row.name and not m.id_number_hash] \
                            if household.pk else []
                        if len(same) == 1:
                            res = same[0]
                if dup_of is not None or (res is not None and res.last_import_id == job_id):
                    self._error(row, "id_number", _("身份证号与第%(row)s行重复")
                                % {"row": dup_of if dup_of is not None else res.last_import_row})
                    continue
                if res is not None and res.id_number_hash == row.id_hash and not self._may_move(res):
                    self._error(row, "id_number", _("该身份证号已登记在其他居民名下"))
                    continue
            elif row.id_masked is not None:
                same = [m for m in members.get(household.pk, ()) if m.id_number_masked == row.id_masked] \
                    if household.pk else []
                if not same:
                    self._error(row, "id_number", _("身份证号是脱敏值，本户没有与之对应的居民；请填写完整身份证号"))
                    continue
                if len(same) > 1:
                    self._error(row, "id_number", _("身份证号是脱敏值，无法确定是本户哪位居民；请填写完整身份证号"))
                    continue
                res = same[0]
                if res.last_import_id == job_id:
                    self._error(row, "id_number", _("与第%(row)s行为同一居民") % {"row": res.last_import_row})
                    continue
            else:
                local = new_by_name.get(name_key)
                if local is not None:
                    self._error(row, "name", _("与第%(row)s行为同一居民（同户同名且未填身份证号）") % {"row": local[0]})
                    continue
                same = [m for m in members.get(household.pk, ()) if m.name == row.name] if household.pk else []
                if len(same) > 1:
                    self._error(row, "name", _("本户有多名同名居民，请填写身份证号以区分"))
                    continue
                if same:
                    res = same[0]
                    if res.last_import_id == job_id:
                        self._error(row, "name", _("与第%(row)s行为同一居民（同户同名且未填身份证号）")
                                    % {"row": res.last_import_row})
                        continue

            all_tags = self._may_all_tags(compound)
            if row.tag_ids and not all_tags and row.tag_ids & self.sensitive_tag_ids:
                hidden = Tag.objects.filter(pk__in=row.tag_ids & self.sensitive_tag_ids).values_list("name", flat=True)
                self._error(row, "tags", _("未知标签：%s") % "、".join(hidden))
                continue

            if res is None:
                res = Record(pk=None, name=row.name, relation=row.relation or Relation.OTHER, note=row.note)
                if row.id_number:
                    Resident.set_id_number(res, row.id_number)
                    res.birth_date = birth_date_from_id(row.id_number)
                    res.gender = gender_from_id(row.id_number)
                if row.phone:
                    Resident.set_phone(res, row.phone)
                res.last_import_id, res.last_import_row = job_id, n
                res.created_at = res.updated_at = now
                new_residents.append((res, household))
                if row.id_hash:
                    new_by_hash[row.id_hash] = n
                new_by_name[name_key] = (n, bool(row.id_hash))
                counts["residents_created"] += 1
                if row.tag_ids:
                    set_tags[id(res)] = (res, set(row.tag_ids))
                continue

            changed = False
            if row.id_number and not res.id_number_hash:
                res.set_id_number(row.id_number)
                res.birth_date = birth_date_from_id(row.id_number)
                res.gender = gender_from_id(row.id_number)
                changed = True
            if row.name != res.name:
                res.name, changed = row.name, True
            if household.pk is None or household.pk != res.household_id:
                res.household_id, changed = household.pk, True
                res._move_to = household
            if row.relation and row.relation != res.relation:
                res.relation, changed = row.relation, True
            if row.note and row.note != res.note:
                res.note, changed = row.note, True
            if row.phone and lookup_hash(row.phone) != res.phone_hash:
                res.set_phone(row.phone)
                changed = True
            if row.tag_ids is not None:
                current = current_tags.get(res.pk, set())
                # Sensitive tags the row's author could not see are kept: the user may not see them, or the
                # row comes from an export without A.REVEAL_ID (its ID number is masked, its 低保 tag left out).
                keep_hidden = not all_tags or row.id_masked is not None
                wanted = set(row.tag_ids) | (current & self.sensitive_tag_ids) if keep_hidden else set(row.tag_ids)
                if wanted != current:
                    set_tags[id(res)] = (res, wanted)
                    changed = True
            res.last_import_id, res.last_import_row = job_id, n
            touched_r[res.pk] = res
            if changed:
                res.updated_at = now
                if res.pk not in changed_r:
                    changed_r.add(res.pk)
                    counts["residents_updated"] += 1
            new_by_name[name_key] = (n, bool(res.id_number_hash))

        # 4. Write the batch.
        if new_households:
            created = list(new_households.values())
            self.insert_households.insert(created)
            pks = {(bid, code): pk for pk, bid, code in Household.objects.filter(
                building_id__in={h.building_id for h in created}, code__in={h.code for h in created}).values_list(
                "pk", "building_id", "code")}
            for h in created:
                h.pk = pks[(h.building_id, h.code)]
        if touched_h:
            changed = [touched_h[pk] for pk in changed_h]
            marked = [h for pk, h in touched_h.items() if pk not in changed_h]
            if changed:
                Household.objects.bulk_update(changed, ["address", "floor_area", "tenure", "updated_at",
                                                        "last_import", "last_import_row"])
            if marked:
                Household.objects.bulk_update(marked, ["last_import", "last_import_row"])
        if new_residents:
            objs = []
            for res, household in new_residents:
                res.household_id = household.pk
                objs.append(res)
            self.insert_residents.insert(objs)
            tagged = {res.last_import_row: res for res, _t in set_tags.values() if res.pk is None}
            if tagged:
                for row_n, pk in Resident.objects.filter(last_import_id=job_id, last_import_row__in=list(tagged)) \
                        .values_list("last_import_row", "pk"):
                    tagged[row_n].pk = pk
        if touched_r:
            changed = []
            for pk in changed_r:
                res = touched_r[pk]
                move_to = getattr(res, "_move_to", None)
                if move_to is not None:
                    res.household_id = move_to.pk
                changed.append(res)
            marked = [res for pk, res in touched_r.items() if pk not in changed_r]
            if changed:
                Resident.objects.bulk_update(changed, [
                    "name", "gender", "birth_date", "id_number_enc", "id_number_hash", "id_number_masked",
                    "phone_enc", "phone_hash", "phone_masked", "household", "relation", "note", "updated_at",
                    "last_import", "last_import_row"])
            if marked:
                Resident.objects.bulk_update(marked, ["last_import", "last_import_row"])
        if set_tags:
            existing = [res.pk for res, _t in set_tags.values() if res.pk in touched_r]
            if existing:
                self.through.objects.filter(resident_id__in=existing).delete()
            self.through.objects.bulk_create([
                self.through(resident_id=res.pk, tag_id=tid) for res, tids in set_tags.values() for tid in tids])


# ---- jobs: start, confirm, run ------------------------------------------------------------------


def _store(upload, kind):
    path = imports_dir() / f"{uuid.uuid4().hex}.{kind}"
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


def _enqueue(job):
    from .tasks import run_import

    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def sweep_stale(hours=24):
    """Files of checked jobs nobody confirmed are removed after a day."""
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    for job in ImportJob.objects.filter(status=ImportStatus.CHECKED, created_at__lt=cutoff).exclude(file_path=""):
        Path(job.file_path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(file_path="")


def import_start(*, user, upload, dry_run=True):
    """Store an upload, create its ImportJob and queue the run (a dry run unless asked otherwise)."""
    require(user, A.IMPORT)
    kind = check_upload(upload)
    sweep_stale()
    path = _store(upload, kind)
    try:
        job = ImportJob.objects.create(user=user, file_name=(Path(upload.name).name or "upload")[:200],
                                       file_path=str(path), dry_run=bool(dry_run))
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return _enqueue(job)


def import_confirm(*, user, job):
    """Run the real import of a file whose dry run passed (it is checked again while importing)."""
    require(user, A.IMPORT)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.CHECKED or not job.dry_run:
            raise ValidationError({"status": _("只有检查通过、尚未导入的任务才能确认导入")})
        if not job.file_path or not Path(job.file_path).exists():
            raise ValidationError({"file": _("上传的文件已过期，请重新上传")})
        job.dry_run = False
        job.status = ImportStatus.PENDING
        job.rows_done = 0
        job.errors = []
        job.error_count = 0
        job.finished_at = None
        job.households_created = job.households_updated = job.residents_created = job.residents_updated = 0
        job.save()
    return _enqueue(job)


def valid_pk(value):
    """An id as an int the database can hold, else 404 (huge numbers would overflow the column)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def job_for(user, pk):
    """An import job its creator (or a superuser) may see; anything else is 404."""
    require(user, A.IMPORT)
    pk = valid_pk(pk)
    try:
        job = ImportJob.objects.get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404
    if job.user_id != user.pk and not user.is_superuser:
        raise Http404
    if job.status == ImportStatus.RUNNING and fail_stale(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return job


COUNT_KEYS = ("households_created", "households_updated", "residents_created", "residents_updated")
FINAL = {ImportStatus.FAILED, ImportStatus.CHECKED, ImportStatus.DONE, ImportStatus.ERROR}


def import_run(job_id):
    """The task body: run the job, record the outcome, remove the file unless a confirm may follow."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.PENDING:
        return None
    kind = KINDS.get(Path(job.file_path).suffix.lower(), "xlsx")
    job.status = ImportStatus.RUNNING
    job.rows_done = 0
    job.save(update_fields=["status", "rows_done"])
    progress = ProgressChannel(job)
    importer = Importer(job, progress)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            progress.start()
            if not job.file_path or not Path(job.file_path).exists():
                raise ImportFileError(_("上传的文件已过期，请重新上传"))
            errors, error_count = importer.run(job.file_path, kind), importer.error_count
            passed = ImportStatus.CHECKED if job.dry_run else ImportStatus.DONE
            status = ImportStatus.FAILED if error_count else passed
        except ImportFileError as e:
            errors, error_count, status = [{"row": None, "column": "", "message": str(e)}], 1, ImportStatus.FAILED
        except Exception:
            logger.exception("import job %s failed", job.pk)
            errors = [{"row": None, "column": "",
                       "message": _("导入时发生意外错误，未写入任何数据。请稍后重试，或联系管理员。")}]
            error_count, status = 1, ImportStatus.ERROR
        finally:
            progress.close()
        job.status = status
        job.errors = errors
        job.error_count = error_count
        job.rows_done = importer.rows_read
        if importer.rows_read:
            job.rows_total = importer.rows_read
        if status in (ImportStatus.CHECKED, ImportStatus.DONE):
            for key in COUNT_KEYS:
                setattr(job, key, importer.counts[key])
        else:
            job.households_created = job.households_updated = job.residents_created = job.residents_updated = 0
        job.finished_at = timezone.now()
        if status != ImportStatus.CHECKED and job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
            job.file_path = ""
        job.save()
        progress.discard()
        if job.dry_run:
            # Checking a file reads every resident in it: who checked which file is recorded like an import.
            checked = status == ImportStatus.CHECKED
            audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
                  object_repr=job.file_name, success=checked,
                  changes={"file": job.file_name, "dry_run": True, "rows": importer.rows_seen, "errors": error_count,
                           "error_rows": importer.error_rows,
                           **({k: importer.counts[k] for k in COUNT_KEYS} if checked else {})},
                  detail=_("试运行检查通过，未写入数据") if checked else _("试运行发现错误，未写入数据"))
        elif status != ImportStatus.DONE:
            audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
                  object_repr=job.file_name, success=False,
                  changes={"file": job.file_name, "errors": error_count}, detail=_("导入未完成，未写入任何数据"))
    return status


# ---- runs whose worker died ---------------------------------------------------------------------


def stale_after():
    """How long a running job may show no progress before it counts as interrupted (settings.IMPORT_STALE_MINUTES)."""
    return datetime.timedelta(minutes=max(1, int(getattr(settings, "IMPORT_STALE_MINUTES", 10))))


def last_sign_of_life(job):
    """When a running job last showed progress: its progress file's time (see ProgressChannel).

    Without the file (the run never started writing it), when the job was created.
    """
    try:
        mtime = progress_file(job.pk).stat().st_mtime
    except OSError:
        return job.created_at
    return datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc)


def fail_stale(jobs=None, now=None):
    """Mark running jobs without progress for stale_after() as interrupted; returns the ids marked.

    A worker that crashed or was killed mid-run leaves its job "running" for
    ever. Its data is safe: the whole run is one transaction, which the
    database rolled back when the worker's connection went. So the job is
    ended with that said, its files removed, and the end audited. Called where
    jobs are shown (the import page, a job's page and the API), and by the
    `import_fail_stale` command.
    """
    now = now or timezone.now()
    limit = stale_after()
    qs = (ImportJob.objects.all() if jobs is None else jobs).filter(status=ImportStatus.RUNNING)
    marked = []
    for job in qs.select_related("user").order_by("id"):
        if now - last_sign_of_life(job) < limit:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            message = _("导入已中断：处理程序超过%(minutes)d分钟没有进展（可能已停止运行），未写入任何数据。请重新上传文件。") % {
                "minutes": int(limit.total_seconds() // 60)}
            detail = _("导入中断，已标记为失败，未写入任何数据")
        rows_done = live_rows_done(job)
        # Only while it is still running: a worker that finishes meanwhile keeps its own outcome.
        changed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.ERROR, errors=[{"row": None, "column": "", "message": message}], error_count=1,
            finished_at=now,
            file_path="", households_created=0, households_updated=0, residents_created=0, residents_updated=0)
        if not changed:
            continue
        if job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
        progress_file(job.pk).unlink(missing_ok=True)
        audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
              object_repr=job.file_name, success=False,
              changes={"file": job.file_name, "dry_run": job.dry_run, "rows_done": rows_done,
                       "stale_minutes": int(limit.total_seconds() // 60)}, detail=detail)
        marked.append(job.pk)
    return marked


def error_lines(job):
    """'第12行 身份证号：身份证号校验位错误' for each error kept, then how many more were found."""
    out = []
    for e in job.errors:
        if e.get("row"):
            out.append(_("第%(row)s行 %(column)s：%(message)s") % e)
        else:
            out.append(e["message"])
    if errors_not_kept(job):
        out.append(errors_not_kept_message(job))
    return out


def errors_not_kept(job):
    return max(0, job.error_count - len(job.errors))


def errors_not_kept_message(job):
    return _("另有%(n)s处错误未列出（只列出前%(kept)s处）。请先改正以上错误，再重新上传检查。") % {
        "n": errors_not_kept(job), "kept": len(job.errors)}


# ---- the empty template -------------------------------------------------------------------------

EXAMPLE = ["K1", "1", "101", "宁江新城一期1栋101", "98.50", "业主自住", "张三", "110105199003078887",
           "13800138000", "户主", "独居老人", "示例行，请勿导入"]


def column_help():
    """(header, required, explanation) for every column: the 说明 sheet and the docs say the same."""
    return [
        ("小区编码", _("必填"), _("已有小区的编码；不存在或不在您管辖范围内的小区编码会报错")),
        ("楼栋编码", _("必填"), _("楼栋编码；小区中没有的楼栋会自动新建（名称为“编码+栋”）")),
        ("房号", _("必填"), _("同一楼栋内唯一；小区编码+楼栋编码+房号确定一户")),
        ("地址", _("新户必填"), _("不超过200字")),
        ("专有面积(㎡)", _("选填"), _("大于0的数字，保留两位小数")),
        ("产权状态", _("选填"), "、".join(TENURE_LABELS.values()) + _("（新户默认业主自住）")),
        ("姓名", _("有居民时必填"), _("不超过50字；只登记户、没有居民时，本列及以后各列留空")),
        ("身份证号", _("选填"), _("18位，校验位须正确；请把该列设为文本格式。同一文件中不能重复")),
        ("手机号", _("选填"), _("11位中国大陆手机号")),
        ("与户主关系", _("选填"), "、".join(RELATION_LABELS.values()) + _("（新居民默认其他）")),
        ("关注标签", _("选填"), _("标签名称或编码，用、或逗号分隔；填“无”表示清除全部标签")),
        ("备注", _("选填"), _("不超过500字")),
    ]


def template_workbook():
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "导入"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    for col in "ABCDEFGHIJKL":
        ws.column_dimensions[col].number_format = "@"  # text, so ID numbers keep every digit
        ws.column_dimensions[col].width = 16
    ws.column_dimensions["H"].width = 22
    help_ws = wb.create_sheet("说明")
    help_ws.append([_("列名"), _("是否必填"), _("说明"), _("示例")])
    for (header, required, text), example in zip(column_help(), EXAMPLE):
        help_ws.append([header, required, text, example])
    help_ws.append([])
    help_ws.append([_("只导入第一个工作表；第1行为表头，从第2行起每行一位居民。空白单元格不会清除已有数据。"
                      "导入前会先试运行并列出全部错误行，有任何错误时不写入任何数据。")])
    for col, width in (("A", 14), ("B", 14), ("C", 60), ("D", 22)):
        help_ws.column_dimensions[col].width = width
    return wb
