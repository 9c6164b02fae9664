from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .lockout import login_name


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit(AuditAction.LOGIN, user=user, request=request, obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit(AuditAction.LOGOUT, user=user, request=request, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The account's username, never a mobile or ID number typed into the login box.
    audit(AuditAction.LOGIN_FAILED, request=request, success=False,
          username=login_name(credentials.get("username", "")), object_type="accounts.user")
