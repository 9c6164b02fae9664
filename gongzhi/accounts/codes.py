"""One-time codes texted to a mobile number: to sign up with it, or to choose a new password.

Whoever asks gets the same answer whether the number has an account or not: only the phone's owner learns,
from the text itself (a code, or "this number already has an account"), so the pages cannot be used to test
which numbers are registered. A code is six digits, kept as a keyed digest, good for
ONE_TIME_CODE_MINUTES, ended by ONE_TIME_CODE_ATTEMPTS wrong tries, by a newer code for the same number, or by
its use. Requests are limited per number and per client address, counted in the database.
"""
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.identity import validate_mobile
from gongzhi.core.middleware import client_ip

from . import sms
from .models import CodePurpose, OneTimeCode, User


@dataclass
class TooMany(Exception):
    """Over a limit: say so, and when to try again (seconds)."""

    retry_after: int

    @property
    def message(self):
        minutes = max(1, -(-self.retry_after // 60))
        return _("请求过于频繁，请%(minutes)d分钟后再试。") % {"minutes": minutes}


def after_commit(fn):
    """Send once the row is there (tests inside one transaction replace this to send at once)."""
    transaction.on_commit(fn)


def _digest(purpose, phone_hash, code):
    return salted_hmac("gongzhi.accounts.codes", f"{purpose}:{phone_hash}:{code}").hexdigest()


def _check_limits(phone_hash, ip, now):
    hour_ago = now - timezone.timedelta(hours=1)
    mine = OneTimeCode.objects.filter(phone_hash=phone_hash, created_at__gt=hour_ago)
    latest = mine.order_by("-created_at").values_list("created_at", flat=True).first()
    interval = timezone.timedelta(seconds=settings.ONE_TIME_CODE_INTERVAL_SECONDS)
    if latest is not None and now - latest < interval:
        raise TooMany(int((latest + interval - now).total_seconds()) + 1)
    if mine.count() >= settings.ONE_TIME_CODES_PER_NUMBER_HOUR:
        oldest = mine.order_by("created_at").values_list("created_at", flat=True).first()
        raise TooMany(int((oldest + timezone.timedelta(hours=1) - now).total_seconds()) + 1)
    if ip and OneTimeCode.objects.filter(ip=ip, created_at__gt=hour_ago).count() >= settings.ONE_TIME_CODES_PER_ADDRESS_HOUR:
        raise TooMany(3600)


def _message(purpose, code, account):
    minutes = settings.ONE_TIME_CODE_MINUTES
    if purpose == CodePurpose.SIGNUP and account is not None:
        return _("【共治】该手机号已注册共治账号。如忘记密码，请在登录页选择“忘记密码”。如非本人操作，请忽略。")
    if purpose == CodePurpose.SIGNUP:
        return _("【共治】您的注册验证码是 %(code)s，%(minutes)d分钟内有效。请勿告诉他人。") % {"code": code, "minutes": minutes}
    return _("【共治】您正在找回密码，验证码是 %(code)s，%(minutes)d分钟内有效。如非本人操作，请忽略。") % {
        "code": code, "minutes": minutes}


def code_request(*, purpose, mobile, request=None, now=None):
    """Ask for a code for `mobile` (raises ValidationError on a malformed number, TooMany over a limit).

    Sign-up: a number with no account is sent a code; one with an account is told so, and no code is made.
    Recovery: an active account's number is sent a code; any other number nothing. The caller answers the same
    in every case. The text goes once the row is committed."""
    mobile = validate_mobile(mobile or "")
    now = now or timezone.now()
    phone_hash = crypto.lookup_hash(mobile)
    ip = client_ip(request)
    with transaction.atomic():
        # One request at a time per number: the limits are counted, then the row is added, without a race.
        list(OneTimeCode.objects.select_for_update().filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True,
                                                           expires_at__gt=now))
        _check_limits(phone_hash, ip, now)
        account = User.objects.filter(phone_hash=phone_hash).first()
        gets_code = account is None if purpose == CodePurpose.SIGNUP else (account is not None and account.is_active)
        code = f"{secrets.randbelow(10 ** 6):06d}" if gets_code else ""
        # A newer code ends the ones before it: only the latest text is good.
        OneTimeCode.objects.filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True,
                                   expires_at__gt=now).update(expires_at=now)
        OneTimeCode.objects.create(purpose=purpose, phone_hash=phone_hash, ip=ip, created_at=now,
                                   code_digest=_digest(purpose, phone_hash, code) if code else "",
                                   expires_at=now + timezone.timedelta(minutes=settings.ONE_TIME_CODE_MINUTES))
        if code or (purpose == CodePurpose.SIGNUP and account is not None):
            text = _message(purpose, code, account)
            after_commit(lambda: sms.send(mobile, text))


def code_take(*, purpose, mobile, code, now=None):
    """Is `code` the live code of this number? A right code is used up; a wrong one counts against the code.
    Committed on its own (a savepoint inside a caller's transaction is not enough: the count must stay when the
    caller then refuses and rolls back), so call it outside a transaction."""
    now = now or timezone.now()
    code = (code or "").strip()
    phone_hash = crypto.lookup_hash(mobile)
    with transaction.atomic():
        row = (OneTimeCode.objects.select_for_update()
               .filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
               .order_by("-created_at").first())
        if row is None or not row.code_digest or row.attempts >= settings.ONE_TIME_CODE_ATTEMPTS:
            return False
        if len(code) == 6 and code.isascii() and code.isdigit() and \
                hmac.compare_digest(row.code_digest, _digest(purpose, phone_hash, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return True
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return False


def code_error():
    return _("验证码错误或已过期，请重新获取。")
