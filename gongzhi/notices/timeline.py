"""Who hears of a notice: everyone who may read it once it is published, but the one who published it.

A community-wide notice reaches thousands of residents: the readers of each event come from one query
(policy.users_with), and the notifications app writes their messages in bulk, so the cost does not grow
with the number of readers but with the size of the batch.
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from gongzhi.accounts.policy import users_with
from gongzhi.core import timeline

from .capability import NOTICE_VIEW
from .models import NoticeEvent, Status
from .selectors import readable

LABEL = "community_notices"
READER = "reader"


class NoticeTimeline(timeline.Source):
    label = LABEL
    model = NoticeEvent
    actions = ("notice_publish",)
    # At once by default (a notice is news); a reader may take them in the daily digest or not at all.
    kinds = {"notice_publish": timeline.Kind(label=gettext_lazy("新公告发布"),
                                             counted=ngettext_lazy("%(count)d 条新公告", "%(count)d 条新公告",
                                                                   "count"))}

    def visible_subjects(self, user, subject_ids):
        # Published and still readable by them now: a notice withdrawn since is left out of a digest.
        return set(readable(user).filter(pk__in=subject_ids, status=Status.PUBLISHED).values_list("pk", flat=True))

    def load(self, ids):
        return list(NoticeEvent.objects.select_related("notice").filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        out = {}
        for e in events:
            if e.action not in self.actions or e.notice.status != "published":
                continue  # withdrawn before the drain came: nobody is told of what they can no longer open
            readers = dict.fromkeys(users_with(NOTICE_VIEW, e.notice).values_list("pk", flat=True), READER)
            readers.pop(e.actor_id, None)
            out[e.pk] = timeline.Audience(readers, frozenset({e.notice.publisher_id} - {None}))
        return out

    def message(self, event, party):
        notice = event.notice
        return {"title": _("新公告：%(title)s") % {"title": notice.title},
                "body": _("%(kind)s · 请点击查看全文") % {"kind": notice.get_kind_display()}}

    def link(self, event):
        return f"/notices/{event.notice_id}/"

    def subject_id(self, event):
        return event.notice_id

    def payload(self, event):
        return {"event": event.action, "notice": event.notice_id, "title": event.notice.title,
                "at": event.at.isoformat()}
