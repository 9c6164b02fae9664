"""Errors every capability shares: a write that lost to another (Conflict), and the unexpected errors of the
interfaces that answer in a format of their own (the API's JSON, Open311's error list), reported as Django
reports an uncaught exception, then answered in that format instead of the HTML error page, which their clients
cannot read."""
from django.core import signals
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Conflict(Exception):
    """Someone else changed or took the record first (or it filled up, or closed): nothing was written. The
    message is for the person who tried; the API answers 409 with it. A capability subclasses it for its own
    default words."""

    status = 409
    default_message = gettext_lazy("该记录已被他人修改，请刷新后再操作")

    def __init__(self, message=None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)


# The API's answer for what is not there (or not the caller's to see): the same words on every 404 of the API.
NOT_FOUND_TEXT = "未找到 / not found"


def internal_error_text():
    return _("服务器内部错误，请稍后重试")


def report(request, exc, response):
    """What Django does with an exception no view caught: the got_request_exception signal (error reporters,
    the test client) and an ERROR record of django.request with the traceback."""
    signals.got_request_exception.send(sender=None, request=request)
    log_response("%s: %s", "Internal Server Error", request.path, response=response, request=request, exception=exc)
