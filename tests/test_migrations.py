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


@pytest.mark.django_db(transaction=True)
def test_messages_and_deliveries_about_appeal_events_name_them_by_source_and_id(grid):
    """Timelines: rows written while messages and deliveries held foreign keys to appeal events keep their event
    and appeal, as the "appeals" source's event id and subject id; the foreign keys are gone, the once-per-event
    constraints hold per source."""
    from django.db import IntegrityError, connection, transaction
    from django.db.migrations.executor import MigrationExecutor

    from gongzhi.appeals.services import appeal_submit
    from gongzhi.notifications.models import Notification, WebhookDelivery

    g = grid
    appeal = appeal_submit(user=g.resident1, category=g.lift, compound=g.K1, description="3栋电梯停在8楼不动")
    event = appeal.events.get()
    Notification.objects.all().delete()  # the drain ran at the commit: start from nothing
    WebhookDelivery.objects.all().delete()

    before, after = [("notifications", "0003_delivery_claims")], [("notifications", "0004_event_reference")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldNotification = old.get_model("notifications", "Notification")
    OldEndpoint = old.get_model("notifications", "WebhookEndpoint")
    OldDelivery = old.get_model("notifications", "WebhookDelivery")
    told = OldNotification.objects.create(recipient_id=g.community_worker.pk, appeal_id=appeal.pk, event_id=event.pk,
                                          action="submit", title="新诉求待受理：电梯", url=f"/appeals/{appeal.pk}/")
    bare = OldNotification.objects.create(recipient_id=g.resident1.pk, action="note", title="无关联")
    endpoint = OldEndpoint.objects.create(organisation_id=g.property_co.pk, url="https://hooks.example.cn/",
                                          secret_enc="x")
    sent = OldDelivery.objects.create(endpoint=endpoint, event_id=event.pk, action="submit", payload={"event": "submit"})
    orphan = OldDelivery.objects.create(endpoint=endpoint, event_id=None, action="submit", payload={})

    MigrationExecutor(connection).migrate(after)
    # Then on to the latest: the current model is read below, with the columns added since.
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes("notifications"))

    rows = {n.pk: (n.source, n.event_id, n.subject_id, n.action, n.url) for n in Notification.objects.all()}
    assert rows == {told.pk: ("appeals", event.pk, appeal.pk, "submit", f"/appeals/{appeal.pk}/"),
                    bare.pk: ("appeals", None, None, "note", "")}
    deliveries = dict(WebhookDelivery.objects.values_list("pk", "source"))
    assert deliveries == {sent.pk: "appeals", orphan.pk: "appeals"}
    assert WebhookDelivery.objects.get(pk=sent.pk).event_id == event.pk
    assert WebhookDelivery.objects.get(pk=orphan.pk).event_id is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=g.community_worker, source="appeals", event_id=event.pk, action="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(endpoint_id=endpoint.pk, source="appeals", event_id=event.pk, payload={})
    # Another timeline's event of the same id is another event; an id no appeal event has is no longer refused.
    Notification.objects.create(recipient=g.community_worker, source="chores", event_id=event.pk, action="x")
    WebhookDelivery.objects.create(endpoint_id=endpoint.pk, source="chores", event_id=event.pk + 10**9, payload={})
