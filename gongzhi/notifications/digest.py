"""The daily digest: the events each person chose to hear of once a day, gathered into one inbox message and one
e-mail.

The fan-out (services._Plan) writes a DigestEntry, not a Notification, for an event its recipient hears of in
the digest. Once a day, at NOTIFICATION_DIGEST_TIME local time, the period that ended then is gathered:
every entry of a recipient written before that moment goes into one Notification of source DIGEST_SOURCE whose
event_id is the period (YYYYMMDD). The inbox never shows the entries themselves, so the unread count counts a
digest once.

Exactly once. The digest row is inserted first, in the transaction that claims the entries (digested_at and
digest set): the constraint "one message per recipient, source and event id" lets one run insert it, and a
second run at the same time waits for the first's commit and then fails on the constraint, so it leaves that
recipient alone. A run killed midway has committed the recipients it finished and nothing of the one it was
on; the next run picks up where it stopped. The e-mail is queued in the same transaction (with the database
task backend) and is then claimed and marked like any other (services.send_emails).

Not built when the inbox is opened: a digest that came whenever one looked would be no daily digest, and a
page view would become a write. The inbox shows how many entries wait instead.

Privacy. The events were heard by the recipient when they happened; by the time of the digest the recipient
may no longer read the record (reassigned away, made confidential). Each source says which subjects the
recipient may read now (Source.visible_subjects, the policy asked afresh); the others are left out of the
digest, and a digest with nothing left is not sent.
"""
import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from gongzhi.accounts.models import User
from gongzhi.core import timeline

from .models import DIGEST_ACTION, DIGEST_SOURCE, DigestEntry, Notification
from .preferences import catalogue

# Items named in the inbox message itself; the digest's page and the e-mail list them all.
INBOX_LINES = 5
TITLE_MAX = 200


def digest_time():
    try:
        hour, minute = (int(x) for x in str(settings.NOTIFICATION_DIGEST_TIME).split(":"))
        return datetime.time(hour, minute)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured("NOTIFICATION_DIGEST_TIME must read HH:MM (local time)") from exc


def period(now=None):
    """(key, cutoff) of the latest digest period ended by `now`: key the local date as YYYYMMDD, cutoff the
    moment it ended (that date at NOTIFICATION_DIGEST_TIME, local time)."""
    now = now or timezone.now()
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    cutoff = datetime.datetime.combine(local.date(), digest_time(), tzinfo=local.tzinfo)
    if local < cutoff:
        cutoff -= datetime.timedelta(days=1)
    day = cutoff.date()
    return day.year * 10000 + day.month * 100 + day.day, cutoff


def next_cutoff(now=None):
    """When the next digest is gathered (for the inbox's note)."""
    return period(now)[1] + datetime.timedelta(days=1)


def _waiting(cutoff):
    return DigestEntry.objects.filter(digested_at__isnull=True, created_at__lt=cutoff)


def due_recipients(now=None):
    """Ids of the users whose digest for the latest period is due and not built yet."""
    key, cutoff = period(now)
    built = Notification.objects.filter(recipient_id=OuterRef("recipient_id"), source=DIGEST_SOURCE, event_id=key)
    return list(_waiting(cutoff).filter(~Exists(built)).order_by("recipient_id")
                .values_list("recipient_id", flat=True).distinct())


def pending_count(user):
    """Entries waiting for this user's next digest (one COUNT on the index of waiting entries)."""
    return DigestEntry.objects.filter(recipient_id=user.pk, digested_at__isnull=True).count()


def build_digests(now=None, *, queue=None):
    """Build every digest due for the latest period; returns how many were built. queue(notification ids) is
    called in each digest's transaction for its e-mail (tasks.py passes the e-mail task)."""
    built = 0
    for uid in due_recipients(now):
        if build_digest(uid, now=now, queue=queue) is not None:
            built += 1
    return built


def _phrases(entries):
    counts = {}
    for e in entries:
        counts[(e.source, e.action)] = counts.get((e.source, e.action), 0) + 1
    order = {(label, action): i for i, (label, action, _k) in enumerate(catalogue())}
    out = []
    for (label, action), n in sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))):
        kind = _kind(label, action)
        if kind.counted is not None:
            out.append(kind.counted % {"count": n})
        else:
            out.append(ngettext("%(label)s %(count)d 条", "%(label)s %(count)d 条", n)
                       % {"label": kind.label, "count": n})
    return out


def _kind(label, action):
    try:
        return timeline.source(label).kind(action)
    except KeyError:
        return timeline.Kind(label=action)


def compose(entries):
    """{"title", "body"} of a digest of these entries, in the active language."""
    title = _("每日汇总：%s") % _("、").join(_phrases(entries))
    lines = [f"· {e.title}" for e in entries[:INBOX_LINES]]
    more = len(entries) - INBOX_LINES
    if more > 0:
        lines.append(ngettext("另有 %(count)d 项，打开汇总查看全部", "另有 %(count)d 项，打开汇总查看全部", more)
                     % {"count": more})
    return {"title": title[:TITLE_MAX], "body": "\n".join(lines)}


def _visible(user, entries):
    """The entries about subjects the user may read now, asked of each entry's source."""
    by_source = {}
    for e in entries:
        by_source.setdefault(e.source, set()).add(e.subject_id)
    readable = {}
    for label, subjects in by_source.items():
        try:
            source = timeline.source(label)
        except KeyError:
            readable[label] = set()  # a capability no longer installed vouches for nothing
            continue
        readable[label] = source.visible_subjects(user, {s for s in subjects if s is not None})
    return [e for e in entries if e.subject_id is not None and e.subject_id in readable[e.source]]


def build_digest(user_id, *, now=None, queue=None):
    """Build one user's digest for the latest period, once: returns the Notification, or None when there was
    nothing to gather, nothing they may still read, or another run has built (or is building) it."""
    now = now or timezone.now()
    key, cutoff = period(now)
    user = User.objects.filter(pk=user_id).first()
    with transaction.atomic():
        waiting = list(_waiting(cutoff).filter(recipient_id=user_id).order_by("id"))
        if not waiting:
            return None
        if user is None or not user.is_active:
            _waiting(cutoff).filter(recipient_id=user_id).update(digested_at=now)
            return None
        digest = Notification(recipient_id=user_id, source=DIGEST_SOURCE, event_id=key, action=DIGEST_ACTION,
                              title=DIGEST_ACTION)
        try:
            with transaction.atomic():
                digest.save()
        except IntegrityError:
            return None  # built already, or being built by another run that holds the row
        claimed = set(_waiting(cutoff).filter(pk__in=[e.pk for e in waiting]).values_list("pk", flat=True))
        waiting = [e for e in waiting if e.pk in claimed]
        shown = _visible(user, waiting)
        shown_ids = [e.pk for e in shown]
        DigestEntry.objects.filter(pk__in=shown_ids).update(digested_at=now, digest=digest)
        DigestEntry.objects.filter(pk__in=claimed - set(shown_ids)).update(digested_at=now)
        if not shown:
            digest.delete()  # nothing they may read: no message at all (a later run finds nothing waiting)
            return None
        from .services import language_of

        with override(language_of(user.language)):
            said = compose(shown)
        Notification.objects.filter(pk=digest.pk).update(
            url=reverse("notifications:digest", args=[digest.pk]), **said)
        digest.refresh_from_db()
        if queue is not None and user.email:
            queue([digest.pk])
    return digest


def entries_of(user, notification_id):
    """The entries of one of the user's own digests (404 for anyone else's, or a message that is no digest)."""
    digest = Notification.objects.filter(pk=notification_id, recipient_id=user.pk, source=DIGEST_SOURCE).first()
    if digest is None:
        raise Http404
    return digest, list(DigestEntry.objects.filter(digest=digest).order_by("id"))
