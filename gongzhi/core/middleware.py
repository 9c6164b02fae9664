"""Keeps the current request reachable by the audit log without passing it everywhere."""
from contextvars import ContextVar

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
