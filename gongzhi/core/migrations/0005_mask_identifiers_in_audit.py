"""The audit log's names and texts written before they were masked (issue 7): masked now, as new entries are."""
from django.db import migrations

BATCH = 1000


def mask(apps, schema_editor):
    from gongzhi.core.audit import masked
    from gongzhi.core.identity import redact_identifiers

    AuditEntry = apps.get_model("core", "AuditEntry")
    changed = []
    for e in AuditEntry.objects.only("id", "object_repr", "detail", "changes").order_by("id").iterator(chunk_size=BATCH):
        after = (redact_identifiers(e.object_repr)[:200], redact_identifiers(e.detail)[:500], masked(e.changes))
        if after != (e.object_repr, e.detail, e.changes):
            e.object_repr, e.detail, e.changes = after
            changed.append(e)
        if len(changed) >= BATCH:
            AuditEntry.objects.bulk_update(changed, ["object_repr", "detail", "changes"])
            changed = []
    if changed:
        AuditEntry.objects.bulk_update(changed, ["object_repr", "detail", "changes"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_reference_stamp"),
    ]

    operations = [
        migrations.RunPython(mask, migrations.RunPython.noop, elidable=True),
    ]
