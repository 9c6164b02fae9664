"""Community notices (社区公告): put up by a community or sub-district office for the places it names."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.models import GridRef

TITLE_MAX = 100
BODY_MAX = 5000


class Kind(models.TextChoices):
    NOTICE = "notice", _("通知")
    PUBLICITY = "publicity", _("公示")
    ACTIVITY = "activity", _("活动")
    REMINDER = "reminder", _("温馨提示")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Notice(models.Model):
    title = models.CharField(_("标题"), max_length=TITLE_MAX)
    # Plain text, paragraphs separated by blank lines; rendered escaped, never as HTML.
    body = models.TextField(_("正文"))
    # Not "category": the policy reads a grant's condition ("category__confidential", appeals) on any scoped
    # model with a field of that name.
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    # No default: every write names it (services), and the policy's random worlds draw each status.
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    publisher = models.ForeignKey("orgs.Organisation", verbose_name=_("发布单位"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    pinned = models.BooleanField(_("置顶"), default=False)
    # Each write bumps it; a write naming an older version lost a race and is refused (services.Conflict).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        indexes = [models.Index(fields=["status", "-pinned", "-published_at"], name="notice_listing_idx")]

    def __str__(self):
        return self.title

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class NoticeReach(GridRef):
    """One grid node a notice is put up for: a sub-district, a community or a compound."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reach", verbose_name=_("公告"))

    class Meta:
        verbose_name = _("公告范围")
        verbose_name_plural = _("公告范围")
        constraints = [GridRef.one_node_constraint("notice_reach_one_node")]


class NoticeEvent(TimelineEvent):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("notice_event_pending_idx")]
