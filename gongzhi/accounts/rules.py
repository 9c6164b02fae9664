"""Expose the policy module through Django's permission API (user.has_perm) via `rules`."""
import rules

from . import policy


def _predicate(action):
    @rules.predicate(name=action)
    def allowed(user, obj=None):
        return policy.can(user, action, obj)

    return allowed


for _action in policy.ALL_ACTIONS:
    rules.add_perm(_action, _predicate(_action))
