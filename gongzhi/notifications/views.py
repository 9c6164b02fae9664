"""The inbox page: the user's own notifications, mark read, open the appeal they are about."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from gongzhi.core.pagination import keyset_page

from . import selectors, services

PAGE = 30


def _back(request, default=None):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default or reverse("notifications:inbox"))


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") in ("1", "true", "on")
    qs = selectors.notifications_for(request.user, unread=unread_only)
    try:
        items, next_cursor = keyset_page(qs, cursor=request.GET.get("cursor") or None, limit=PAGE)
    except ValidationError:
        items, next_cursor = keyset_page(qs, limit=PAGE)
    return render(request, "notifications/inbox.html", {
        "items": items, "next_cursor": next_cursor, "unread_only": unread_only,
        "unread": selectors.unread_count(request.user), "first_page": not request.GET.get("cursor"),
    })


@login_required
@require_GET
def open_notification(request, pk):
    """Follow a notification: it is marked read, and the user lands on what it is about."""
    n = services.notification_mark_read(user=request.user, notification_id=pk)
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk):
    services.notification_mark_read(user=request.user, notification_id=pk)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    services.notification_mark_all_read(user=request.user)
    return _back(request)
