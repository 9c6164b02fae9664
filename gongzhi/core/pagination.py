"""Keyset (cursor) pagination: page 1,000 costs what page 1 costs."""
import base64
import binascii
import json

from django.core.exceptions import ValidationError
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

    `branches`: Q objects whose union is the queryset (e.g. one per status of a work queue). Each is read
    newest first on its own, so each can walk its own index, and the ids are merged: one `status IN (...)
    ORDER BY id DESC` cannot use a (status, ..., id) index in id order and slows down page by page.
    """
    limit = max(1, min(int(limit or 50), MAX_PAGE))
    last_id = _cursor_id(cursor)
    qs = queryset.order_by("-id")
    if last_id is not None:
        qs = qs.filter(id__lt=last_id)
    if branches and len(branches) > 1:
        ids = set()
        for branch in branches:
            ids.update(qs.filter(branch).values_list("id", flat=True)[:limit + 1])
        top = sorted(ids, reverse=True)[:limit + 1]
        by_id = {row.pk: row for row in queryset.filter(pk__in=top)}
        rows = [by_id[i] for i in top if i in by_id]
    else:
        rows = list(qs[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor([rows[-1].pk]) if more and rows else None)
