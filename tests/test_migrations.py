from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as e:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}") if e.code else None


@pytest.mark.django_db
def test_audit_entries_and_messages_written_before_the_masking_are_masked(cast):
    """Issue 7: rows written before names and texts were masked hold clear numbers; the data migrations mask them."""
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from gongzhi.core.models import AuditEntry
    from gongzhi.notifications.models import Notification

    entry = AuditEntry.objects.create(action="update", object_type="appeals.appeal", object_id="7",
                                      object_repr="20261207-7 电话13912345678", detail="身份证440102199001011237",
                                      changes={"note": ["", "请拨 139 1234 5678"], "count": [1, 2]})
    untouched = AuditEntry.objects.create(action="update", object_repr="20261207-8 路灯坏了", changes={"n": [1, 2]})
    message = Notification.objects.create(recipient=cast.resident1, action="reply", title="您的诉求有新答复：电话13912345678",
                                          body="说明：业主身份证440102199001011237")
    loader = MigrationLoader(connection)
    for app, name in (("core", "0005_mask_identifiers_in_audit"), ("notifications", "0002_mask_identifiers_in_messages")):
        # The models as the migration sees them (the audit log's append-only manager is not theirs).
        apps = loader.project_state((app, name)).apps
        importlib.import_module(f"gongzhi.{app}.migrations.{name}").mask(apps, None)
    entry.refresh_from_db()
    assert (entry.object_repr, entry.detail, entry.changes) == (
        "20261207-7 电话139****5678", "身份证440102********1237", {"note": ["", "请拨 139****5678"], "count": [1, 2]})
    assert AuditEntry.objects.get(pk=untouched.pk).object_repr == "20261207-8 路灯坏了"
    message.refresh_from_db()
    assert (message.title, message.body) == ("您的诉求有新答复：电话139****5678", "说明：业主身份证440102********1237")
