"""One SHA-256 over every row of every gongzhi table: pins what `load_demo` writes, to the last field.

The demo is meant to be the same data on every run, so the digest leaves out only what is not data of the
demo and differs by run, checkout or database:

* Which ids rows of tables filled before the load have: PostgreSQL does not roll its sequences back and a
  transactional test's flush keeps them too, so the categories and the calendar have other ids after other
  tests. Rows are read in primary-key order and each foreign key is written as the position (0, 1, 2 …) of
  the row it points to in its table. The tables the demo fills start empty, and `restart_sequences` makes
  their ids start at 1 on every database, so ids the demo writes into texts (an appeal's number in its
  audit entries, a handler's id in an event's data) are stable too.
* Secrets of the checkout: encrypted fields (`*_enc`, Fernet tokens carry a random IV and the time) are
  decrypted, and a keyed lookup hash (`*_hash` beside its `*_enc`) is written as whether it is the hash of
  that clear value (the key is generated per checkout in var/). A password is written as whether the demo
  password opens it (the salt is random).
* `core.ReferenceStamp.token`: a random nonce that tells other processes to reload cached reference data.

Time is not left out: `freeze_clock` stops `timezone.now` for the load, so every timestamp (the appeals'
history is laid back from "now", deadlines count working days from it) is pinned too.
"""
import datetime
import decimal
import hashlib
import json

from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from gongzhi.core import crypto

NONCES = {("core", "ReferenceStamp", "token")}


def freeze_clock(at, monkeypatch):
    """Until the test ends, `timezone.now()` answers `at`, also as the default of fields declared
    `default=timezone.now`: they hold the function itself, taken before any patch, and Django keeps it again
    in `_get_default` once a row was made."""
    real = timezone.now

    def now():
        return at

    monkeypatch.setattr(timezone, "now", now)
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if f.default is real:
                monkeypatch.setattr(f, "default", now)
                monkeypatch.setattr(f, "_get_default", now)


def restart_sequences():
    """The next id of every gongzhi table is its largest id + 1 (1 when it is empty), as on a database
    that ran no test before."""
    tables = gongzhi_models()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(sql)
        elif connection.vendor == "sqlite":  # AUTOINCREMENT goes on from sqlite_sequence
            for model in tables:
                table, pk = model._meta.db_table, model._meta.pk.column
                cursor.execute(f'UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}") '
                               f"WHERE name = %s", [table])
        else:
            raise NotImplementedError(connection.vendor)


def gongzhi_models():
    mine = (m for m in apps.get_models(include_auto_created=True) if m._meta.app_config.name.startswith("gongzhi."))
    return sorted(mine, key=lambda m: m._meta.label)


class _Positions:
    """Position of a row in its table by primary key, the id-free stand-in for a foreign key."""

    def __init__(self):
        self.by_model = {}

    def __call__(self, model, pk):
        model = model._meta.concrete_model
        if model not in self.by_model:
            pks = model._base_manager.order_by("pk").values_list("pk", flat=True)
            self.by_model[model] = {p: i for i, p in enumerate(pks)}
        pos = self.by_model[model].get(model._meta.pk.to_python(pk))
        return f"#{pos}" if pos is not None else f"missing:{pk}"


def _text(value, field=None):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # the same places whatever the database hands back
        places = getattr(field, "decimal_places", None)
        return f"{value:.{places}f}" if places is not None else str(value.normalize())
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _row(model, fields, values, position, password):
    named = dict(zip([f.attname for f in fields], values))
    out = []
    for f, value in zip(fields, values):
        key = (model._meta.app_label, model._meta.object_name, f.name)
        if key in NONCES:
            out.append("<nonce>")
        elif f.is_relation and f.many_to_one or f.is_relation and f.one_to_one:
            out.append(None if value is None else position(f.related_model, value))
        elif f.name.endswith("_enc"):
            out.append(["clear", crypto.decrypt(value)] if value else value)
        elif f.name.endswith("_hash") and f"{f.name[:-5]}_enc" in named:
            clear = crypto.decrypt(named[f"{f.name[:-5]}_enc"])
            out.append(["lookup_hash(clear)"] if value is not None and value == crypto.lookup_hash(clear) else value)
        elif model._meta.label == "accounts.User" and f.name == "password":
            out.append(["opens with demo password", bool(value) and check_password(password, value)])
        else:
            out.append(_text(value, f))
    return out


def demo_digest(password, lines=None):
    """(hex digest, {table: row count}) of all gongzhi tables as they are now; `lines`, a list, collects
    what was hashed (to see what differs when the digest does)."""
    h = hashlib.sha256()
    position = _Positions()
    counts = {}
    for model in gongzhi_models():
        # In name order, not declaration order: a field moved into a base class is the same data.
        fields = sorted((f for f in model._meta.concrete_fields
                         if not (f.primary_key and isinstance(f, models.AutoField))), key=lambda f: f.name)
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        head = f"== {model._meta.label} {[f.name for f in fields]}"
        h.update(head.encode() + b"\n")
        if lines is not None:
            lines.append(head)
        n = 0
        for values in rows:
            line = json.dumps(_row(model, fields, values, position, password), ensure_ascii=False, sort_keys=True)
            h.update(line.encode() + b"\n")
            if lines is not None:
                lines.append(line)
            n += 1
        counts[model._meta.label] = n
    return h.hexdigest(), counts
