"""One row of an import file, checked on its own: no database but the tag list, read once.

Cells: an empty cell never erases a stored value (empty = unchanged; to clear
a value use the resident or household page), except 关注标签 where "无" removes
the tags. A masked ID number or phone (as exported to a user who may not see
them in clear) means "unchanged" too. Leading apostrophes added by the export
against formula injection are removed again.
"""
import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.core.crypto import lookup_hash
from gongzhi.core.identity import validate_id_number, validate_mobile
from gongzhi.core.text import shown, text_problem

from ..models import Tag
from .files import quote
from .template import COLUMNS, FORMULA_TRIGGERS, MAX_LEN, NO_TAGS, RELATION_LABELS, TENURE_LABELS

_TENURE_BY_CELL = {**{v: k for k, v in TENURE_LABELS.items()}, **{str(k): k for k in TENURE_LABELS}}
_RELATION_BY_CELL = {**{v: k for k, v in RELATION_LABELS.items()}, **{str(k): k for k in RELATION_LABELS}}
_TAG_SPLIT = re.compile(r"[、,，;；/\s]+")
_MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


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

