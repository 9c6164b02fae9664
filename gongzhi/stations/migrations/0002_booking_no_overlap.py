"""On PostgreSQL, the database itself refuses two holding bookings of a room that overlap (btree_gist lets the
room's id share a GiST index with the time range). SQLite has no such constraint: there the service's lock on
the room, which SQLite's single writer makes total, is the guard."""
from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE stations_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (
    room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('pending', 'confirmed'));
"""
DROP = "ALTER TABLE stations_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("stations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
