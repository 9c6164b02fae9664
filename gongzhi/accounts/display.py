"""How pages are shown to someone: 长辈版 (elder-friendly: large text, high contrast) or the standard pages.

A signed-in user's choice is on their account (User.elder_mode), so it follows them to every device. A visitor
who is not signed in has it in a cookie; the cookie also keeps a signed-out device as its last user had it, so
the login page an elderly resident comes back to is still in large text.
"""
from django.conf import settings

ELDER_COOKIE = "gz_elder"
# A choice made while signed out, kept in the session until the login that follows takes it into the account.
# Only a choice made in this visit is taken: a cookie left on a shared phone by someone else is not.
ELDER_CHOSEN_KEY = "elder_mode_chosen"
ONE_YEAR = 365 * 24 * 3600


def elder_mode(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.elder_mode
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def remember_on_device(response, on):
    response.set_cookie(ELDER_COOKIE, "1" if on else "0", max_age=ONE_YEAR, samesite="Lax", httponly=True,
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


def context(request):
    """Template context: `elder_mode`, for the class on <html> and the switch's state."""
    return {"elder_mode": elder_mode(request)}
