"""Login lockout (django-axes) per account, whatever form of the login name was typed.

The login accepts the username or the account's mobile number, and the
mobile in many spellings (+86…, 0086…, spaces, dashes, full-width digits).
Counting failures by the text typed would give each spelling its own five
guesses; counting by `login_name()` gives the account one count, on the
login page and on POST /api/v1/auth/token alike.

`login_name()` is also what the audit log and axes' own tables record for a
failed login, so a mobile number typed into the login box is never stored in
clear: it becomes the account's username, or, when no account has it, the
masked number (139****5678).
"""
import math

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.identity import mask_id_number, mask_mobile, normalise_id_number, normalise_mobile

USERNAME_MAX = 150


def _is_mobile(value):
    return len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1" and value[1] in "3456789"


def _is_id_number(value):
    return len(value) == 18 and value.isascii() and value[:17].isdigit() and value[17] in "0123456789X"


def account_for(typed):
    """The active or inactive account a login name stands for (username first, then mobile), or None.

    The same order as gongzhi.accounts.backends.UsernameOrMobileBackend.
    """
    typed = typed or ""
    if not typed:
        return None
    User = get_user_model()
    user = User.objects.filter(username=typed).first()
    if user is None:
        mobile = normalise_mobile(typed)
        if _is_mobile(mobile):
            user = User.objects.filter(phone_hash=crypto.lookup_hash(mobile)).first()
    return user


def login_name(typed):
    """What a login attempt is counted and recorded under: the account's username when the name
    (username or mobile in any spelling) belongs to one; otherwise the name with any mobile or ID
    number masked."""
    typed = str(typed or "")[:USERNAME_MAX]
    user = account_for(typed)
    if user is not None:
        return user.get_username()
    mobile = normalise_mobile(typed)
    if _is_mobile(mobile):
        return mask_mobile(mobile)
    id_number = normalise_id_number(typed)
    if _is_id_number(id_number):
        return mask_id_number(id_number)
    return typed.strip()


def axes_username(request, credentials=None):
    """AXES_USERNAME_CALLABLE: the account a login attempt is counted against."""
    if credentials and "username" in credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "POST", {}).get("username") if request is not None else None
    return login_name(typed)


def _cooloff_minutes():
    hours = settings.AXES_COOLOFF_TIME
    return max(1, math.ceil(float(hours) * 60)) if isinstance(hours, (int, float)) else 30


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: Chinese, and in the API's JSON error format under /api/."""
    message = _("连续登录失败%(n)d次，账号已锁定，请%(minutes)d分钟后再试。") % {
        "n": settings.AXES_FAILURE_LIMIT, "minutes": _cooloff_minutes()}
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "field": "username"}, status=status)
    return render(request, "accounts/locked.html", {"message": message}, status=status)
