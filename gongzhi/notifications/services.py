"""Every write of the notifications app.

The fan-out, the emails and the webhook attempts run in the background
worker (tasks.py calls them); the inbox marks and the webhook endpoint
management run in requests. Endpoint changes are policy-checked (ORG_CHANGE
over the organisation, or a superuser) and audited.
"""
import datetime
import logging
import secrets
import time
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import require
from gongzhi.orgs.capability import ORG_CHANGE
from gongzhi.core import timeline
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from . import preferences, webhooks
from .models import (DIGEST_SOURCE, MAX_ATTEMPTS, ORIGINAL_SOURCE, RETRY_DELAYS, UNDONE_DELIVERY, DeliveryStatus, DigestEntry,
                     Notification, WebhookDelivery, WebhookEndpoint)

log = logging.getLogger(__name__)

ENDPOINTS_PER_ORG = 10
DESCRIPTION_MAX = 100
EMAIL_RETRY_DELAYS = RETRY_DELAYS[:3]
MARK_RETRY = datetime.timedelta(seconds=1)


# ---- the fan-out (background) ------------------------------------------------------------------
#
# Every timeline row written while notifications are on carries notify_pending (the outbox, set in the
# row's own INSERT: core.timeline). The drain takes each registered source's pending rows in id order, a
# batch at a time, asks the source who hears of each and which organisations' webhooks may (reads outside
# any transaction, a few queries for the whole batch, not per event), then in one short write transaction
# creates the inbox messages and webhook deliveries, clears the flags and queues the emails and attempts.

DRAIN_BATCH = 100


class _Plan:
    """What a batch of one source's events turns into, worked out before the write transaction."""

    def __init__(self, source, events):
        self.source = source
        self.events = events
        self.rows = []            # Notification, not saved yet
        self.entries = []         # DigestEntry, not saved yet: for those who hear of the event in their digest
        self.deliveries = []      # WebhookDelivery, not saved yet
        self.mail_events = set()  # events with at least one recipient who has an address
        self.parties = {}         # event id: {user id: party}
        self.orgs = {}            # event id: organisations whose webhooks may hear of it
        if not events:
            return
        heard = source.audience(events)
        parties, orgs = self.parties, self.orgs
        for e in events:
            audience = heard.get(e.pk, timeline.NOBODY)
            parties[e.pk] = dict(audience.parties)
            orgs[e.pk] = set(audience.organisations)
        everyone = set().union(*parties.values())
        people = User.objects.filter(pk__in=everyone, is_active=True).values_list("pk", "email", "language") \
            if everyone else []
        emails = {pk: email for pk, email, _lang in people}
        chosen = preferences.deliveries(set(emails), source)
        languages = {pk: language_of(lang) for pk, _email, lang in people}
        endpoints = {}
        all_orgs = set().union(*orgs.values())
        if all_orgs:
            for ep in WebhookEndpoint.objects.filter(organisation_id__in=all_orgs, is_active=True).order_by("id"):
                endpoints.setdefault(ep.organisation_id, []).append(ep)
        now = timezone.now()
        label = source.label
        for e in events:
            said = {}  # the wording depends on the party and the reader's language, not on the person
            link, subject = source.link(e), source.subject_id(e)
            for uid, name in parties[e.pk].items():
                if uid not in emails:
                    continue  # gone or inactive
                delivery = preferences.delivery_for(chosen, source, uid, e.action)
                if delivery == timeline.OFF:
                    continue
                key = (name, languages[uid])
                if key not in said:
                    with override(key[1]):
                        said[key] = source.message(e, name)
                if delivery == timeline.DIGEST:
                    self.entries.append(DigestEntry(recipient_id=uid, source=label, event_id=e.pk, subject_id=subject,
                                                    action=e.action, title=said[key]["title"], url=link,
                                                    created_at=e.at))
                    continue
                mail = delivery == timeline.INSTANT
                self.rows.append(Notification(recipient_id=uid, source=label, event_id=e.pk, subject_id=subject,
                                              action=e.action, url=link, mail=mail, **said[key]))
                if mail and emails[uid]:
                    self.mail_events.add(e.pk)
            # An endpoint hears of what happens after it was registered, not of the history before it.
            wanted = [ep for org in orgs[e.pk] for ep in endpoints.get(org, ())
                      if ep.created_at <= e.at and ep.wants(e.action)]
            if wanted:
                payload = source.payload(e)
                self.deliveries += [WebhookDelivery(endpoint=ep, source=label, event_id=e.pk, action=e.action,
                                                    payload=payload, next_attempt_at=now) for ep in wanted]

    def keep(self, event_ids):
        """Only what concerns these events (the ones still pending when the write began)."""
        self.rows = [n for n in self.rows if n.event_id in event_ids]
        self.entries = [d for d in self.entries if d.event_id in event_ids]
        self.deliveries = [d for d in self.deliveries if d.event_id in event_ids]
        self.mail_events &= event_ids

    def write(self):
        """Create the rows (each recipient and endpoint once per event, however often this runs);
        returns the ids of the deliveries waiting for their first attempt."""
        if self.rows:
            Notification.objects.bulk_create(self.rows, ignore_conflicts=True)
        if self.entries:
            DigestEntry.objects.bulk_create(self.entries, ignore_conflicts=True)
        if not self.deliveries:
            return []
        WebhookDelivery.objects.bulk_create(self.deliveries, ignore_conflicts=True)
        return list(WebhookDelivery.objects.filter(source=self.source.label,
                                                   event_id__in={d.event_id for d in self.deliveries},
                                                   status=DeliveryStatus.PENDING, attempts=0)
                    .order_by("id").values_list("pk", flat=True))


def _pending(source):
    return source.model._default_manager.filter(notify_pending=True)


def fan_out(event_id, source=ORIGINAL_SOURCE):
    """Turn one timeline row of a source (by label) into inbox messages and webhook deliveries, and clear its
    pending flag.

    Returns (ids of messages to email, ids of deliveries to send). Safe to run
    twice for one event: each recipient and each endpoint gets it once.
    """
    src = timeline.source(source)
    plan = _Plan(src, src.load([event_id]))
    if not plan.events:
        return [], []
    with transaction.atomic():
        to_send = plan.write()
        _pending(src).filter(pk=event_id).update(notify_pending=False)
        to_mail = list(Notification.objects.filter(source=src.label, event_id=event_id, emailed_at__isnull=True,
                                                   mail=True)
                       .exclude(recipient__email="").values_list("pk", flat=True)) if plan.rows else []
    return to_mail, to_send


def pending_event_ids(source, limit):
    return list(_pending(source).order_by("id").values_list("pk", flat=True)[:limit])


def drain_batch(limit=None, *, queue=None):
    """Fan out up to `limit` pending events of each registered source, oldest first, each source's batch in its
    own transaction. Returns how many were taken: fewer than `limit` means no source had more pending.

    queue(source label, event ids to email, delivery ids) is called inside
    the write transaction, so with the database task backend the emails and
    attempts are queued if and only if the rows they are about exist.

    Where the database can skip locked rows (PostgreSQL), the batch is
    claimed with SELECT … FOR UPDATE SKIP LOCKED and worked in that
    transaction: drains running at once take different batches. Elsewhere
    (SQLite: one writer at a time, every transaction takes the write lock)
    the batch is read and worked out with no transaction open, and the write
    transaction keeps only the events still pending, so a drain that lost
    the race adds nothing.
    """
    limit = limit or DRAIN_BATCH
    return sum(_drain_source(source, limit, queue) for source in timeline.sources())


def _drain_source(source, limit, queue):
    features = transaction.get_connection().features
    if features.has_select_for_update_skip_locked:
        with transaction.atomic():
            # NO KEY UPDATE: enough to keep other drains off these rows; only a flag changes.
            ids = list(_pending(source).select_for_update(skip_locked=True,
                                                          no_key=features.has_select_for_no_key_update)
                       .order_by("id").values_list("pk", flat=True)[:limit])
            if ids:
                _drain(source, ids, queue, recheck=False)
        return len(ids)
    ids = pending_event_ids(source, limit)
    if ids:
        _drain(source, ids, queue, recheck=True)
    return len(ids)


def _drain(source, ids, queue, *, recheck):
    try:
        plan = _Plan(source, source.load(ids))
    except DatabaseError:
        raise  # locked or gone away: the events stay pending for the next drain
    except Exception:  # noqa: BLE001 - one event the code cannot handle must not hold back the others
        log.exception("notification fan-out failed for a batch of %s; taking its events one by one", source.label)
        for pk in ids:
            _drain_one(source, pk, queue, recheck=recheck)
        return
    _write(plan, ids, queue, recheck=recheck)


def _drain_one(source, pk, queue, *, recheck):
    try:
        plan = _Plan(source, source.load([pk]))
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - logged and set aside, as a failed task was before the outbox
        log.exception("notification fan-out failed for %s timeline row %s; nobody is told of it", source.label, pk)
        _pending(source).filter(pk=pk).update(notify_pending=False)
        return
    _write(plan, [pk], queue, recheck=recheck)


def _write(plan, ids, queue, *, recheck):
    pending = _pending(plan.source)
    with transaction.atomic(savepoint=False):
        if recheck:
            ids = set(pending.filter(pk__in=ids).values_list("pk", flat=True))
            if not ids:
                return
            plan.keep(ids)
        to_send = plan.write()
        pending.filter(pk__in=ids).update(notify_pending=False)
        if queue is not None and (plan.mail_events or to_send):
            queue(plan.source.label, sorted(plan.mail_events), to_send)


def unemailed(event_ids, source=ORIGINAL_SOURCE):
    """Messages about these events of a source (by label) not emailed yet, to recipients with an address."""
    return list(Notification.objects.filter(source=source, event_id__in=event_ids, emailed_at__isnull=True, mail=True)
                .exclude(recipient__email="").order_by("id").values_list("pk", flat=True))


def pending_exist():
    return any(_pending(source).exists() for source in timeline.sources())


def forget_event(sender, event_id, **kwargs):
    """An event was deleted (core.timeline.event_deleted): its messages go with it, and its deliveries no longer
    name it, as the foreign keys to appeal events did (CASCADE, SET_NULL)."""
    Notification.objects.filter(source=sender.label, event_id=event_id).delete()
    DigestEntry.objects.filter(source=sender.label, event_id=event_id).delete()
    WebhookDelivery.objects.filter(source=sender.label, event_id=event_id).update(event_id=None)


def forget_subject_for(sender, subject_id, user_id, **kwargs):
    """Someone lost the right to read a subject (core.timeline.subject_withdrawn): its messages leave their inbox
    and their next digest, which named what they may no longer read."""
    Notification.objects.filter(recipient_id=user_id, source=sender.label, subject_id=subject_id).delete()
    DigestEntry.objects.filter(recipient_id=user_id, source=sender.label, subject_id=subject_id,
                               digested_at__isnull=True).delete()


# ---- email (background) -----------------------------------------------------------------------

def language_of(chosen):
    """The language a person reads the messages in: the one they chose on the site, else the site's."""
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def email_subject(n):
    with override(language_of(n.recipient.language)):
        return _("【共治】%s") % n.title


def email_body(n):
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with override(language_of(n.recipient.language)):
        body = n.body
        if n.source == DIGEST_SOURCE:
            # A digest's e-mail lists every item it gathered, each with its link, not only the first few.
            body = "\n".join(f"· {e.title}\n  {site}{e.url}" if e.url else f"· {e.title}"
                             for e in n.entries.order_by("id"))
        link = _("查看详情：%s") % f"{site}{n.url}" if n.url else ""
        return "\n\n".join(part for part in (n.title, body, link,
                                             _("此邮件由系统自动发送，请勿直接回复。")) if part)


def claim_lapse():
    """How long a claimed e-mail or webhook attempt may go unmarked before it is taken for abandoned."""
    return datetime.timedelta(seconds=settings.TASK_RECLAIM_SECONDS)


def email_message_id(n):
    """One Message-ID per message, the same each time it is sent: a copy sent again after a run died between
    the mail server's acceptance and the mark is recognisably the same e-mail."""
    host = urlsplit(getattr(settings, "SITE_URL", "")).hostname or "gongzhi.local"
    return f"<notification-{n.pk}@{host}>"


def _mark_emailed(pk, *, until):
    """Mark a message sent, retrying through a database outage while its claim holds: the mail server has it,
    so a mark that fails would have it sent again once the claim lapses."""
    while True:
        try:
            Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
            return
        except DatabaseError:
            if timezone.now() + MARK_RETRY >= until:
                raise
            log.warning("marking notification %s e-mailed failed; retrying", pk, exc_info=True)
            close_old_connections()
            time.sleep(MARK_RETRY.total_seconds())


class EmailRun(NamedTuple):
    unsent: list   # their sending failed: retried with back-off
    held: list     # another run has claimed them and its claim has not lapsed: looked at again when it does
    lapse_at: datetime.datetime | None  # when the first of those claims lapses


def send_emails(notification_ids):
    """E-mail each of these messages that has not been e-mailed, one message per recipient, once.

    Each message is claimed (email_claimed_at, its own committed UPDATE), handed to the mail server, then
    marked sent (emailed_at, committed), one after the other: two runs never send one message, and a run
    killed midway leaves the messages before it marked, the one it was sending claimed and the rest as they
    were. A mark the database refuses (an outage) is retried while the claim holds. A claim lapses after TASK_RECLAIM_SECONDS; the message is then sent again, under the same
    Message-ID. So every message is sent, and sent twice only when a run died in the moment between the mail
    server accepting it and the mark, both copies with one Message-ID. Returns an EmailRun.
    """
    pending = list(Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True, mail=True,
                                               recipient__is_active=True)
                   .exclude(recipient__email="").select_related("recipient").order_by("id"))
    if not pending:
        return EmailRun([], [], None)
    lapse = claim_lapse()
    settled, held, lapse_at = set(), [], None
    try:
        with get_connection() as connection:
            for n in pending:
                claimed_at = timezone.now()
                mine = (Notification.objects.filter(pk=n.pk, emailed_at__isnull=True)
                        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lte=claimed_at - lapse))
                        .update(email_claimed_at=claimed_at))
                settled.add(n.pk)
                if not mine:
                    other = Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).values_list(
                        "email_claimed_at", flat=True).first()
                    if other is not None:  # else it was e-mailed meanwhile
                        held.append(n.pk)
                        lapse_at = min(lapse_at or other + lapse, other + lapse)
                    continue
                try:
                    EmailMessage(email_subject(n), email_body(n), to=[n.recipient.email], connection=connection,
                                 headers={"Message-ID": email_message_id(n)}).send()
                except Exception:
                    settled.discard(n.pk)
                    # Not sent: free it for the retry rather than make it wait for the claim to lapse.
                    Notification.objects.filter(pk=n.pk, email_claimed_at=claimed_at).update(email_claimed_at=None)
                    raise
                _mark_emailed(n.pk, until=claimed_at + lapse)
    except DatabaseError:
        raise  # the database went away: the task is run again (gongzhi.core.worker)
    except Exception:  # noqa: BLE001 - any mail failure is retried later; the rest of the work stands
        log.warning("sending notification emails failed; %d left for a retry",
                    sum(n.pk not in settled for n in pending), exc_info=True)
    return EmailRun([n.pk for n in pending if n.pk not in settled], held, lapse_at)


# ---- webhook attempts (background) ------------------------------------------------------------

def attempt_delivery(delivery_id, *, now=None, on_failure=None):
    """Make one attempt at a delivery that is due; record the outcome and when to try again.

    The attempt is claimed first (status "sending", committed, next_attempt_at set to when the claim lapses:
    TASK_RECLAIM_SECONDS on), then POSTed, then its outcome recorded, committed together with
    on_failure(delivery) (the task of the next attempt). Two attempts never run at once. An attempt killed
    midway is due again once its claim lapses, and is sent again with the same X-Gongzhi-Delivery id, by
    which the receiver recognises a delivery it already has.

    Returns the delivery (None when it no longer exists). A delivery already done, not due yet, or held by
    another attempt (status "sending") is left alone.
    """
    d = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if d is None or d.status not in UNDONE_DELIVERY:
        return d
    now = now or timezone.now()
    if d.next_attempt_at and d.next_attempt_at > now:
        return d
    if not d.endpoint.is_active:
        d.status, d.next_attempt_at, d.last_error = DeliveryStatus.GAVE_UP, None, _("接收端已停用")
        d.save(update_fields=["status", "next_attempt_at", "last_error"])
        return d
    claimed = (WebhookDelivery.objects.filter(pk=d.pk, attempts=d.attempts, status=d.status,
                                              next_attempt_at=d.next_attempt_at)
               .update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now,
                       next_attempt_at=now + claim_lapse()))
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
    with transaction.atomic():
        recorded = (WebhookDelivery.objects.filter(pk=d.pk, status=DeliveryStatus.SENDING, attempts=d.attempts)
                    .update(status=d.status, next_attempt_at=d.next_attempt_at, last_status_code=code,
                            last_error=d.last_error, delivered_at=d.delivered_at))
        if not recorded:  # this attempt outlived its claim and another took over: that one's outcome stands
            log.warning("webhook delivery %s: attempt %d outlived its claim; its outcome is not recorded", d.pk,
                        d.attempts)
            d.refresh_from_db()
        elif d.status == DeliveryStatus.FAILED and on_failure is not None:
            on_failure(d)
    return d


def due_delivery_ids(now=None, limit=1000):
    """Deliveries waiting for an attempt whose time has come (for the retry sweep)."""
    now = now or timezone.now()
    return list(WebhookDelivery.objects.filter(status__in=UNDONE_DELIVERY, next_attempt_at__lte=now)
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
    known = timeline.actions()
    unknown = sorted(set(events) - set(known))
    if unknown:
        raise ValidationError({"events": _("未知事件：%s") % _("、").join(unknown)})
    return sorted(set(events), key=known.index)


@transaction.atomic
def webhook_create(*, user, organisation, url, events=(), description=""):
    """Register a receiver for an organisation. Returns (endpoint, secret); the secret is shown this once."""
    require(user, ORG_CHANGE, organisation)
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
    require(user, ORG_CHANGE, endpoint.organisation)
    audit(AuditAction.DELETE, user=user, obj=endpoint,
          changes={"url": [endpoint.url, None], "organisation": [endpoint.organisation_id, None]})
    endpoint.delete()
