"""Notifications: the in-app inbox, and signed webhooks an organisation receives.

Rows are written by the background worker after the change that caused them
has committed (see tasks.py); nothing here is written inside a request that
changes a record. They are about events of any timeline registered with
core.timeline, named by the source's label and the event's id (no foreign
key: a capability's tables are its own).
"""
import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto

# Rows and queued tasks from before timelines were shared were all about appeal events: the migration labels
# those rows so, and a task queued then names no source.
ORIGINAL_SOURCE = "appeals"


class Notification(models.Model):
    """One message in one user's inbox."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                                  related_name="notifications")
    # The event it tells of (core.timeline: the source's label, the event's id), and the record whose timeline
    # that is (for the appeals' source, the appeal).
    source = models.CharField(_("来源"), max_length=40, blank=True)
    event_id = models.BigIntegerField(_("事件"), null=True, blank=True)
    subject_id = models.BigIntegerField(_("对象"), null=True, blank=True, editable=False)
    action = models.CharField(_("动作"), max_length=24)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True, editable=False)
    # Set (and committed) just before the e-mail is handed to the mail server, emailed_at just after: a run
    # killed in between leaves the claim, which lapses after TASK_RECLAIM_SECONDS (services.send_emails).
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # False where its recipient asked for this kind in the inbox only: no e-mail is ever sent for it.
    mail = models.BooleanField(_("发送邮件"), default=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [
            models.Index(fields=["recipient", "read_at", "-id"], name="notification_inbox_idx"),
            models.Index(fields=["recipient", "-id"], name="notification_all_idx"),
            models.Index(fields=["source", "event_id"], name="notification_event_idx"),
        ]
        constraints = [
            # The fan-out may run twice for one event (a worker restarted mid-task): still one message each.
            models.UniqueConstraint(fields=["recipient", "source", "event_id"],
                                    condition=models.Q(event_id__isnull=False), name="notification_once_per_event"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


class WebhookEndpoint(models.Model):
    """An organisation's receiver: timeline events concerning it are POSTed there, signed with its secret."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("组织"), on_delete=models.CASCADE,
                                     related_name="webhook_endpoints")
    url = models.URLField(_("接收地址"), max_length=500)
    secret_enc = models.TextField(editable=False)
    events = models.JSONField(_("事件"), default=list, blank=True, help_text=_("留空表示全部事件"))
    description = models.CharField(_("说明"), max_length=100, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["organisation_id", "id"]
        verbose_name = _("Webhook 接收端")
        verbose_name_plural = _("Webhook 接收端")

    def __str__(self):
        return f"{self.organisation} → {self.url}"

    def set_secret(self, value):
        self.secret_enc = crypto.encrypt(value)

    @property
    def secret(self):
        return crypto.decrypt(self.secret_enc)

    def wants(self, action):
        return not self.events or action in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    FAILED = "failed", _("失败，待重试")
    SUCCEEDED = "succeeded", _("已送达")
    GAVE_UP = "gave_up", _("已放弃")


OPEN_DELIVERY = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
# Not done yet: open, or claimed by an attempt (whose claim lapses at next_attempt_at if it never reports back).
UNDONE_DELIVERY = (*OPEN_DELIVERY, DeliveryStatus.SENDING)

# Wait after the 1st, 2nd, … failed attempt; the attempt after the last wait is the final one.
RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint, with every attempt's outcome."""

    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("接收端"), on_delete=models.CASCADE,
                                 related_name="deliveries")
    source = models.CharField(_("来源"), max_length=40, blank=True)
    event_id = models.BigIntegerField(_("事件"), null=True, blank=True)
    action = models.CharField(_("事件"), max_length=24)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_list_idx"),
            models.Index(fields=["source", "event_id"], name="webhook_delivery_event_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "source", "event_id"],
                                    condition=models.Q(event_id__isnull=False), name="webhook_delivery_once_per_event"),
        ]

    def __str__(self):
        return f"{self.endpoint_id} {self.action} {self.status}"


# A daily digest is a Notification of this source, its event_id the period (the local date as YYYYMMDD): the
# constraint above makes it one per recipient per day, however many workers build it.
DIGEST_SOURCE = "digest"
DIGEST_ACTION = "digest"


class NotificationPreference(models.Model):
    """How one user hears of one kind of event (a source's label and action), where they chose other than the
    source's default: choosing the default again removes the row, so a default the source changes reaches
    everyone who never chose."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    source = models.CharField(_("来源"), max_length=40)
    action = models.CharField(_("动作"), max_length=24)
    delivery = models.CharField(_("接收方式"), max_length=10)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "source", "action"], name="notification_pref_once")]

    def __str__(self):
        return f"{self.user_id} {self.source}.{self.action}={self.delivery}"


class DigestEntry(models.Model):
    """An event one user hears of in their next daily digest rather than at once: what their message would have
    said, kept until the digest gathers it (digested_at; digest is the Notification it went into, if any)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=40)
    event_id = models.BigIntegerField(null=True)
    subject_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=24)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    digested_at = models.DateTimeField(null=True)
    digest = models.ForeignKey(Notification, null=True, on_delete=models.SET_NULL, related_name="entries")

    class Meta:
        ordering = ["id"]
        indexes = [
            # The few entries waiting among all those gathered already.
            models.Index(fields=["recipient", "id"], condition=models.Q(digested_at__isnull=True),
                         name="digest_entry_pending_idx"),
            models.Index(fields=["source", "event_id"], name="digest_entry_event_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "source", "event_id"],
                                    condition=models.Q(event_id__isnull=False), name="digest_entry_once_per_event"),
        ]
