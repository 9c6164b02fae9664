"""Sign-up's parts of the home (gongzhi.dashboard.homes): the reviewers' waiting sign-ups, and an applicant's
own state (waiting, or refused and why)."""
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import can, scope_of
from gongzhi.dashboard.homes import Panel

from . import selectors
from .capability import SIGNUP_REVIEW

SHOWN = 5


def waiting(request):
    rows = list(selectors.to_review(request.user)[:SHOWN + 1])  # one query; "5+" past that
    return {"signups": rows[:SHOWN], "more": len(rows) > SHOWN}


def mine(request):
    return {"signup": selectors.latest_of(request.user)}


def _applicant_or_refused(user):
    """Waiting (the applicant role, which the page has read already), or refused (no role left, and a sign-up:
    asked only of accounts with no role at all)."""
    scope = scope_of(user)
    if Role.APPLICANT in scope.roles:
        return True
    return not scope.roles and not scope.superuser and user.signup_requests.exists()


PANELS = (
    Panel("signup.review", "signup/home_review.html", lambda u: can(u, SIGNUP_REVIEW), waiting, order=12),
    Panel("signup.mine", "signup/home_mine.html", _applicant_or_refused, mine, order=5),
)
