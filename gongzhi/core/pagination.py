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


def keyset_page(queryset, *, cursor=None, limit=50):
    """Newest first by id: the next page starts below the last id seen."""
    limit = max(1, min(int(limit or 50), MAX_PAGE))
    values = decode_cursor(cursor)
    qs = queryset.order_by("-id")
    if values is not None:
        try:
            last_id = int(values[0])  # OverflowError: a cursor holding 1e400 decodes to infinity
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({"cursor": _("分页游标无效")})
        if not 0 < last_id < 2**63:  # beyond the database's integers: no id to start below
            raise ValidationError({"cursor": _("分页游标无效")})
        qs = qs.filter(id__lt=last_id)
    rows = list(qs[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor([rows[-1].pk]) if more and rows else None)
