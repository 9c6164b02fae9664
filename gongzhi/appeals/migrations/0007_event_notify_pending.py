from django.db import migrations, models


class AddFlagInPlace(migrations.AddField):
    """On SQLite, ADD COLUMN with a constant default instead of Django's copy of the whole timeline table
    (it rebuilds the table for any NOT NULL column); existing rows read False, as on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} "
                              f"ADD COLUMN {quote(self.name)} bool NOT NULL DEFAULT 0")


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0006_status_recent_index'),
    ]

    operations = [
        AddFlagInPlace(
            model_name='appealevent',
            name='notify_pending',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name='appealevent',
            index=models.Index(condition=models.Q(('notify_pending', True)), fields=['id'], name='appeal_event_pending_idx'),
        ),
    ]
