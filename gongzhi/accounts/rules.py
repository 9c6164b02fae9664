"""Expose the policy through Django's permission API (user.has_perm) via `rules`, for every declared action."""
import rules

from . import policy


def _predicate(action):
    @rules.predicate(name=action)
    def allowed(user, obj=None):
        return policy.can(user, action, obj)

    return allowed


def register_permissions():
    for action in policy.all_actions():
        if not rules.perm_exists(action):
            rules.add_perm(action, _predicate(action))
