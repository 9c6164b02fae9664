"""Someone signed in with a one-time password chooses their own before anything else."""
from django.shortcuts import redirect
from django.urls import reverse

# What such a person may still reach: the page to choose it, logging out, the language switch, the static files;
# the API and Open311 answer by their tokens and keys, not this session (no API token is issued meanwhile).
_OPEN = ("accounts/password/", "accounts/logout/", "i18n/", "static/", "accounts/keepalive/", "api/", "open311/")


class MustChangePasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and user.must_change_password
                and not request.path.lstrip("/").startswith(_OPEN)):
            return redirect(reverse("password_change"))
        return self.get_response(request)
