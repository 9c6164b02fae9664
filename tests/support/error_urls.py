"""The site's URLs plus three that fail on purpose, for the error pages' tests (ROOT_URLCONF in those tests)."""
from django.core.exceptions import PermissionDenied
from django.urls import path

from gongzhi.urls import handler400, handler403, handler404, handler500, urlpatterns as site  # noqa: F401


def _boom(request):
    raise RuntimeError("a bug")


def _denied(request):
    raise PermissionDenied


urlpatterns = [path("test-boom/", _boom), path("api/v1/test-boom", _boom), path("test-denied/", _denied), *site]
