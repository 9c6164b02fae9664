"""Accounts, the roles they hold over a scope, and API tokens."""
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.identity import mask_mobile
from gongzhi.grid.models import LEVELS, GridRef


class User(AbstractUser):
    display_name = models.CharField(_("显示名称"), max_length=50, blank=True)
    # The language chosen with the site's switch: their notifications and e-mails are written in it too.
    language = models.CharField(_("语言"), max_length=10, blank=True, choices=settings.LANGUAGES)
    # Set when staff gave them a one-time password: they choose their own before anything else.
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)
    resident = models.OneToOneField("people.Resident", verbose_name=_("居民档案"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="account")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    def phone_clear(self):
        return crypto.decrypt(self.phone_enc)

    def set_phone(self, value):
        self.phone_enc = crypto.encrypt(value)
        self.phone_hash = crypto.lookup_hash(value)
        self.phone_masked = mask_mobile(value)


class Role(models.TextChoices):
    SUBDISTRICT_ADMIN = "subdistrict_admin", _("街道管理员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    PROPERTY_STAFF = "property_staff", _("物业人员")
    OWNERS_COMMITTEE = "owners_committee", _("业委会成员")
    PARTY_MEMBER = "party_member", _("党员/志愿者")
    RESIDENT = "resident", _("居民")
    OUTDOOR_WORKER = "outdoor_worker", _("户外劳动者")
    # A resident who signed up and waits for the grid to confirm them: held over the household they claimed,
    # it grants what the capabilities give it (filing appeals there), none of a resident's household sight.
    APPLICANT = "applicant", _("待确认居民")


class RoleAssignment(GridRef):
    """A role held over a scope: a grid node's subtree, or the grid an organisation covers."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="role_assignments", verbose_name=_("组织"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(organisation__isnull=False, **{f"{lvl}__isnull": True for lvl in LEVELS})
                           | models.Q(organisation__isnull=True)),
                name="role_scope_grid_or_org",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organisation or self.node or _('无范围')}"

    @property
    def scope(self):
        return self.organisation or self.node


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its digest is stored.

    It ends at `expires_at` (API_TOKEN_HOURS after issue), when its holder
    revokes it (the row is deleted), or after API_TOKEN_IDLE_MINUTES unused:
    the session's idle rule, for API clients. Use is recorded at most once per
    TOUCH_EVERY to spare a write per request, so a token may end up to that
    much before a full idle period has passed since its very last use, never after.
    """

    TOUCH_EVERY = timezone.timedelta(minutes=1)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.user} · #{self.pk}"

    @staticmethod
    def idle_limit():
        """How long a token may go unused; None when settings.API_TOKEN_IDLE_MINUTES is 0 (no idle limit)."""
        minutes = settings.API_TOKEN_IDLE_MINUTES
        return timezone.timedelta(minutes=minutes) if minutes > 0 else None

    @property
    def last_active_at(self):
        return self.last_used_at or self.created_at

    @property
    def idle_expires_at(self):
        """When it ends unless used before: the idle limit after its last recorded use, or its hard expiry."""
        idle = self.idle_limit()
        return self.expires_at if idle is None else min(self.expires_at, self.last_active_at + idle)

    @classmethod
    def live(cls, now=None):
        """Tokens that would still be accepted now."""
        now = now or timezone.now()
        qs = cls.objects.filter(expires_at__gt=now)
        idle = cls.idle_limit()
        if idle is not None:
            qs = qs.filter(models.Q(last_used_at__gt=now - idle)
                           | models.Q(last_used_at__isnull=True, created_at__gt=now - idle))
        return qs

    @classmethod
    def issue(cls, user, hours):
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, digest=_token_digest(raw),
                                   expires_at=timezone.now() + timezone.timedelta(hours=hours))
        return token, raw

    @classmethod
    def authenticate(cls, raw, now=None):
        """The live token with this value (its use recorded), or None."""
        now = now or timezone.now()
        token = cls.objects.select_related("user").filter(digest=_token_digest(raw or ""), expires_at__gt=now).first()
        if token is None or not token.user.is_active:
            return None
        idle = cls.idle_limit()
        if idle is not None and token.last_active_at <= now - idle:
            # Ended for good: raising the idle limit later does not bring it back.
            cls.objects.filter(pk=token.pk).update(expires_at=now)
            return None
        if token.last_used_at is None or now - token.last_used_at >= cls.TOUCH_EVERY:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token

    @classmethod
    def user_for(cls, raw):
        token = cls.authenticate(raw)
        return token.user if token is not None else None


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("注册")
    RECOVERY = "recovery", _("找回密码")


class OneTimeCode(models.Model):
    """A code texted to a mobile number (gongzhi.accounts.codes). Every request is a row, a code sent or not
    (`code_digest` empty: the number could not have one), so that the limits per number and per address count
    the same whoever owns the number. Only a keyed digest of the code is kept."""

    purpose = models.CharField(max_length=10, choices=CodePurpose.choices)
    phone_hash = models.CharField(max_length=64)
    code_digest = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        indexes = [models.Index(fields=["phone_hash", "purpose", "created_at"], name="otc_phone_recent"),
                   models.Index(fields=["ip", "created_at"], name="otc_ip_recent")]

    def __str__(self):
        return f"{self.get_purpose_display()} · #{self.pk}"
