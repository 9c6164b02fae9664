"""Who hears of a notice's events: everyone who may read it (the policy's answer), but the one who acted."""
from gongzhi.accounts.policy import users_with
from gongzhi.core import timeline

from .capability import NOTICE_VIEW
from .models import NoticeEvent


class NoticeTimeline(timeline.Source):
    label = "notices"
    model = NoticeEvent
    actions = ("notice_publish", "notice_amend")

    def load(self, ids):
        return list(NoticeEvent.objects.select_related("notice__compound__community").filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        out = {}
        for e in events:
            readers = {pk: "reader" for pk in users_with(NOTICE_VIEW, e.notice).values_list("pk", flat=True)}
            readers.pop(e.actor_id, None)
            out[e.pk] = timeline.Audience(readers, frozenset({e.notice.publisher_id} - {None}))
        return out

    def message(self, event, party):
        return {"title": event.notice.title, "body": event.note}

    def link(self, event):
        return f"/notices/{event.notice_id}/"

    def subject_id(self, event):
        return event.notice_id

    def payload(self, event):
        return {"event": event.action, "notice": event.notice_id, "at": event.at.isoformat()}
