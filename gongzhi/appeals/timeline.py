"""The appeals' timeline as a source of notifications (core.timeline): registered by AppealsConfig.ready().

Who hears of each event is appeals.recipients (the table and its queries), what they are told appeals.texts,
what a webhook receiver is sent payload() below. The notifications app drains the outbox and delivers; it
knows nothing of appeals.
"""
from django.utils.translation import ngettext_lazy

from gongzhi.core.timeline import DIGEST, INSTANT, Audience, Kind, Source

from . import recipients, texts
from .models import AppealEvent, WhistleCall
from .selectors import visible_appeals

# How each kind of event reaches a person unless they choose otherwise. The deadline watch's reminders and
# escalations come many at a time and ask for no act of their own (the queues show what is overdue): a daily
# digest. Work addressed to someone with a clock running (a dispatch or a reassignment: the respond deadline;
# a whistle: the department reports within the hour) is mandatory: at once, by e-mail or in the inbox only,
# never switched off nor left for the next digest.
_DIGESTED = {
    "remind": ngettext_lazy("%(count)d 件诉求即将超期", "%(count)d 件诉求即将超期", "count"),
    "escalate": ngettext_lazy("%(count)d 件诉求超期升级", "%(count)d 件诉求超期升级", "count"),
}
_MANDATORY = ("dispatch", "reassign", "whistle")
KINDS = {action: Kind(label=texts.TITLES[action],
                      default=DIGEST if action in _DIGESTED else INSTANT,
                      mandatory=action in _MANDATORY, counted=_DIGESTED.get(action))
         for action, parties in recipients.AUDIENCES.items() if parties}


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
    kinds = KINDS

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

    def visible_subjects(self, user, subject_ids):
        # The appeals' own reading rule (the policy over the declaration, confidential categories included), asked
        # now: an appeal reassigned away or recategorised as confidential since the event drops out of a digest.
        if not subject_ids:
            return set()
        return set(visible_appeals(user).filter(pk__in=subject_ids).values_list("pk", flat=True))
