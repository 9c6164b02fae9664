"""The duplicate-suggestion index over open appeals (see gongzhi/appeals/similar.py).

SQLite: an FTS5 table of character bigrams kept in sync by triggers.
PostgreSQL: a bigram tsvector table with a GIN index, kept in sync by triggers.
Other databases: nothing (the selector falls back to a substring search).

The SQL lives in similar.py because the selector also uses it to put the
SQLite triggers back after a later migration rebuilds appeals_appeal.
"""
from django.db import migrations


def forwards(apps, schema_editor):
    from gongzhi.appeals import similar

    similar.install(schema_editor.connection, rebuild=True)


def backwards(apps, schema_editor):
    from gongzhi.appeals import similar

    similar.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("appeals", "0003_appealphoto"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
