"""A resident's own sign-up, waiting for the grid to confirm that they live where they say."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.places import Placed


class SignupStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REFUSED = "refused", _("未通过")


class SignupRequest(Placed):
    """Placed at the household the applicant claimed: the grid workers and the community over it review it.
    The account waits meanwhile with the applicant role over that household (gongzhi.accounts.models.Role)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE,
                             related_name="signup_requests")
    name = models.CharField(_("姓名"), max_length=50)
    status = models.CharField(_("状态"), max_length=10, choices=SignupStatus.choices, default=SignupStatus.PENDING)
    reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    resident = models.ForeignKey("people.Resident", verbose_name=_("居民档案"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("注册申请")
        verbose_name_plural = _("注册申请")
        indexes = [models.Index(fields=["status", "compound", "created_at"], name="signup_status_place")]

    def __str__(self):  # no name: titles and the audit log carry no personal data
        return _("注册申请 #%(pk)s") % {"pk": self.pk}
