"""Request-wide middleware: the current request for the audit log, and the check of incoming text."""
from contextvars import ContextVar

from django.urls import get_resolver

from . import text

_current_request: ContextVar = ContextVar("gongzhi_request", default=None)


def current_request():
    return _current_request.get()


def client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


class InputTextMiddleware:
    """Refuses, with 400 naming the field, text that cannot be stored (see gongzhi.core.text).

    Headers of every request: some reach the database (axes records the user agent of each login, the
    bearer token is looked up), and gunicorn refuses NUL in them but other servers need not. Query string,
    form fields and file names of every view that does not check its own (the JSON API and Open311 do,
    to answer in their own formats: `checks_own_text`). The answer is handler400's, which speaks the
    format of the URL (gongzhi.api.base.api_aware_400); it is returned rather than raised so that the log
    gets one line, not a traceback.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            text.check_pairs((name[5:].replace("_", "-").title(), value) for name, value in request.META.items()
                             if name.startswith("HTTP_"))
        except text.InputTextError as e:
            return self._refuse(request, e)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "checks_own_text", False):
            return None
        try:
            text.check_querydict(request.GET)
            if request.method == "POST":
                text.check_querydict(request.POST)
                text.check_querydict(request.FILES)
        except text.InputTextError as e:
            return self._refuse(request, e)
        return None

    @staticmethod
    def _refuse(request, error):
        return get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(400)(request, error)
