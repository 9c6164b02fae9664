"""Who hears about an appeal's events. Delivery happens after commit, in the background worker.

on_event() runs inside the transaction that wrote the timeline row, so it
does nothing there but ask to be called back once that transaction has
committed; the callback enqueues one background task with the event's id.
No query, no message and no network I/O happens in the request. Who is told
what is decided by the worker: gongzhi.notifications.recipients (the table),
gongzhi.notifications.tasks (inbox, email, signed webhooks with retries).

Loading history (the demo's past appeals, an import) should tell nobody:
run it inside `with notify.muted():`.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import transaction

_muted = ContextVar("gongzhi_notifications_muted", default=False)


def wanted():
    """Whether a timeline row written now should notify anyone (its notify_pending flag)."""
    return not _muted.get()


def on_event(event):
    """Hook called for every timeline row (services._event)."""
    if not event.notify_pending:
        return
    transaction.on_commit(partial(_enqueue, event.pk), robust=True)


def _enqueue(event_id):
    from gongzhi.notifications.tasks import fan_out_event

    fan_out_event.enqueue(event_id)


@contextmanager
def muted():
    """Within this block, timeline rows notify nobody (no inbox, email or webhook)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
