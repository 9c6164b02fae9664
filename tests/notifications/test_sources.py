"""A timeline that is not the appeals' (tests/notifications/chores.py) is heard like theirs: inbox, e-mail and
webhooks, once, through the same outbox, by registering a source and nothing else."""
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from gongzhi.core import timeline
from gongzhi.notifications import services, tasks
from gongzhi.notifications.models import DeliveryStatus, Notification, WebhookDelivery

from .chores import Chore, ChoreEvent, ChoreTimeline, create_tables, record

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def _chore_tables(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        create_tables()


@pytest.fixture
def chores(_chore_tables, db):
    source = timeline.register(ChoreTimeline())
    yield source
    timeline.unregister(source.label)


@pytest.fixture
def chore(chores, emails):
    return Chore.objects.create(title="清理三楼楼道", assignee=emails.property1, organisation=emails.property_co)


def told(user, source=None):
    qs = Notification.objects.filter(recipient=user).order_by("id")
    return list(qs.filter(source=source) if source else qs)


def test_its_events_reach_inbox_mail_and_webhooks(emails, chore, receiver, api, django_capture_on_commit_callbacks):
    g = emails
    services.webhook_create(user=g.community_worker, organisation=g.property_co, url=receiver.url,
                            events=["chore_done"])
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            assigned = record(chore, g.community_worker, "chore_assign", note="周五前完成")
            done = record(chore, g.property1, "chore_done", note="已清理")
    assert len(callbacks) == 1 and Notification.objects.count() == 0  # one for the transaction, nothing else
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()  # it commits
    assert not ChoreEvent.objects.filter(notify_pending=True).exists()

    [n] = told(g.property1)  # of the assignment; not of their own act
    assert (n.source, n.event_id, n.subject_id, n.action) == ("chores", assigned.pk, chore.pk, "chore_assign")
    assert (n.title, n.body, n.url) == ("清理三楼楼道: chore_assign (assignee)", "周五前完成", f"/chores/{chore.pk}/")
    assert told(g.community_worker) == []
    [m] = mail.outbox
    assert m.to == ["p1@example.cn"] and m.subject == "【共治】清理三楼楼道: chore_assign (assignee)"
    assert f"https://gongzhi.example.cn/chores/{chore.pk}/" in m.body

    [d] = WebhookDelivery.objects.all()  # the endpoint subscribed to chore_done only
    assert (d.source, d.event_id, d.action, d.status) == ("chores", done.pk, "chore_done", DeliveryStatus.SUCCEEDED)
    [request] = receiver.requests
    assert request["headers"]["x-gongzhi-event"] == "chore_done"
    assert json.loads(request["body"]) == {"event": "chore_done", "chore": "清理三楼楼道", "at": done.at.isoformat()}

    [item] = api.get(g.property1, "/api/v1/notifications").json()["items"]
    assert item["action"] == "chore_assign" and item["url"] == f"/chores/{chore.pk}/"
    assert item["appeal_id"] is None  # not an appeal's


def test_an_event_id_shared_with_an_appeal_event_names_two_events(emails, chore, flow,
                                                                  django_capture_on_commit_callbacks):
    g = emails
    appeal = flow.submit()  # the desk hears of it
    event = appeal.events.get()
    chore.assignee = g.community_worker
    chore.save()
    with django_capture_on_commit_callbacks(execute=True):
        record(chore, None, "chore_assign", id=event.pk)
    assert [(n.source, n.event_id, n.subject_id) for n in told(g.community_worker)] == [
        ("appeals", event.pk, appeal.pk), ("chores", event.pk, chore.pk)]
    # Each once, the fan-out of either run again notwithstanding.
    services.fan_out(event.pk)
    services.fan_out(event.pk, "chores")
    assert len(told(g.community_worker)) == 2


def test_one_drain_takes_every_timeline_in_batches(emails, chore, submit, monkeypatch):
    monkeypatch.setattr(services, "DRAIN_BATCH", 2)
    for _ in range(3):
        submit()
    for _ in range(2):
        record(chore, None, "chore_assign")
    assert services.drain_batch() == 4  # a batch of each: two appeal events, two chores; an appeal event left
    assert services.drain_batch() == 1
    assert len(told(emails.community_worker, "appeals")) == 3 and len(told(emails.property1, "chores")) == 2
    assert tasks.drain_notifications.call() == {"events": 0}
    assert services.pending_exist() is False


def test_muted_history_tells_nobody(emails, chore, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, timeline.muted():
        event = record(chore, emails.community_worker, "chore_assign")
    assert callbacks == [] and not event.notify_pending and Notification.objects.count() == 0
    assert tasks.sweep_outbox() == "idle"


def test_the_safety_net_sweeps_it_too(emails, chore):
    record(chore, emails.community_worker, "chore_assign")  # committed; the request died before asking for a drain
    assert tasks.sweep_outbox() == "queued"  # the immediate backend drains right there
    assert len(told(emails.property1, "chores")) == 1 and tasks.sweep_outbox() == "idle"


def test_webhooks_subscribe_to_its_events_by_name(emails, chores):
    g = emails
    endpoint, _ = services.webhook_create(user=g.community_worker, organisation=g.property_co,
                                          url="http://127.0.0.1:9/hook", events=["chore_done", "submit"])
    assert endpoint.events == ["submit", "chore_done"]  # in the order the sources name them
    with pytest.raises(ValidationError):
        services.webhook_create(user=g.community_worker, organisation=g.property_co, url="http://127.0.0.1:9/x",
                                events=["chore_lost"])


def test_deleting_its_events_takes_their_messages(emails, chore, flow, receiver,
                                                 django_capture_on_commit_callbacks):
    """As the foreign keys to appeal events did: messages go (CASCADE), deliveries stay without it (SET_NULL);
    another timeline's event of the same id keeps what it was told."""
    g = emails
    services.webhook_create(user=g.community_worker, organisation=g.property_co, url=receiver.url)
    dispatch = flow.dispatched().events.get(action="dispatch")  # property1 and the endpoint hear of it
    other = Chore.objects.create(title="另一项", assignee=g.property1, organisation=g.property_co)
    with django_capture_on_commit_callbacks(execute=True):
        record(chore, g.community_worker, "chore_assign", id=dispatch.pk)
        kept = record(other, g.community_worker, "chore_assign", id=dispatch.pk + 1000)
    assert Notification.objects.filter(source="chores").count() == 2
    ChoreEvent.objects.filter(chore=chore).delete()  # what was told of them goes with them
    assert list(Notification.objects.filter(source="chores").values_list("event_id", flat=True)) == [kept.pk]
    assert sorted(WebhookDelivery.objects.values_list("source", "event_id"), key=lambda d: (d[0], d[1] or 0)) == [
        ("appeals", dispatch.pk), ("chores", None), ("chores", kept.pk)]
    assert [n.event_id for n in told(g.property1, "appeals")] == [dispatch.pk]
