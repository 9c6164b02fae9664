from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .display import ELDER_CHOSEN_KEY
from .lockout import login_name
from .services import elder_mode_set


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit(AuditAction.LOGIN, user=user, request=request, obj=user)
    # 长辈版 switched on (or off) on the login page just before: the account takes it, so it stays.
    chosen = request.session.pop(ELDER_CHOSEN_KEY, None) if request is not None else None
    if chosen is not None:
        elder_mode_set(user=user, on=chosen, request=request, detail="elder mode at login")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit(AuditAction.LOGOUT, user=user, request=request, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The account's username, never a mobile or ID number typed into the login box.
    audit(AuditAction.LOGIN_FAILED, request=request, success=False,
          username=login_name(credentials.get("username", "")), object_type="accounts.user")
