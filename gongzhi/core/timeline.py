"""Timelines and their outbox: the one mechanism every capability's history goes through.

A capability that keeps a timeline (appeals: AppealEvent) derives its event
model from TimelineEvent and registers a Source for it from its
AppConfig.ready(). The Source is all that a consumer of events (the
notifications app) learns of the capability: who hears of an event, what
their message says, what a webhook receiver is sent. Consumers iterate
sources(); they import no capability and hold no foreign key to one: a
message names its event by the source's label and the event's id.

The outbox. A row that should tell someone is written with notify_pending
set, in its own INSERT (wanted() says whether to; `with muted():` loading
history tells nobody). written(event) then asks, once per transaction, to
be called back after the commit (transaction.on_commit); the callback sends
`outbox_filled`, on which a consumer queues its drain. No query and no
network I/O happens inside the writing transaction, and what has committed
is delivered even if the process dies right after: the drain finds the
pending rows (through the partial index over them) whatever asked it to run.

Deleting events sends `event_deleted` (source, event_id) for each, so a
consumer can drop what it keeps about them, as a cascade would. A capability
that takes someone's access to a subject away (a case worker taken off a case)
calls `access_withdrawn(label, subject_id, user_id)`: consumers drop what they
keep for that person about it (messages not yet read, a digest not yet sent).

Kinds of event. A source also declares, for each action, how a person hears
of it unless they choose otherwise (Kind: a label for the settings page, the
default way it arrives, whether it may be switched off or deferred, and how a
daily digest counts a batch of them). The notifications app offers the
choices and gathers digests from these declarations alone; it knows no
capability's actions.
"""
import logging
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

# Sent (sender=None) after a transaction that wrote pending rows has committed: time to drain the outbox.
outbox_filled = Signal()
# Sent (sender=the Source) for every event deleted, with event_id.
event_deleted = Signal()
# Sent (sender=the Source) when a person may no longer read a subject, with subject_id and user_id.
subject_withdrawn = Signal()


def access_withdrawn(label, subject_id, user_id):
    """`user_id` may no longer read the subject `subject_id` of source `label`: what was kept for them about it
    goes (an e-mail already sent cannot be taken back; a digest already sent listed what it listed)."""
    subject_withdrawn.send(sender=source(label), subject_id=subject_id, user_id=user_id)


def outbox_index(name):
    """The partial index over the rows waiting for the drain: a few among millions of timeline rows."""
    return models.Index(fields=["id"], condition=models.Q(notify_pending=True), name=name)


class TimelineEvent(models.Model):
    """One row of a timeline: who did what, when, and what they wrote about it.

    `internal` says who reads the note: only those who work on the record, never the person it is about nor
    anything that leaves the system for them; otherwise whoever may read the record (a capability may keep
    more of its notes from outsiders, by kind: appeals.workflow.reporter_sees_note).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # The kind of event: what the actor did (or the system on its own: a reminder, an escalation).
    action = models.CharField(_("动作"), max_length=24)
    note = models.TextField(_("说明"), blank=True)
    internal = models.BooleanField(_("内部备注"), default=False)
    # The outbox: set in the same INSERT as the row, cleared by the drain once its messages and webhook
    # deliveries exist, so a crash between the commit and the drain loses nothing.
    notify_pending = models.BooleanField(default=False, editable=False)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
        # A subclass whose name makes this longer than the 30 characters Django allows names its own (Meta:
        # indexes = [outbox_index(name)]).
        indexes = [outbox_index("%(app_label)s_%(class)s_outbox")]


class Audience(NamedTuple):
    """Who hears of one event: {user id: party} (a party names how they are concerned, and picks the wording of
    their message), and the organisations whose webhooks may hear of it."""

    parties: dict
    organisations: frozenset = frozenset()


NOBODY = Audience({})


# How an event reaches a person (a person's preference; the default is the source's Kind.default):
INSTANT = "instant"   # in the inbox at once, and by e-mail at once where they have an address
INBOX = "inbox"       # in the inbox at once, no e-mail
DIGEST = "digest"     # gathered into one daily digest (one inbox message, one e-mail)
OFF = "off"           # not at all
DELIVERIES = (INSTANT, INBOX, DIGEST, OFF)
# What a mandatory kind may be set to: it cannot be switched off nor wait for the next day's digest.
IMMEDIATE = (INSTANT, INBOX)


class Kind(NamedTuple):
    """One kind of event as a person's settings show it.

    label: what the settings page calls it. default: one of DELIVERIES. mandatory: the person must hear of it at
    once (IMMEDIATE only): work addressed to them with a clock running, an urgent call. counted: how a digest
    counts n of them, a ngettext_lazy(singular, plural, "count") over %(count)d; None reads "label: n".
    """

    label: str
    default: str = INSTANT
    mandatory: bool = False
    counted: object = None

    def allows(self, delivery):
        return delivery in (IMMEDIATE if self.mandatory else DELIVERIES)


class Source:
    """A capability's timeline as its consumers see it. Subclass, set the three attributes, implement the methods
    marked so, and register() one instance from the capability's AppConfig.ready().

    The methods run in the background worker, after the events committed, a batch of events at a time.
    """

    label = ""     # stored with every message and delivery about its events: never change it once in use
    model = None   # the TimelineEvent subclass
    actions = ()   # every kind of its events someone may hear of (webhooks subscribe to them by name)
    kinds = {}     # {action: Kind}; an action left out is labelled by its name and arrives at once (INSTANT)

    def kind(self, action):
        """The declared Kind of an action, or the plain default for one the source did not describe."""
        return self.kinds.get(action) or Kind(label=action)

    def visible_subjects(self, user, subject_ids):
        """Of these subjects (subject_id()), the ones the user may still read now: a digest lists only those,
        whatever the user could read when the event happened. To implement where a kind may be digested; by
        default none (a digest lists nothing it cannot vouch for)."""
        return set()

    def load(self, ids):
        """The events with these ids, in id order, with what the other methods read of them."""
        return list(self.model._default_manager.filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        """{event id: Audience} for a batch of events (an event left out tells nobody). To implement."""
        raise NotImplementedError

    def message(self, event, party):
        """{"title", "body"} of what one party is told, in the site's language. To implement."""
        raise NotImplementedError

    def link(self, event):
        """The page a message about this event leads to ("" for none)."""
        return ""

    def subject_id(self, event):
        """The id of the record whose timeline this is (kept with each message), or None."""
        return None

    def payload(self, event):
        """What a webhook receiver is sent of this event: a JSON object. To implement."""
        raise NotImplementedError

    def __repr__(self):
        return f"<{self.__class__.__name__} {self.label}>"


_sources = {}


def register(source):
    """Add a capability's source (from its AppConfig.ready()); registering the same label again replaces it."""
    if not source.label or source.model is None or not issubclass(source.model, TimelineEvent):
        raise ImproperlyConfigured(f"{source!r}: a source needs a label and a TimelineEvent model")
    for other in _sources.values():
        if other.label != source.label and other.model is source.model:
            raise ImproperlyConfigured(f"{source!r}: {source.model.__name__} is {other.label}'s timeline already")
    _sources[source.label] = source
    post_delete.connect(_deleted, sender=source.model, dispatch_uid=f"gongzhi.timeline:{source.label}")
    return source


def unregister(label):
    source = _sources.pop(label, None)
    if source is not None:
        post_delete.disconnect(sender=source.model, dispatch_uid=f"gongzhi.timeline:{label}")
    return source


def sources():
    """Every registered source, in the order registered."""
    return list(_sources.values())


def source(label):
    """The source registered under this label (KeyError when none is)."""
    return _sources[label]


def actions():
    """Every kind of event someone may hear of, each once, in the order the sources name them."""
    return tuple(dict.fromkeys(a for s in _sources.values() for a in s.actions))


def _deleted(sender, instance, **kwargs):
    for s in _sources.values():
        if s.model is sender:
            event_deleted.send(sender=s, event_id=instance.pk)


# ---- writing -----------------------------------------------------------------------------------

_muted = ContextVar("gongzhi_timeline_muted", default=False)


def wanted():
    """Whether a timeline row written now should notify anyone (its notify_pending flag)."""
    return not _muted.get()


@contextmanager
def muted():
    """Within this block, timeline rows notify nobody (no inbox, email or webhook): loading history."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


class _Kick:
    """The after-commit callback; one per transaction, however many rows it writes."""

    ran = False

    def __call__(self):
        self.ran = True
        # The change has committed whatever happens here: a consumer that fails is logged, and the rows wait
        # for its safety net (the next drain, the deadline watch's sweep).
        for receiver, result in outbox_filled.send_robust(sender=None):
            if isinstance(result, Exception):
                log.error("%s failed on a filled outbox", getattr(receiver, "__qualname__", receiver),
                          exc_info=result)


# Per connection, a weak reference to the kick its current transaction registered. Django's list of the
# transaction's callbacks holds the only strong one: a rollback (of the transaction, or of the savepoint the
# kick was registered in) drops the callback, the kick is freed at once and the reference reads None; the
# next pending row asks again. A kick that ran (the commit) has `ran` set, for the same.
_kicks = weakref.WeakKeyDictionary()


def written(event, using=None):
    """Call after writing a timeline row, inside the writing transaction: a pending row gets the outbox drained
    after the commit. Costs no query; registers one callback per transaction."""
    if not event.notify_pending:
        return
    connection = transaction.get_connection(using)
    ref = _kicks.get(connection)
    kick = ref() if ref is not None else None
    if kick is not None and not kick.ran:
        return  # this transaction has asked already, and its callback is still there to run
    kick = _Kick()
    _kicks[connection] = weakref.ref(kick)
    transaction.on_commit(kick, using=using, robust=True)
