"""Background tasks (django-tasks): the fan-out of one appeal event, emails, webhook attempts.

appeals.notify.on_event enqueues `fan_out_event` once the change has
committed. It creates the inbox messages and webhook deliveries, then
enqueues the emails and one `deliver_webhook` per delivery. A failed
attempt is enqueued again to run after its back-off (1 min, 5 min, 30 min,
2 h, 12 h; the sixth failure gives up) with Task.using(run_after=…), which
the database backend supports. Backends that cannot defer (the immediate
backend of the tests) leave the retry to the sweep: `manage.py
webhooks_retry`, which re-enqueues whatever is due.
"""
import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import services
from .models import DeliveryStatus

log = logging.getLogger(__name__)


def _can_defer(t):
    return t.get_backend().supports_defer


@task()
def fan_out_event(event_id):
    to_mail, to_send = services.fan_out(event_id)
    if to_mail:
        transaction.on_commit(partial(send_notification_emails.enqueue, to_mail), robust=True)
    for pk in to_send:
        transaction.on_commit(partial(deliver_webhook.enqueue, pk), robust=True)
    return {"emails": len(to_mail), "deliveries": len(to_send)}


@task()
def send_notification_emails(notification_ids, attempt=1):
    unsent = services.send_emails(notification_ids)
    if unsent and attempt <= len(services.EMAIL_RETRY_DELAYS) and _can_defer(send_notification_emails):
        run_after = timezone.now() + services.EMAIL_RETRY_DELAYS[attempt - 1]
        send_notification_emails.using(run_after=run_after).enqueue(unsent, attempt + 1)
    elif unsent:
        log.error("giving up emailing notifications %s", unsent)
    return {"unsent": len(unsent)}


@task()
def deliver_webhook(delivery_id):
    d = services.attempt_delivery(delivery_id)
    if d is None:
        return None
    if d.status == DeliveryStatus.FAILED:
        schedule_retry(d)
    return {"status": d.status, "attempts": d.attempts}


def schedule_retry(delivery):
    """Enqueue the next attempt to run at delivery.next_attempt_at, where the backend can defer."""
    if delivery.next_attempt_at is None or not _can_defer(deliver_webhook):
        return None
    return deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
