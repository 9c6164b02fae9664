"""Inbox messages written before free text was masked in them (issue 7): masked now, as new ones are."""
from django.db import migrations

BATCH = 1000


def mask(apps, schema_editor):
    from gongzhi.core.identity import redact_identifiers

    Notification = apps.get_model("notifications", "Notification")
    changed = []
    for n in Notification.objects.only("id", "title", "body").order_by("id").iterator(chunk_size=BATCH):
        title, body = redact_identifiers(n.title)[:200], redact_identifiers(n.body)
        if (title, body) != (n.title, n.body):
            n.title, n.body = title, body
            changed.append(n)
        if len(changed) >= BATCH:
            Notification.objects.bulk_update(changed, ["title", "body"])
            changed = []
    if changed:
        Notification.objects.bulk_update(changed, ["title", "body"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(mask, migrations.RunPython.noop, elidable=True),
    ]
