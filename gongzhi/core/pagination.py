"""Keyset (cursor) pagination: page 1,000 costs what page 1 costs."""
import base64
import binascii
import json
import operator
from functools import reduce

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext as _

MAX_PAGE = 200


def encode_cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" nested deep
        raise ValidationError({"cursor": _("分页游标无效")})
    if not isinstance(values, list) or not values:
        raise ValidationError({"cursor": _("分页游标无效")})
    return values


def _cursor_id(cursor):
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        last_id = int(values[0])  # OverflowError: a cursor holding 1e400 decodes to infinity
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"cursor": _("分页游标无效")})
    if not 0 < last_id < 2**63:  # beyond the database's integers: no id to start below
        raise ValidationError({"cursor": _("分页游标无效")})
    return last_id


def keyset_page(queryset, *, cursor=None, limit=50, branches=None):
    """Newest first by id: the next page starts below the last id seen.

    `branches`: Q objects; the rows are those of the queryset within their union (e.g. one per status of a
    work queue, or one per condition of an OR). Each is read newest first on its own, so each can walk its
    own index, and the ids are merged: one `status IN (...) ORDER BY id DESC` cannot use a (status, ..., id)
    index in id order and slows down page by page, and an OR of conditions on different columns none at
    all. An empty list of branches is an empty page.
    """
    limit = max(1, min(int(limit or 50), MAX_PAGE))
    last_id = _cursor_id(cursor)
    qs = queryset.order_by("-id")
    if last_id is not None:
        qs = qs.filter(id__lt=last_id)
    if branches is not None and len(branches) != 1:
        ids = set()
        for branch in branches:
            ids.update(qs.filter(branch).values_list("id", flat=True)[:limit + 1])
        top = sorted(ids, reverse=True)[:limit + 1]
        by_id = {row.pk: row for row in queryset.filter(pk__in=top)} if top else {}
        rows = [by_id[i] for i in top if i in by_id]
    else:
        rows = list((qs.filter(branches[0]) if branches else qs)[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor([rows[-1].pk]) if more and rows else None)


def count_capped(queryset, cap, *, branches=None):
    """(count, capped): how many rows keyset_page(queryset, branches=...) pages through, counted up to `cap`.

    With branches, each is counted without the rows of the branches before it, so a row in several is
    counted once, and each count can use its branch's index; counting stops once past the cap. Counting
    a million rows costs more than a page: past the cap the caller shows the cap and says so.
    """
    qs = queryset.order_by()
    if branches is not None:
        branches = _one_column_as_in(branches)
    if branches is None or len(branches) == 1:
        counted = (qs.filter(branches[0]) if branches else qs)[:cap + 1].count()
        return min(counted, cap), counted > cap
    counted = 0
    for i, branch in enumerate(branches):
        part = qs.filter(branch)
        if i:
            part = part.exclude(reduce(operator.or_, branches[:i]))
        counted += part[:cap + 1 - counted].count()
        if counted > cap:
            break
    return min(counted, cap), counted > cap


def _one_column_as_in(branches):
    """Branches that each test one column for one value (status=a, status=b, …) cannot overlap: one IN."""
    tests = [b.children[0] if len(b) == 1 and not b.negated and isinstance(b.children[0], tuple) else None
             for b in branches]
    if not tests or None in tests or len({name for name, _value in tests}) != 1 or LOOKUP_SEP in tests[0][0]:
        return branches
    return [Q(**{f"{tests[0][0]}__in": [value for _name, value in tests]})]


class Tier:
    """One band of an ordered list: rows within the union of `branches` (None: the whole queryset), in ascending
    `field` then id; `field` None: by id alone (e.g. rows whose field is empty, after those with one)."""

    def __init__(self, branches, field=None):
        self.branches = branches if branches is None else list(branches)
        self.field = field


def _tier_cursor(cursor, queryset, tiers):
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        tier, raw, last_id = values
        tier, last_id = int(tier), int(last_id)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"cursor": _("分页游标无效")})
    if not (0 <= tier < len(tiers) and 0 < last_id < 2**63):
        raise ValidationError({"cursor": _("分页游标无效")})
    field = tiers[tier].field
    if field is None:
        return tier, None, last_id
    try:
        value = queryset.model._meta.get_field(field).to_python(raw)
    except (ValidationError, TypeError):
        raise ValidationError({"cursor": _("分页游标无效")})
    if value is None:
        raise ValidationError({"cursor": _("分页游标无效")})
    return tier, value, last_id


def tiered_page(queryset, *, tiers, cursor=None, limit=50):
    """Rows in the order of `tiers` (a list of Tier), each tier by its field then id, ascending; keyset pages.

    Within a tier each branch walks its own (…, field, id) index from where the cursor stopped: `field >= v AND
    (field > v OR id > last)` is a range an index seeks to, so a deep page costs what the first costs. The
    branches' next rows are merged, and the next tier is read only when the page is not full.
    """
    limit = max(1, min(int(limit or 50), MAX_PAGE))
    start = _tier_cursor(cursor, queryset, tiers)
    picked = []  # (tier, value, id)
    for t, tier in enumerate(tiers):
        if start is not None and t < start[0]:
            continue
        qs = queryset.order_by(*(((tier.field,) if tier.field else ()) + ("id",)))
        if start is not None and t == start[0]:
            _t, value, last_id = start
            if tier.field is None:
                qs = qs.filter(id__gt=last_id)
            else:
                qs = qs.filter(**{f"{tier.field}__gte": value}).filter(
                    Q(**{f"{tier.field}__gt": value}) | Q(id__gt=last_id))
        if tier.field is not None:
            qs = qs.filter(**{f"{tier.field}__isnull": False})
        want = limit + 1 - len(picked)
        found = {}
        for branch in (tier.branches if tier.branches is not None else [Q()]):
            cols = ("id", tier.field) if tier.field else ("id",)
            for row in qs.filter(branch).values_list(*cols)[:want]:
                found[row[0]] = row[1] if tier.field else None
        ordered = sorted(found.items(), key=lambda kv: (kv[1], kv[0]) if tier.field else kv[0])[:want]
        picked += [(t, value, pk) for pk, value in ordered]
        if len(picked) > limit:
            break
    more = len(picked) > limit
    picked = picked[:limit]
    by_id = queryset.in_bulk([pk for _t, _v, pk in picked]) if picked else {}
    rows = [by_id[pk] for _t, _v, pk in picked if pk in by_id]
    if not (more and picked):
        return rows, None
    t, value, pk = picked[-1]
    return rows, encode_cursor([t, _plain(value), pk])


def _plain(value):
    """A cursor value as JSON holds it: datetimes and dates in ISO form (to_python reads them back)."""
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return value.isoformat()
