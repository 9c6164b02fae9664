"""Open311 GeoReport v2: the client applications we issue keys to, and the requests they filed."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LEN = 8


def key_digest(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


class ApiClient(models.Model):
    """An application that files appeals through Open311 (a city app, a hotline system, …).

    Appeals it files are submitted by its own service account (`user`): a user that cannot log
    in and holds no role, known to the appeals service as an Open311 client by this link.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系人/联系方式"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("服务账号"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="open311_client", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """An API key of a client. Only its SHA-256 digest and its first characters are kept."""

    client = models.ForeignKey(ApiClient, verbose_name=_("客户端"), on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LEN, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self):
        return f"{self.client} · {self.prefix}…"

    @property
    def is_valid(self):
        return self.revoked_at is None

    @staticmethod
    def new_raw():
        return secrets.token_urlsafe(30)


class ServiceRequest(models.Model):
    """An appeal filed through Open311: who filed it, the token it can be polled by, what the client sent."""

    appeal = models.OneToOneField("appeals.Appeal", on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(ApiClient, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=32, unique=True)
    account_id = models.CharField(_("客户端账号"), max_length=100, blank=True)
    device_id = models.CharField(_("设备标识"), max_length=100, blank=True)
    email_enc = models.TextField(blank=True, editable=False)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")

    def __str__(self):
        return self.token

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(18)
