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
