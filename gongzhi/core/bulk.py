"""Many new rows of one model written with one statement, for batch writers (the resident import).

Kept here, not in an app, because nothing in it knows any app's models: it works from a model's fields.
"""
import operator
import types

from django.db import DEFAULT_DB_ALIAS, connections


class Record(types.SimpleNamespace):
    """A new row while its batch is built: plain attributes named like the model's fields' attnames."""


class BulkInsert:
    """INSERT … VALUES of many new rows with one executemany.

    Django's bulk_create sends every value through several generic layers
    (pre_save, get_db_prep_save, placeholders per value); for the 30,000
    residents of an import file that costs about as much as reading the
    file. Here the columns and each column's adapter are worked out once from
    the model's fields, so a field added to the model is inserted too (its
    default when a record does not set it). Records carry attributes named
    like the fields' attnames; primary keys are not returned (the caller
    looks them up).
    """

    _PLAIN = {"CharField", "TextField", "SlugField", "EmailField", "IntegerField", "SmallIntegerField",
              "BigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField",
              "ForeignKey", "OneToOneField", "BooleanField"}

    def __init__(self, model, using=DEFAULT_DB_ALIAS):
        self.connection = connections[using]
        ops = self.connection.ops
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.adapters = [self._adapter(f) for f in self.fields]
        self.attnames = {f.attname for f in self.fields}
        self.by_attname = {f.attname: f for f in self.fields}
        self.getter = operator.itemgetter(*[f.attname for f in self.fields])
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"

    def _adapter(self, field):
        ops = self.connection.ops
        kind = field.get_internal_type()
        if kind in self._PLAIN:
            return None
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        if kind == "DateField":
            return ops.adapt_datefield_value
        if kind == "DecimalField":
            return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        return lambda v: field.get_db_prep_save(v, self.connection)

    def insert(self, records):
        wanted = self.attnames
        adapted = [(i, adapt, {}) for i, adapt in enumerate(self.adapters) if adapt is not None]
        rows = []
        for rec in records:
            values = rec.__dict__
            for attname in wanted - values.keys():  # not set by the record: the field's default
                values[attname] = self.by_attname[attname].get_default()
            row = list(self.getter(values))
            for i, adapt, memo in adapted:
                v = row[i]
                if v is not None:
                    # A batch shares one timestamp: adapt each distinct value once.
                    got = memo.get(v)
                    if got is None:
                        got = memo[v] = adapt(v)
                    row[i] = got
            rows.append(row)
        with self.connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)

