"""Who hears about an appeal's events. Delivery happens after commit, in the background worker.

A timeline row that should tell anyone is written with notify_pending set,
in its own INSERT (services._event asks wanted()): the row is the outbox, so
what has committed gets delivered even if the process dies right after.
on_event() runs inside the transaction that wrote the row and does nothing
there but ask, once per transaction, to be called back after the commit; the
callback queues a drain of the outbox (gongzhi.notifications.tasks.
request_drain), or nothing when a drain is already waiting to start. No
query, no message and no network I/O happens inside the transaction. Who is
told what is decided by the worker: gongzhi.notifications.recipients (the
table), gongzhi.notifications.services (the drain), gongzhi.notifications.
tasks (inbox, email, signed webhooks with retries).

Loading history (the demo's past appeals, an import) should tell nobody:
run it inside `with notify.muted():` (its rows are written not pending).
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

_muted = ContextVar("gongzhi_notifications_muted", default=False)


def wanted():
    """Whether a timeline row written now should notify anyone (its notify_pending flag)."""
    return not _muted.get()


class _Kick:
    """The after-commit callback; one per transaction, however many rows it writes."""

    ran = False

    def __call__(self):
        from gongzhi.notifications.tasks import request_drain

        self.ran = True
        request_drain()


def on_event(event):
    """Hook called for every timeline row (services._event)."""
    if not event.notify_pending:
        return
    connection = transaction.get_connection()
    # Already asked in this transaction (a savepoint rolled back takes its callbacks with it, so a
    # callback still listed will run if this row commits). `ran` covers tests that run callbacks
    # without committing.
    if any(isinstance(entry[1], _Kick) and not entry[1].ran for entry in connection.run_on_commit):
        return
    transaction.on_commit(_Kick(), robust=True)


@contextmanager
def muted():
    """Within this block, timeline rows notify nobody (no inbox, email or webhook)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
