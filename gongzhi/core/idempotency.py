"""Idempotent POSTs, as in the IETF httpapi draft "The Idempotency-Key HTTP Header Field".

A client that may send a POST again (its answer was lost: a timeout, a server killed just after the
commit) sends a key of its own making with it, unique per intended operation (a UUID). The first request
with the key does the work and, in the same transaction, keeps its answer under the key; a request again
with the same key, from the same client, for the same operation and with the same content gets that
answer (same status and body) and writes nothing. The same key with other content is refused (422); a
request again while the first is still being worked on gets a conflict (409) and never a second piece of
work. On PostgreSQL the first holds a transaction-level advisory lock on the key, so the second is told at
once; SQLite lets one writer at a time, so there the second waits for the first to commit and then gets
its answer. An answer that is an error is not kept (nothing was written): a request again with the key
does the work anew. Keys are kept IDEMPOTENCY_KEY_HOURS (24 by default), then removed by the deadline
watch (purge_expired).
"""
import datetime
import hashlib
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_MAX = 255
_PRINTABLE = re.compile(r"[\x20-\x7e]+")


class InFlight(Exception):
    """The first request with this key is still being worked on (409)."""


class Mismatch(Exception):
    """The key was used for a request with other content (422)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    replayed: bool = False


def parse_key(raw, *, field=HEADER):
    """The key a client sent (None when it sent none). The draft's form is a quoted string ("…");
    a bare value is taken too. Raises ValidationError naming `field` when it is empty, too long or not
    printable ASCII."""
    if raw is None:
        return None
    key = str(raw).strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not key:
        raise ValidationError({field: _("幂等键不能为空")})
    if len(key) > KEY_MAX or not _PRINTABLE.fullmatch(key):
        raise ValidationError({field: _("幂等键应为不超过 %(n)d 个可打印 ASCII 字符") % {"n": KEY_MAX}})
    return key


def fingerprint(content):
    """SHA-256 of the request's content (anything JSON can hold), the same for the same content."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_number(operation, owner, key):
    digest = hashlib.sha256(f"{operation}\n{owner}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _hold(operation, owner, key):
    """Take the key for this transaction; False when another transaction holds it (PostgreSQL). Elsewhere
    the transaction itself holds the database's write lock, which serialises requests."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_number(operation, owner, key)])
        return cursor.fetchone()[0]


def once(*, operation, owner, key, content, produce, now=None):
    """produce() at most once for (operation, owner, key): its Answer, or the kept answer of the first.

    produce() runs inside the transaction that keeps its answer, so its writes and the key commit together
    or not at all. An answer of status 400 or more is neither kept nor committed. Raises InFlight or
    Mismatch; whatever produce() raises rolls back and propagates.
    """
    digest = fingerprint(content)
    now = now or timezone.now()
    with transaction.atomic():
        if not _hold(operation, owner, key):
            raise InFlight
        kept = IdempotencyKey.objects.filter(operation=operation, owner=owner, key=key).first()
        if kept is not None and kept.expires_at <= now:
            kept.delete()
            kept = None
        if kept is not None:
            if kept.fingerprint != digest:
                raise Mismatch
            return Answer(kept.status, kept.body, replayed=True)
        answer = produce()
        if answer.status >= 400:
            transaction.set_rollback(True)
            return answer
        IdempotencyKey.objects.create(operation=operation, owner=owner, key=key, fingerprint=digest,
                                      status=answer.status, body=answer.body, created_at=now,
                                      expires_at=now + datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS))
        return answer


def purge_expired(now=None):
    return IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]
