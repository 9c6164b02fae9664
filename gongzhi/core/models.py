from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    REVEAL = "reveal", _("查看明文")
    LOOKUP = "identifier_lookup", _("按证件号码或手机号查找")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    DENIED = "permission_denied", _("拒绝访问")


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete are refused too. (Deleting a user still clears AuditEntry.user:
    the deletion collector works through the plain base manager.)"""

    def update(self, **kwargs):
        raise AppendOnlyError("audit entries are append-only")

    def delete(self):
        raise AppendOnlyError("audit entries are append-only")


class AuditEntry(models.Model):
    """One row per audited event. Rows are never changed or removed through the product."""

    objects = AppendOnlyQuerySet.as_manager()

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        default_permissions = ("view",)
        # (user, action, at): a user's recent identifier lookups are counted on every such lookup (people.lookup).
        indexes = [models.Index(fields=["object_type", "object_id"]),
                   models.Index(fields=["user", "action", "at"], name="audit_user_action_at")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.object_type}:{self.object_id}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（休息）")
    WORKDAY = "workday", _("调休上班日")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday on a weekday, or an adjusted working weekend."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class BilingualName:
    """For models with `name` (Chinese, the default) and `name_en`: the name in the reader's language."""

    @property
    def label(self):
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class ReferenceStamp(models.Model):
    """One row: the token under which processes may keep reference data in memory (gongzhi.core.reference)."""

    token = models.CharField(max_length=32)

    class Meta:
        default_permissions = ()


class WorkerHeartbeat(models.Model):
    """A background worker that is alive writes `seen_at` every few seconds (gongzhi.core.worker); a task left
    "running" by a worker not seen for TASK_RECLAIM_SECONDS is taken for orphaned and run again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.worker_id} {self.host}:{self.pid}"



class IdempotencyKey(models.Model):
    """The first answer to a POST that carried an idempotency key, kept so a retry gets it again instead of
    doing the work twice (gongzhi.core.idempotency). Written in the transaction of the work it answers for."""

    operation = models.CharField(max_length=40)
    owner = models.CharField(max_length=64)  # who sent it: "user:12", "open311-client:3"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the request's content, to refuse another payload
    status = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["operation", "owner", "key"], name="idempotency_key_once")]

    def __str__(self):
        return f"{self.operation} {self.owner} {self.key}"
