"""Template context: the unread badge in the header.

Lazy: the COUNT runs only when a template uses `unread_notifications`, once
per response, and never for anonymous visitors.
"""
from functools import cache

from .selectors import unread_count as _unread_count


def unread_count(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count():
        return _unread_count(user)

    return {"unread_notifications": count}
