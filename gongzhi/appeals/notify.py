"""Who hears about an appeal's events: the appeals' side of the shared timeline outbox (core.timeline).

A timeline row that should tell anyone is written with notify_pending set,
in its own INSERT (services._event asks wanted()); on_event() then asks,
once per transaction, for the outbox to be drained after the commit. No
query, no message and no network I/O happens inside the transaction. Who is
told what is decided by the worker, from appeals.timeline (registered as the
"appeals" source: appeals.recipients, appeals.texts, the webhook payload);
delivery is the notifications app's.

Loading history (the demo's past appeals, an import) should tell nobody:
run it inside `with notify.muted():` (its rows are written not pending).
"""
from gongzhi.core.timeline import muted, wanted
from gongzhi.core.timeline import written as on_event

__all__ = ["muted", "on_event", "wanted"]
