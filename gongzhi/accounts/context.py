from django.conf import settings

from .policy import scope_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The idle timeout, for the page's warning before it (static/js/session.js).
    return {"gz_scope": scope_of(user), "idle_seconds": settings.SESSION_COOKIE_AGE}
