"""Reference data each process keeps in memory: categories, routing rules, organisations and what they cover,
compounds, the holiday calendar, Open311 keys.

Every appeal reads them and they change a few times a month; loading them through the ORM on each request was
most of what an appeal cost. A process keeps what it loaded while the one-row stamp (ReferenceStamp) still holds
the token it was loaded under. Every write to a watched model puts a new token there inside the writing
transaction (post_save / post_delete; bump() after bulk writes, which send no signals), so:

- other processes reload as soon as the write commits (they read the stamp once per request: one small query);
- the writing process sees its own change at once;
- a write that rolls back leaves the old token behind, which no longer matches what the writer loaded meanwhile,
  so the writer reloads as well.

Tokens are random, not counters: a rolled-back change and a later, different one never share a token.
Cached objects are shared by every request of the process: read them, never change them.
"""
import secrets
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_delete, post_save

from .middleware import current_request

_READ = "SELECT token FROM core_referencestamp WHERE id = 1"
_WRITE = ("INSERT INTO core_referencestamp (id, token) VALUES (1, %s) "
          "ON CONFLICT (id) DO UPDATE SET token = excluded.token")
_UNSET = object()
_TOKEN_ATTR = "_gz_reference_token"
_DIRTY_ATTR = "_gz_reference_dirty"


def _read_token():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_READ)
        row = cursor.fetchone()
    return row[0] if row else None


def token():
    """The stamp's token: read once per request; every time outside a request, or after this request wrote."""
    request = current_request()
    if request is None or getattr(request, _DIRTY_ATTR, False):
        return _read_token()
    value = getattr(request, _TOKEN_ATTR, _UNSET)
    if value is _UNSET:
        value = _read_token()
        setattr(request, _TOKEN_ATTR, value)
    return value


def bump(using=DEFAULT_DB_ALIAS):
    """Tell every process that reference data changed (part of the caller's transaction, if any)."""
    with connections[using].cursor() as cursor:
        cursor.execute(_WRITE, [secrets.token_hex(16)])
    request = current_request()
    if request is not None:
        setattr(request, _DIRTY_ATTR, True)


def cached(loader):
    """`loader()` computed once per process and token. The token is read before loading, so what is kept is
    never older than the token it is kept under."""
    slot = [(_UNSET, None)]

    @wraps(loader)
    def get():
        current = token()
        held, value = slot[0]
        if held is _UNSET or held != current:
            value = loader()
            slot[0] = (current, value)
        return value

    return get


def _changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    bump(using)


def watch(*models):
    """Writes to these models change reference data."""
    for model in models:
        uid = f"gongzhi.reference.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")
