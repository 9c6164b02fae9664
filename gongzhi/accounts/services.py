"""Writes of the accounts app: API tokens issued and revoked, passwords changed, each audited."""
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .codes import code_error, code_take
from .models import ApiToken, CodePurpose, User


def token_issue(*, user, request=None):
    """(token, raw value) for a user who has just proved who they are."""
    token, raw = ApiToken.issue(user, settings.API_TOKEN_HOURS)
    audit(AuditAction.LOGIN, user=user, request=request, obj=user, detail="api token",
          changes={"token": token.pk, "expires_at": token.expires_at.isoformat()})
    return token, raw


@transaction.atomic
def token_revoke(*, user, token, request=None):
    """End one of the user's own tokens at once. Returns False when it is not theirs or already gone."""
    pk = token.pk if isinstance(token, ApiToken) else token
    deleted, _ = ApiToken.objects.filter(pk=pk, user=user).delete()
    if not deleted:
        return False
    audit(AuditAction.LOGOUT, user=user, request=request, obj=user, detail="api token revoked",
          changes={"token": pk})
    return True


@transaction.atomic
def password_change(*, user, old_password, new_password, request=None, keep_token=None):
    """Change one's own password, checked against the current one and the password rules (settings'
    AUTH_PASSWORD_VALIDATORS). Every other way in ends: the sessions elsewhere (Django's session hash follows the
    password) and every API token but `keep_token`, the one in use. Audited without either password."""
    errors = {}
    if not user.check_password(old_password or ""):
        errors["old_password"] = [_("当前密码不正确")]
    if not new_password:
        errors["new_password"] = [_("请输入新密码")]
    elif new_password == old_password:
        errors["new_password"] = [_("新密码不能与当前密码相同")]
    else:
        try:
            password_validation.validate_password(new_password, user)
        except ValidationError as e:
            errors["new_password"] = e.messages
    if errors:
        raise ValidationError(errors)
    _set_password(user, new_password, by=user, detail="password changed", request=request, keep_token=keep_token)


def password_recover(*, mobile, code, new_password, request=None):
    """A new password for the account of `mobile`, by the code texted to it (gongzhi.accounts.codes). A wrong
    code, a number with no account and an ended code read alike. Every session and API token of the account
    ends; audited as the account's own act, without the password. Returns the user."""
    from gongzhi.core.identity import validate_mobile

    errors = {}
    try:
        mobile = validate_mobile(mobile or "")
    except ValidationError as e:
        errors["mobile"] = e.messages
    if not new_password:
        errors["new_password"] = [_("请输入新密码")]
    else:
        try:  # the rules that need no account first: a refusal here spends no try of the code
            password_validation.validate_password(new_password)
        except ValidationError as e:
            errors["new_password"] = e.messages
    if not (code or "").strip():
        errors["code"] = [_("请输入验证码")]
    if errors:
        raise ValidationError(errors)
    if not code_take(purpose=CodePurpose.RECOVERY, mobile=mobile, code=code):
        raise ValidationError({"code": [code_error()]})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone_hash=crypto.lookup_hash(mobile), is_active=True).first()
        if user is None:  # deactivated since the code was sent
            raise ValidationError({"code": [code_error()]})
        try:
            password_validation.validate_password(new_password, user)
        except ValidationError as e:
            raise ValidationError({"new_password": e.messages}) from e
        _set_password(user, new_password, by=user, detail="password recovered by code", request=request)
    return user


def password_reset_by_staff(*, staff, user, request=None):
    """A one-time password for someone who lost theirs, given by staff who may change their record (the caller
    checks that). It works once: they must choose their own before anything else. Their sessions and API tokens
    end. Returns the one-time password, to be shown once; audited without it."""
    one_time = "".join(secrets.choice(ONE_TIME_ALPHABET) for _i in range(10))
    with transaction.atomic():
        _set_password(user, one_time, by=staff, detail="password reset by staff", request=request,
                      must_change=True)
    return one_time


def _set_password(user, raw, *, by, detail, request=None, must_change=False, keep_token=None):
    """The new password, every other way in ended (sessions follow the password's hash; API tokens but the one
    in use are deleted), audited without the password."""
    user.set_password(raw)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])
    ended = ApiToken.objects.filter(user=user).exclude(pk=getattr(keep_token, "pk", None)).delete()[0]
    audit(AuditAction.UPDATE, user=by, request=request, obj=user, detail=detail,
          changes={"password": ["***", "***"], "api_tokens_ended": ended})


# Letters and digits that cannot be taken for one another when read out or copied from a screen.
ONE_TIME_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
