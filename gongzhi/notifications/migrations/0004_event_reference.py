"""Messages and webhook deliveries name their event by source and id, not by a foreign key to appeals.

Every row so far is about an appeal event: its event column keeps the event's id, the appeal column becomes
the subject's (renamed), and the new source column reads "appeals" for all of them. That label is written as
the column is added (a one-off default): PostgreSQL records it without rewriting the table, however many rows
it holds. The foreign keys' constraints and indexes go; (source, event id) is indexed instead, and the
once-per-event constraints are over it.
"""
from django.db import migrations, models

FIRST_SOURCE = "appeals"


def _reference(verbose_name, column):
    return models.BigIntegerField(verbose_name, null=True, blank=True, db_column=column)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_delivery_claims"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="notification", name="notification_once_per_event"),
        migrations.RemoveConstraint(model_name="webhookdelivery", name="webhook_delivery_once_per_event"),
        migrations.SeparateDatabaseAndState(
            # The columns stay with their values (the appeal's is renamed); only the constraints go.
            database_operations=[
                migrations.AlterField(model_name="notification", name="event", field=_reference("事件", "event_id")),
                migrations.AlterField(model_name="notification", name="appeal",
                                      field=_reference("对象", "subject_id")),
                migrations.AlterField(model_name="webhookdelivery", name="event",
                                      field=_reference("事件", "event_id")),
            ],
            state_operations=[
                migrations.RemoveField(model_name="notification", name="event"),
                migrations.RemoveField(model_name="notification", name="appeal"),
                migrations.RemoveField(model_name="webhookdelivery", name="event"),
                migrations.AddField(model_name="notification", name="event_id",
                                    field=models.BigIntegerField(blank=True, null=True, verbose_name="事件")),
                migrations.AddField(model_name="notification", name="subject_id",
                                    field=models.BigIntegerField(blank=True, editable=False, null=True,
                                                                 verbose_name="对象")),
                migrations.AddField(model_name="webhookdelivery", name="event_id",
                                    field=models.BigIntegerField(blank=True, null=True, verbose_name="事件")),
            ],
        ),
        migrations.AddField(model_name="notification", name="source",
                            field=models.CharField(blank=True, default=FIRST_SOURCE, max_length=40,
                                                   verbose_name="来源"),
                            preserve_default=False),
        migrations.AddField(model_name="webhookdelivery", name="source",
                            field=models.CharField(blank=True, default=FIRST_SOURCE, max_length=40,
                                                   verbose_name="来源"),
                            preserve_default=False),
        migrations.AddIndex(model_name="notification",
                            index=models.Index(fields=["source", "event_id"], name="notification_event_idx")),
        migrations.AddIndex(model_name="webhookdelivery",
                            index=models.Index(fields=["source", "event_id"], name="webhook_delivery_event_idx")),
        migrations.AddConstraint(model_name="notification", constraint=models.UniqueConstraint(
            condition=models.Q(("event_id__isnull", False)), fields=("recipient", "source", "event_id"),
            name="notification_once_per_event")),
        migrations.AddConstraint(model_name="webhookdelivery", constraint=models.UniqueConstraint(
            condition=models.Q(("event_id__isnull", False)), fields=("endpoint", "source", "event_id"),
            name="webhook_delivery_once_per_event")),
    ]
