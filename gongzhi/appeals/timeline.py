"""The appeals' timeline as a source of notifications (core.timeline): registered by AppealsConfig.ready().

Who hears of each event is appeals.recipients (the table and its queries), what they are told appeals.texts,
what a webhook receiver is sent payload() below. The notifications app drains the outbox and delivers; it
knows nothing of appeals.
"""
from gongzhi.core.timeline import Audience, Source

from . import recipients, texts
from .models import AppealEvent, WhistleCall


def payload(event):
    """What a receiver learns of an event: the appeal's reference and state, never who reported it or what they wrote."""
    appeal = event.appeal
    handler = appeal.handler
    return {
        "event": event.action,
        "appeal": {
            "number": appeal.number,
            "status": appeal.status,
            "category": {"code": appeal.category.code, "name": appeal.category.name},
            "compound": {"code": appeal.compound.code, "name": appeal.compound.name},
            "handler": {"code": handler.code, "name": handler.name} if handler else None,
            "updated_at": appeal.updated_at.isoformat() if appeal.updated_at else None,
            "resolve_due": appeal.resolve_due.isoformat() if appeal.resolve_due else None,
        },
        "at": event.at.isoformat(),
    }


class AppealTimeline(Source):
    label = "appeals"
    model = AppealEvent
    actions = recipients.ACTIONS

    def load(self, ids):
        # Not the long texts nor the compound's polygon: nothing here reads them, and decoding them is most of a
        # row's cost.
        return list(AppealEvent.objects.select_related("appeal__category", "appeal__compound__community",
                                                       "appeal__handler")
                    .defer("appeal__description", "appeal__public_reply", "appeal__contact_phone_enc",
                           "appeal__compound__boundary")
                    .filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        """A few queries for the whole batch, not per event: the handlers as of each event from one read of the
        timeline, the whistled departments in one, every place's grid parties at once (recipients.prefetch), an
        organisation's users once (the memo)."""
        if not events:
            return {}
        appeal_ids = {e.appeal_id for e in events}
        rows_of = recipients.handler_rows(appeal_ids)
        called = {}
        for appeal_id, dept in WhistleCall.objects.filter(appeal_id__in=appeal_ids).values_list("appeal_id",
                                                                                               "department_id"):
            called.setdefault(appeal_id, []).append(dept)
        memo = {}
        recipients.prefetch(events, memo)
        out = {}
        for e in events:
            recipients.handlers(e, rows_of[e.appeal_id])
            out[e.pk] = Audience(recipients.recipients_for(e, memo, called.get(e.appeal_id, ())),
                                 frozenset(recipients.organisations_for(e, called.get(e.appeal_id, ()))))
        return out

    def message(self, event, party):
        return texts.message(event, party)

    def link(self, event):
        return texts.appeal_url(event.appeal_id)

    def subject_id(self, event):
        return event.appeal_id

    def payload(self, event):
        return payload(event)
