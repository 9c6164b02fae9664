"""Finding residents by a full ID number or mobile number: a reveal, so a right of its own.

Typing a full number and seeing whether someone comes back tells whose
number it is. With a masked ID number (region and last four shown) and an
age, a few dozen guesses recover the whole number; a masked mobile, ten
thousand. So a lookup by identifier is treated as the reveal it is:

* it needs FIND_BY_ID / FIND_BY_PHONE, held by exactly the roles that may
  reveal that number, and finds only inside that right's scope;
* a user without the right is told so before anything is looked up: a
  number that is registered and one that is not get the same answer from the
  same queries;
* every lookup is one AuditAction.LOOKUP row (who, which field, the keyed
  hash of the normalised number, how many residents it found, or why it was
  refused), never the number itself;
* at most settings.IDENTIFIER_LOOKUP_LIMIT lookups per user in any window of
  IDENTIFIER_LOOKUP_WINDOW_MINUTES. The count is taken from those audit rows,
  so every app-server process sees the same one. Registering a number that
  another resident holds is a lookup too (people.services, people.conflicts)
  and counts the same way.
"""
import functools
import math
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import can, scoped
from .capability import FIND_BY_ID, FIND_BY_PHONE
from gongzhi.core import crypto
from gongzhi.core.audit import audit
from gongzhi.core.identity import normalise_id_number, normalise_mobile
from gongzhi.core.models import AuditAction, AuditEntry

ID_NUMBER, PHONE = "id_number", "phone"
FIND_ACTIONS = {ID_NUMBER: FIND_BY_ID, PHONE: FIND_BY_PHONE}
HASH_FIELDS = {ID_NUMBER: "id_number_hash", PHONE: "phone_hash"}

# Spaces, dashes and zero-width characters typed or pasted inside a number.
_SEPARATORS = re.compile(r"[\s\-\u200b-\u200d\u2060\ufeff]")
_FULL_ID = re.compile(r"\d{17}[\dX]", re.ASCII)
_FULL_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)


def identifier_of(term):
    """(field, normalised number) when the term is a whole ID number or mainland mobile; otherwise None.

    Only the form counts, not the check digit: a term shaped like an ID number
    is an ID lookup whether or not such a number can exist.
    """
    bare = _SEPARATORS.sub("", term or "")
    id_number = normalise_id_number(bare)
    if _FULL_ID.fullmatch(id_number):
        return ID_NUMBER, id_number
    mobile = normalise_mobile(bare)
    if _FULL_MOBILE.fullmatch(mobile):
        return PHONE, mobile
    return None


class LookupRefused(ValidationError):
    """A lookup not done. A ValidationError, so a form shows it on its field; the API answers `status`."""

    status = 403

    def __init__(self, message, *, field, retry_after=None):
        super().__init__({field: [message]})
        self.text, self.field, self.retry_after = str(message), field, retry_after


class LookupLimited(LookupRefused):
    status = 429


def no_right_message(field):
    if field == ID_NUMBER:
        return _("按身份证号查找居民需要查看身份证号明文的权限，您的角色没有该权限；请按姓名或地址查找。")
    return _("按手机号查找居民需要查看手机号明文的权限，您的角色没有该权限；请按姓名或地址查找。")


def _record(user, field, term_hash, *, via, hits=None, refused=""):
    changes = {"field": field, "term_hash": term_hash, "via": via}
    if hits is not None:
        changes["hits"] = hits
    audit(AuditAction.LOOKUP, user=user, object_type="people.resident", object_repr=_("按证件号码或手机号查找居民"),
          changes=changes, success=not refused, detail=refused)


def _window():
    return timedelta(minutes=settings.IDENTIFIER_LOOKUP_WINDOW_MINUTES)


def _over_limit(user, field):
    """None while the user may look up again; else a LookupLimited (on the form field `field`) saying when."""
    now = timezone.now()
    limit = settings.IDENTIFIER_LOOKUP_LIMIT
    recent = AuditEntry.objects.filter(user=user, action=AuditAction.LOOKUP, success=True, at__gte=now - _window())
    used = recent.count()
    if used < limit:
        return None
    # The user may look up again once enough of these have left the window to bring them under the limit.
    freed_at = recent.order_by("at").values_list("at", flat=True)[used - limit] + _window()
    wait = max(1, math.ceil((freed_at - now).total_seconds()))
    message = _("按证件号码或手机号查找过于频繁：每%(window)d分钟最多%(limit)d次，请%(wait)d分钟后再试。") % {
        "window": settings.IDENTIFIER_LOOKUP_WINDOW_MINUTES, "limit": limit, "wait": math.ceil(wait / 60)}
    return LookupLimited(message, field=field, retry_after=wait)


def residents_by_identifier(*, user, field, value, queryset):
    """The residents of `queryset` whose `field` is `value`, inside the user's A.FIND_BY_* scope: audited, limited.

    Raises LookupRefused (no right: nothing is looked up) or LookupLimited (over the limit); both are audited.
    """
    term_hash = crypto.lookup_hash(value)
    action = FIND_ACTIONS[field]
    if not can(user, action):
        _record(user, field, term_hash, via="search", refused="no_right")
        raise LookupRefused(no_right_message(field), field="q")
    found = scoped(user, action, queryset.filter(**{HASH_FIELDS[field]: term_hash}))
    with transaction.atomic():
        # Serialise one user's lookups (on PostgreSQL) so that parallel requests cannot all pass the count.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        limited = _over_limit(user, "q")
        if limited is None:
            _record(user, field, term_hash, via="search", hits=found.count())
    if limited is not None:
        _record(user, field, term_hash, via="search", refused="over_limit")
        raise limited
    return found


# ---- lookups made by registering a number (people.services) ------------------------------------------


class Deferred(Exception):
    """Raised inside a service's transaction: what to write once it has rolled back, and the error to give then."""

    def __init__(self, record, error):
        super().__init__(str(error))
        self.record, self.error = record, error


def records_after_rollback(service):
    """Wrap an atomic service so that a Deferred's audit rows (and conflict record) outlive the rollback."""

    @functools.wraps(service)
    def run(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except Deferred as deferred:
            deferred.record()
            raise deferred.error from None

    return run


def check_registration_budget(user, term_hash):
    """Before a number is checked against the register: refuse (deferred, audited) when the user is over the limit.

    Asked whether or not the number turns out to be taken, so that being over the
    limit answers the same for a number that is registered and one that is not.
    """
    limited = _over_limit(user, ID_NUMBER)
    if limited is not None:
        raise Deferred(lambda: _record(user, ID_NUMBER, term_hash, via="registration", refused="over_limit"), limited)


def record_registration_hit(user, term_hash):
    """A number typed into a registration that another resident already holds: a lookup with one hit."""
    _record(user, ID_NUMBER, term_hash, via="registration", hits=1)
