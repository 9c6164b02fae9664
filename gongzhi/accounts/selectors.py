"""Who holds a power over something: the policy module's questions asked in reverse.

policy.can(user, action, obj) answers "may this user do A to O". Notifying
the parties of an appeal needs "which users may do A to O" without building
every user's scope in Python. These selectors ask the RoleAssignment table
once each (subqueries, no per-user work) and mirror the policy module's
rules exactly:

- users_with_action(action, obj): users for whom can(user, action, obj) holds
  (superusers only when asked for), optionally limited to some roles;
- users_acting_for(orgs): users for whom acts_for(user, org) holds through
  their roles (the reverse of policy.acting_org_ids).

tests/notifications/test_selectors.py checks both against the policy module
for every user of the test cast.
"""
from django.db.models import Q

from gongzhi.grid.models import GRID_MODELS, LEVELS
from gongzhi.orgs.models import Coverage, Organisation

from .models import RoleAssignment, User
from .policy import MODEL_PATHS, ROLE_ACTIONS, _OFFICE_KINDS_BY_ROLE, _ORG_ACTING_ROLES, needs_inside, node_path


def roles_granting(action):
    """The roles whose holders may do `action` (somewhere)."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def _path_of(obj):
    if getattr(obj, "level", None) in LEVELS:
        return node_path(obj)
    if not hasattr(obj, "path"):
        raise TypeError(f"{obj.__class__.__name__} does not hang on the grid")
    return obj.path()


def _node_q(obj_path, *, below):
    """A filter over a grid reference (RoleAssignment, Coverage) matching scopes that hold the object.

    As policy._contains: a scope at the object's node or one of its ancestors;
    and, for grid nodes unless the action is a write (policy.needs_inside), also
    a scope inside the object's subtree (a building's grid worker sees the
    compound for context).
    """
    q = Q()
    for lvl in LEVELS:
        if lvl in obj_path:
            q |= Q(**{f"{lvl}_id": obj_path[lvl]})
    if below:
        deepest = [lvl for lvl in LEVELS if lvl in obj_path][-1]
        for lvl in LEVELS[LEVELS.index(deepest) + 1:]:
            q |= Q(**{f"{lvl}__{MODEL_PATHS[GRID_MODELS[lvl]][deepest]}": obj_path[deepest]})
    return q


def role_assignments_with_action(action, obj, *, roles=None):
    """Role assignments that let their holder do `action` to `obj` (a grid node or a record on the grid)."""
    granting = roles_granting(action)
    if roles is not None:
        granting = [r for r in granting if r in set(roles)]
    obj_path = _path_of(obj)
    if not granting or not obj_path:
        return RoleAssignment.objects.none()
    node = _node_q(obj_path, below=not needs_inside(action, obj))
    covering_orgs = Coverage.objects.filter(node).values("organisation_id")
    return RoleAssignment.objects.filter(role__in=granting).filter(
        (Q(organisation__isnull=True) & node) | Q(organisation_id__in=covering_orgs))


def users_with_action(action, obj, *, roles=None, include_superusers=False):
    """Active users whose scope allows `action` on `obj`: one query.

    `roles` narrows to holders of those roles (e.g. the community desk among
    everyone who may dispatch). Superusers may do anything anywhere; they are
    left out unless `include_superusers`, since "everyone may" tells nobody in
    particular that something concerns them.
    """
    q = Q(pk__in=role_assignments_with_action(action, obj, roles=roles).values("user_id"))
    if include_superusers:
        q |= Q(is_superuser=True)
    return User.objects.filter(q, is_active=True)


def users_acting_for(orgs, *, roles=None):
    """Active users who act for any of the organisations (policy.acting_org_ids, reversed): one query.

    A role held over an organisation acts for it; a community worker acts for
    the community office and party committee covering their community; a
    sub-district admin for the sub-district office and its departments.
    """
    ids = _org_ids(orgs)
    if not ids:
        return User.objects.none()
    acting = [r for r in _ORG_ACTING_ROLES if roles is None or r in set(roles)]
    q = Q(role__in=acting, organisation_id__in=ids)
    for role, (level, kinds) in _OFFICE_KINDS_BY_ROLE.items():
        if role not in acting:
            continue
        nodes = Coverage.objects.filter(organisation_id__in=ids, organisation__kind__in=kinds,
                                        **{f"{level}__isnull": False}).values(f"{level}_id")
        q |= Q(role=role, organisation__isnull=True, **{f"{level}_id__in": nodes})
    return User.objects.filter(is_active=True, pk__in=RoleAssignment.objects.filter(q).values("user_id"))


def _org_ids(orgs):
    if orgs is None:
        return []
    if isinstance(orgs, (Organisation, int)):
        orgs = [orgs]
    return [o.pk if isinstance(o, Organisation) else int(o) for o in orgs if o is not None]


def live_tokens(user):
    """The user's API tokens that would still be accepted, newest first (never their values: only digests are kept)."""
    from .models import ApiToken

    return ApiToken.live().filter(user=user).order_by("-created_at", "-id")
