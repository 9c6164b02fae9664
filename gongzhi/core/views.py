from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import errors


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# ---- error pages: JSON under /api/, a page with the site's navigation and a way back elsewhere -----------

def _api(request):
    return request.path.startswith("/api/")


def _back(request):
    """The page the visitor came from, when it is one of ours (never another site's address)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return ""


def _page(request, status, title, message, *, hint="", login=False):
    user = getattr(request, "user", None)
    return render(request, "errors/page.html", {
        "code": status, "title": title, "message": message, "hint": hint, "back": _back(request),
        "login": request.get_full_path() if login and not (user and user.is_authenticated) else "",
    }, status=status)


def page_not_found(request, exception=None):
    """404, for an address nothing answers and for a record outside the visitor's scope alike: it names
    nothing, so it cannot confirm that a record exists."""
    if _api(request):
        return JsonResponse({"detail": errors.NOT_FOUND_TEXT, "field": None, "errors": None}, status=404)
    return _page(request, 404, _("页面不存在"), _("您要找的页面不存在，或您没有查看它的权限。"),
                 hint=_("如果是从链接进入的，链接可能已失效。"), login=True)


def permission_denied(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": _("无权执行此操作"), "field": None, "errors": None}, status=403)
    return _page(request, 403, _("无权执行此操作"), _("您的账号没有执行这项操作的权限。"),
                 hint=_("如需办理，请联系社区工作人员。"), login=True)


def server_error(request):
    if _api(request):
        return JsonResponse({"detail": errors.internal_error_text(), "field": None, "errors": None}, status=500)
    # Without the request: the context processors read the database, which may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    """A form sent from a page that expired (a new session, a long pause) or from another site. Django's
    reason is for developers; the visitor is told what happened to what they sent and what to do."""
    return _page(request, 403, _("页面已过期"), _("这次提交没有保存：页面已过期，或不是从本站的页面提交的。"),
                 hint=_("请返回上一页，刷新后重新提交；如果长时间未操作，请先重新登录。"), login=True)
