"""The inbox page: the user's own notifications, mark read, open the appeal they are about."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.pagination import keyset_page

from . import digest, preferences, selectors, services

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
        "digest_waiting": digest.pending_count(request.user), "digest_at": digest.next_cutoff(),
    })


@login_required
@require_GET
def digest_detail(request, pk):
    """One of the user's daily digests: every item it gathered, each a link to what it is about."""
    summary, entries = digest.entries_of(request.user, pk)
    if summary.read_at is None:
        services.notification_mark_read(user=request.user, notification_id=summary.pk)
    return render(request, "notifications/digest.html", {"digest": summary, "entries": entries})


@login_required
@require_http_methods(["GET", "POST"])
def preference_page(request):
    """How each kind of event reaches the user: one choice per kind, saved all at once."""
    errors = []
    if request.method == "POST":
        items = [{"source": c.source, "action": c.action, "delivery": request.POST.get(c.key, "")}
                 for c in preferences.choices_of(request.user) if c.key in request.POST]
        try:
            preferences.preferences_set(user=request.user, items=items)
        except ValidationError as e:
            errors = [m for ms in e.message_dict.values() for m in ms]
        else:
            messages.success(request, _("通知设置已保存"))
            return redirect("notifications:preferences")
    choices = preferences.choices_of(request.user)
    if errors:  # show what they submitted, not what is stored, next to the messages
        choices = [c._replace(delivery=request.POST.get(c.key, c.delivery)) for c in choices]
    return render(request, "notifications/preferences.html", {
        "choices": choices, "labels": preferences.DELIVERY_LABELS, "errors": errors,
        "digest_time": digest.digest_time(),
    }, status=400 if errors else 200)


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
