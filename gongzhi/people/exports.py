"""Export of households and residents in the import template (.xlsx or .csv).

The export is the import's template, so a file exported and imported again
changes nothing. Every row is a household the user may export (EXPORT,
through the policy module); one row per resident, and one row with empty
resident columns for a household without residents.

* Text cells starting with = + - @ (or a tab / carriage return) would be run
  as formulas by a spreadsheet; they are written with a leading apostrophe
  (OWASP "CSV injection"). The import removes that apostrophe again.
* ID numbers and phones are written in clear only where the user may reveal
  them (REVEAL_ID / REVEAL_PHONE for that compound), otherwise masked
  (the masked value is what the database already keeps, nothing is
  decrypted). Importing a masked value later leaves the stored one unchanged.
  Sensitive tags (e.g. 低保) are only written with REVEAL_ID, as on pages.
* Every export writes one AuditAction.EXPORT entry with the filter, the
  format, the row count and which fields were written in clear.
* Large exports: CSV is streamed row by row; .xlsx is written row by row
  (openpyxl write-only mode) to a temporary file that is then streamed. The
  database is read in chunks of households, so memory stays flat.
"""
import csv
import io
import tempfile

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import get_or_404, require, scoped
from .capability import EXPORT
from gongzhi.core.audit import audit
from gongzhi.core.ids import as_id
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Compound, Household

from . import presenter
from .imports.template import FORMULA_TRIGGERS, HEADERS, RELATION_LABELS, TENURE_LABELS, template_workbook
from .models import Resident

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
CHUNK = 1000


def escape_cell(value):
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def _households(user, compound=None):
    qs = scoped(user, EXPORT, Household.objects.select_related("building__compound__community"))
    if compound is not None:
        qs = qs.filter(building__compound=compound)
    return qs


def export_count(user, compound=None):
    """Rows the export will have: one per resident, plus one per household without residents."""
    households = _households(user, compound)
    residents = Resident.objects.filter(household__in=households.values("pk")).count()
    empty = households.annotate(n=Count("members")).filter(n=0).count()
    return residents + empty


class _Reveal:
    """What may be written in clear, decided once per compound."""

    def __init__(self, user):
        self.user = user
        self.cache = {}

    def __call__(self, compound):
        got = self.cache.get(compound.pk)
        if got is None:
            got = self.cache[compound.pk] = presenter.sight(self.user, compound)
        return got

    def any_clear(self):
        return sorted({f for s in self.cache.values() for f, ok in (("id_number", s.ids), ("phone", s.phones)) if ok})


def export_rows(user, compound=None, reveal=None):
    """Lists of cell values in template order (formula cells escaped), one per template row."""
    reveal = reveal or _Reveal(user)
    members = Prefetch("members", queryset=Resident.objects.order_by("id").prefetch_related("tags"))
    qs = (_households(user, compound).prefetch_related(members)
          .order_by("building__compound__code", "building__code", "code", "pk"))
    for h in qs.iterator(chunk_size=CHUNK):
        b = h.building
        c = b.compound
        sight = reveal(c)
        head = [c.code, b.code, h.code, h.address, h.floor_area, TENURE_LABELS.get(h.tenure, h.tenure)]
        residents = list(h.members.all())
        if not residents:
            yield [escape_cell(v) for v in head] + [""] * 6
            continue
        for r in residents:
            tags = "、".join(t.name for t in sight.tags(r.tags.all()))
            row = head + [
                r.name,
                r.id_number_clear() if sight.ids else r.id_number_masked,
                r.phone_clear() if sight.phones else r.phone_masked,
                RELATION_LABELS.get(r.relation, r.relation),
                tags,
                r.note,
            ]
            yield [escape_cell(v) for v in row]


def _filename(fmt, compound):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    scope = f"-{compound.code}" if compound is not None else ""
    return f"residents{scope}-{stamp}.{fmt}"


def _csv_stream(rows):
    buf = io.StringIO()
    writer = csv.writer(buf)
    yield "\ufeff".encode()  # BOM: Excel opens UTF-8 CSV correctly with it
    writer.writerow(HEADERS)
    for i, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else v for v in row])
        if i % 200 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def write_xlsx(rows, fileobj):
    """Write template rows into a workbook, row by row."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(_("居民"))
    ws.append(HEADERS)
    for row in rows:
        # Control characters (a name typed with \x01 in it) cannot be stored in a worksheet: leave them out,
        # or one such value would fail the whole export.
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    wb.save(fileobj)


def export_response(*, user, fmt, compound_id=None, request=None):
    """The file response of an export; audited. Unknown or out-of-scope compound: 404."""
    require(user, EXPORT)
    if fmt not in FORMATS:
        raise ValidationError({"format": _("导出格式只能是 xlsx 或 csv")})
    compound = None
    if compound_id not in (None, ""):
        pk = as_id(compound_id)
        if pk is None:
            raise Http404
        compound = get_or_404(user, EXPORT, Compound.objects.select_related("community"), pk=pk)
    count = export_count(user, compound)
    reveal = _Reveal(user)
    for c in (scoped(user, EXPORT, Compound.objects.select_related("community"))
              if compound is None else [compound]):
        reveal(c)
    audit(AuditAction.EXPORT, user=user, request=request, object_type="people.resident",
          object_repr=_("居民导出"),
          changes={"filter": {"compound": compound.code if compound else None}, "format": fmt,
                   "rows": count, "clear_fields": reveal.any_clear()})
    rows = export_rows(user, compound, reveal)
    name = _filename(fmt, compound)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(rows), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        tmp = tempfile.TemporaryFile(suffix=".xlsx")  # gone from disk when the response closes it
        write_xlsx(rows, tmp)
        tmp.seek(0)
        response = FileResponse(tmp, as_attachment=True, filename=name, content_type=FORMATS["xlsx"])
    response["Cache-Control"] = "no-store"
    return response


def template_response(fmt="xlsx"):
    """The empty template: headers; for .xlsx a second sheet 说明 with every column explained and an example."""
    if fmt == "csv":
        data = "\ufeff" + ",".join(HEADERS) + "\r\n"
        response = StreamingHttpResponse([data.encode()], content_type=FORMATS["csv"])
        response["Content-Disposition"] = 'attachment; filename="gongzhi-import-template.csv"'
        return response
    buf = io.BytesIO()
    template_workbook().save(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename="gongzhi-import-template.xlsx", content_type=FORMATS["xlsx"])
