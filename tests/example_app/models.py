"""Notices put up at a place of the grid by the community, or by an organisation serving it."""
from django.conf import settings
from django.db import models

from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.places import Placed


class Notice(Placed):
    title = models.CharField(max_length=100)
    is_public = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    publisher = models.ForeignKey("orgs.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")


class NoticeEvent(TimelineEvent):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("example_notice_pending_idx")]
