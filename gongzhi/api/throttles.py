"""Rate limits on the JSON API, made with django-ninja's throttles (ninja.throttling).

- LoginThrottle, on the token endpoints (POST /auth/token and /auth/token/form), the only operations of the
  API open without a token: API_THROTTLE_LOGIN per client address, for every attempt, right or wrong. It adds
  to the lock of an account after AXES_FAILURE_LIMIT failures: it slows trying many accounts from one place.
- WriteThrottle, on every other POST, PUT, PATCH and DELETE: API_THROTTLE_WRITE per user. Reads are not limited.

An answer over a limit is 429 with Retry-After (whole seconds). The rates are read from settings on each request,
not once when the module is imported as ninja's own classes read theirs, so that a deployment's environment and a
test's settings override both apply. The counts are kept in Django's default cache (see README, Configuration:
with the default per-process cache each app-server process counts on its own).
"""
import threading

from django.conf import settings
from ninja.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Login(AnonRateThrottle):
    scope = "login"


class _Writes(UserRateThrottle):
    scope = "write"

    def get_cache_key(self, request):
        if request.method in SAFE_METHODS:
            return None  # not counted
        return super().get_cache_key(request)


class _FromSetting(BaseThrottle):
    """A ninja throttle of class `kind` at the rate of the setting `setting` ("30/min"; empty: no limit).

    One is made for each request and kept for this thread until ninja asks how long to wait: ninja's throttles
    keep the request's history on themselves, and a throttle object is shared by every request of the process.
    """

    kind = None
    setting = None

    def __init__(self):
        self._local = threading.local()

    def allow_request(self, request):
        rate = getattr(settings, self.setting, "") or None
        self._local.throttle = throttle = self.kind(rate) if rate else None
        return throttle is None or throttle.allow_request(request)

    def wait(self):
        throttle = getattr(self._local, "throttle", None)
        return throttle.wait() if throttle is not None else None


class LoginThrottle(_FromSetting):
    kind = _Login
    setting = "API_THROTTLE_LOGIN"


class WriteThrottle(_FromSetting):
    kind = _Writes
    setting = "API_THROTTLE_WRITE"


class _PublicReads(AnonRateThrottle):
    scope = "public"

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicThrottle(_FromSetting):
    """The few reads open without a token (finding a rest station): API_THROTTLE_PUBLIC per client address,
    signed in or not, so that nobody scrapes or floods them."""

    kind = _PublicReads
    setting = "API_THROTTLE_PUBLIC"
