"""Every read of community notices, scoped by the reader through the policy.

Readers see published notices of the places they live or work in (NOTICE_VIEW); editors see, besides, every
notice inside their place, drafts and withdrawn ones included (NOTICE_EDIT). Current notices (published, not
expired) come pinned first, then newest first.
"""
from django.db.models import Prefetch, Q
from django.utils import timezone

from gongzhi.accounts.policy import can, scoped

from .capability import NOTICE_EDIT, NOTICE_PUBLISH, NOTICE_VIEW
from .models import Notice, NoticeReach, Status

TABS = ("current", "expired", "drafts", "withdrawn")
EDITOR_TABS = ("drafts", "withdrawn")
REACH_NODES = ("subdistrict", "community", "compound")


def _unexpired(now):
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now)


def readable(user):
    """Every notice the user may open."""
    qs = Notice.objects.all()
    mine = scoped(user, NOTICE_VIEW, qs)
    if can(user, NOTICE_EDIT):
        mine = mine | scoped(user, NOTICE_EDIT, qs)
    return mine


def current(user, now=None):
    """Published and not expired, pinned first, newest first."""
    now = now or timezone.now()
    return (scoped(user, NOTICE_VIEW, Notice.objects.filter(status=Status.PUBLISHED).filter(_unexpired(now)))
            .order_by("-pinned", "-published_at", "-id"))


def listing(user, tab="current", now=None):
    now = now or timezone.now()
    if tab == "current":
        return current(user, now)
    if tab == "expired":
        return (scoped(user, NOTICE_VIEW, Notice.objects.filter(status=Status.PUBLISHED, expires_at__lte=now))
                .order_by("-expires_at", "-id"))
    status = {"drafts": Status.DRAFT, "withdrawn": Status.WITHDRAWN}[tab]
    return scoped(user, NOTICE_EDIT, Notice.objects.filter(status=status)).order_by("-updated_at", "-id")


def tabs_for(user):
    return TABS if can(user, NOTICE_EDIT) else TABS[:2]


def with_reach(qs):
    """The notices with the names of their places, in two more queries for the whole page."""
    return qs.select_related("publisher").prefetch_related(
        Prefetch("reach", queryset=NoticeReach.objects.select_related(*REACH_NODES).order_by("id")))


def get(user, pk):
    """One notice the user may open, or None."""
    try:
        return with_reach(readable(user)).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        return None


def may_edit(user, notice):
    return can(user, NOTICE_EDIT, notice)


def may_publish(user, notice):
    return can(user, NOTICE_PUBLISH, notice)
