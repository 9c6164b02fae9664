"""Reading an import file (.xlsx or .csv) into its header and rows, bounded whatever the file.

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
the file (quote()). Cells holding text that cannot be stored
(gongzhi.core.text) are row errors (rows.RowParser).

Rows are read one at a time (openpyxl read-only mode, or the csv module): the
file is never held in memory.
"""
import codecs
import csv
import os
import re
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.core.text import shown, text_problem

from .template import COLUMNS, HEADER, HEADERS


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, wrong columns): one message."""


def positive_setting(name, default):
    """An integer setting, at least 1."""
    return max(1, int(getattr(settings, name, default)))


def max_bytes():
    return positive_setting("IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def max_rows():
    return positive_setting("IMPORT_MAX_ROWS", 200_000)


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


# ---- reading files ------------------------------------------------------------------------------

KINDS = {".xlsx": "xlsx", ".csv": "csv"}


def human_mb(n):
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
                               % {"size": human_mb(size), "max": human_mb(max_bytes())}})
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
    return human_mb(n) if n >= 1024 * 1024 else f"{n / (1024 * 1024):.2f}"


def _refused(reason):
    return ImportFileError(_("不能导入：%(reason)s。请用 Excel 重新另存为 .xlsx，或拆分后分批导入。") % {"reason": reason})


def check_archive(source, scan=True):
    """Refuse an .xlsx (a path or an open file) whose archive passes a limit, before any XML is parsed.

    scan=False checks the directory only (cheap: the upload itself); scan=True also streams through every
    part, refusing a DTD and a shared-string table past IMPORT_MAX_SHARED_STRINGS texts.
    """
    max_entries = positive_setting("IMPORT_MAX_ENTRIES", 1000)
    max_ratio = positive_setting("IMPORT_MAX_RATIO", 100)
    max_unpacked = positive_setting("IMPORT_MAX_UNPACKED_BYTES", 150 * 1024 * 1024)
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
    limit = positive_setting("IMPORT_MAX_SHARED_STRINGS", 1_000_000)
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


def _norm_header(value):
    v = "" if value is None else str(value)
    v = re.sub(r"\s+", "", v).replace("（", "(").replace("）", ")")
    for alias in ("m²", "m2", "平方米", "平米"):
        v = v.replace(alias, "㎡")
    return v


_HEADER_KEYS = {_norm_header(h): k for k, h in COLUMNS}


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

