"""Reads of accounts."""


def live_tokens(user):
    """The user's API tokens that would still be accepted, newest first (never their values: only digests are kept)."""
    from .models import ApiToken

    return ApiToken.live().filter(user=user).order_by("-created_at", "-id")
