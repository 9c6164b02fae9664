"""Every write of the notifications app.

The fan-out, the emails and the webhook attempts run in the background
worker (tasks.py calls them); the inbox marks and the webhook endpoint
management run in requests. Endpoint changes are policy-checked (A.ORG_CHANGE
over the organisation, or a superuser) and audited.
"""
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import A, require
from gongzhi.appeals.models import AppealEvent
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from . import webhooks
from .models import (MAX_ATTEMPTS, OPEN_DELIVERY, RETRY_DELAYS, DeliveryStatus, Notification, WebhookDelivery,
                     WebhookEndpoint)
from .recipients import ACTIONS, organisations_for, recipients_for
from .texts import appeal_url, message

log = logging.getLogger(__name__)

ENDPOINTS_PER_ORG = 10
DESCRIPTION_MAX = 100
EMAIL_RETRY_DELAYS = RETRY_DELAYS[:3]


# ---- the fan-out (background) ------------------------------------------------------------------

def fan_out(event_id):
    """Turn one timeline row into inbox messages and webhook deliveries.

    Returns (ids of messages to email, ids of deliveries to send). Safe to run
    twice for one event: each recipient and each endpoint gets it once.
    """
    event = (AppealEvent.objects.select_related("appeal__category", "appeal__compound__community", "appeal__handler")
             .filter(pk=event_id).first())
    if event is None:
        return [], []
    appeal = event.appeal
    parties = recipients_for(event)
    active = User.objects.filter(pk__in=parties, is_active=True).values_list("pk", flat=True) if parties else []
    rows = [Notification(recipient_id=uid, appeal=appeal, event=event, action=event.action,
                         url=appeal_url(appeal.pk), **message(event, parties[uid])) for uid in active]
    orgs = organisations_for(event)
    # An endpoint hears of what happens after it was registered, not of the history before it.
    endpoints = [ep for ep in WebhookEndpoint.objects.filter(organisation_id__in=orgs, is_active=True,
                                                             created_at__lte=event.at)
                 if ep.wants(event.action)] if orgs else []
    now = timezone.now()
    with transaction.atomic():
        if rows:
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
        if endpoints:
            payload = webhooks.payload_for(event)
            WebhookDelivery.objects.bulk_create([
                WebhookDelivery(endpoint=ep, event=event, action=event.action, payload=payload, next_attempt_at=now)
                for ep in endpoints], ignore_conflicts=True)
        to_mail = list(Notification.objects.filter(event=event, emailed_at__isnull=True)
                       .exclude(recipient__email="").values_list("pk", flat=True)) if rows else []
        to_send = list(WebhookDelivery.objects.filter(event=event, status=DeliveryStatus.PENDING, attempts=0)
                       .values_list("pk", flat=True)) if endpoints else []
    return to_mail, to_send


# ---- email (background) -----------------------------------------------------------------------

def email_subject(n):
    with override(settings.LANGUAGE_CODE):
        return _("【共治】%s") % n.title


def email_body(n):
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with override(settings.LANGUAGE_CODE):
        link = _("查看详情：%s") % f"{site}{n.url}" if n.url else ""
        return "\n\n".join(part for part in (n.title, n.body, link,
                                             _("此邮件由系统自动发送，请勿直接回复。")) if part)


def send_emails(notification_ids):
    """Email the messages not emailed yet, one message per recipient. Returns the ids still unsent."""
    pending = list(Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True,
                                               recipient__is_active=True)
                   .exclude(recipient__email="").select_related("recipient").order_by("id"))
    if not pending:
        return []
    sent, unsent = [], [n.pk for n in pending]
    try:
        with get_connection() as connection:
            for n in pending:
                EmailMessage(email_subject(n), email_body(n), to=[n.recipient.email], connection=connection).send()
                sent.append(n.pk)
                unsent.remove(n.pk)
    except Exception:  # noqa: BLE001 - any mail failure is retried later; the rest of the work stands
        log.warning("sending notification emails failed; %d left for a retry", len(unsent), exc_info=True)
    finally:
        if sent:
            Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return unsent


# ---- webhook attempts (background) ------------------------------------------------------------

def attempt_delivery(delivery_id, *, now=None):
    """Make one attempt at a delivery that is due; record the outcome and when to try again.

    Returns the delivery (None when it no longer exists). A delivery already
    done, not due yet, or being attempted by another worker is left alone.
    """
    d = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if d is None or d.status not in OPEN_DELIVERY:
        return d
    now = now or timezone.now()
    if d.next_attempt_at and d.next_attempt_at > now:
        return d
    if not d.endpoint.is_active:
        d.status, d.next_attempt_at, d.last_error = DeliveryStatus.GAVE_UP, None, _("接收端已停用")
        d.save(update_fields=["status", "next_attempt_at", "last_error"])
        return d
    claimed = (WebhookDelivery.objects.filter(pk=d.pk, attempts=d.attempts, status__in=OPEN_DELIVERY)
               .update(attempts=F("attempts") + 1, last_attempt_at=now))
    if not claimed:
        d.refresh_from_db()
        return d
    d.attempts += 1
    d.last_attempt_at = now
    ok, code, error = webhooks.post(d.endpoint.url, secret=d.endpoint.secret, body=webhooks.encode(d.payload),
                                    action=d.action, delivery_id=d.pk)
    d.last_status_code, d.last_error = code, (error or "")[:500]
    if ok:
        d.status, d.next_attempt_at, d.delivered_at = DeliveryStatus.SUCCEEDED, None, timezone.now()
    elif d.attempts >= MAX_ATTEMPTS:
        d.status, d.next_attempt_at = DeliveryStatus.GAVE_UP, None
    else:
        d.status, d.next_attempt_at = DeliveryStatus.FAILED, now + RETRY_DELAYS[d.attempts - 1]
    d.save(update_fields=["status", "next_attempt_at", "last_status_code", "last_error", "delivered_at"])
    return d


def due_delivery_ids(now=None, limit=1000):
    """Deliveries waiting for an attempt whose time has come (for the retry sweep)."""
    now = now or timezone.now()
    return list(WebhookDelivery.objects.filter(status__in=OPEN_DELIVERY, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


# ---- the inbox (requests) ---------------------------------------------------------------------

def notification_mark_read(*, user, notification_id):
    """Mark one of the user's own messages read; anyone else's is 404. Not audited: it changes no record of others."""
    n = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if n is None:
        raise Http404
    if n.read_at is None:
        n.read_at = timezone.now()
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=n.read_at)
    return n


def notification_mark_all_read(*, user):
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


# ---- webhook endpoints (requests) -------------------------------------------------------------

def _clean_events(events):
    if events in (None, ""):
        return []
    if isinstance(events, str):
        events = [e for e in (x.strip() for x in events.replace("，", ",").split(",")) if e]
    if not isinstance(events, (list, tuple, set)) or not all(isinstance(e, str) for e in events):
        raise ValidationError({"events": _("事件应为动作名称的列表")})
    unknown = sorted(set(events) - set(ACTIONS))
    if unknown:
        raise ValidationError({"events": _("未知事件：%s") % _("、").join(unknown)})
    return sorted(set(events), key=ACTIONS.index)


@transaction.atomic
def webhook_create(*, user, organisation, url, events=(), description=""):
    """Register a receiver for an organisation. Returns (endpoint, secret); the secret is shown this once."""
    require(user, A.ORG_CHANGE, organisation)
    errors = {}
    try:
        url = webhooks.check_url(url)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        events = _clean_events(events)
    except ValidationError as e:
        errors.update(e.message_dict)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("说明不能超过%d个字") % DESCRIPTION_MAX]
    if errors:
        raise ValidationError(errors)
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= ENDPOINTS_PER_ORG:
        raise ValidationError({"url": _("每个组织最多登记%d个接收端") % ENDPOINTS_PER_ORG})
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(organisation=organisation, url=url, events=events, description=description,
                               created_by=user if user.is_authenticated else None)
    endpoint.set_secret(secret)
    endpoint.save()
    audit(AuditAction.CREATE, user=user, obj=endpoint,
          changes={"organisation": [None, organisation.pk], "url": [None, url], "events": [None, events],
                   "secret": [None, "***"]})
    return endpoint, secret


@transaction.atomic
def webhook_delete(*, user, endpoint):
    require(user, A.ORG_CHANGE, endpoint.organisation)
    audit(AuditAction.DELETE, user=user, obj=endpoint,
          changes={"url": [endpoint.url, None], "organisation": [endpoint.organisation_id, None]})
    endpoint.delete()
