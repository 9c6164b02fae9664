"""The policy module: the one place that answers "may user U do action A to object O".

A user holds roles, each over a scope (a grid node's subtree, or the grid an
organisation covers). A role grants a set of actions (ROLE_ACTIONS). An
action on an object is allowed when some role granting it has a scope that
contains the object. Querysets are narrowed the same way (`scoped`). Pages,
API endpoints and exports all call this module; an object outside the scope
is answered with 404 (`get_or_404`).
"""
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import LEVELS, Building, Community, Compound, Household, Subdistrict

from .models import Role


class Action:
    GRID_VIEW = "grid.view"
    GRID_CHANGE = "grid.change"
    HOUSEHOLD_VIEW = "household.view"
    HOUSEHOLD_CHANGE = "household.change"
    RESIDENT_VIEW = "resident.view"
    RESIDENT_CHANGE = "resident.change"
    REVEAL_PHONE = "resident.reveal_phone"
    REVEAL_ID = "resident.reveal_id"
    # Finding a person by a full identifier reveals whose it is: held exactly where the reveal is.
    FIND_BY_PHONE = "resident.find_by_phone"
    FIND_BY_ID = "resident.find_by_id"
    TAG_MANAGE = "tag.manage"
    ORG_VIEW = "org.view"
    ORG_CHANGE = "org.change"
    IMPORT = "people.import"
    EXPORT = "people.export"
    AUDIT_VIEW = "audit.view"
    ACCOUNT_MANAGE = "account.manage"
    APPEAL_VIEW = "appeal.view"
    # Also the appeals of confidential categories (hardship, disputes…): APPEAL_VIEW alone reads the others only.
    APPEAL_VIEW_CONFIDENTIAL = "appeal.view_confidential"
    APPEAL_CREATE = "appeal.create"
    APPEAL_DISPATCH = "appeal.dispatch"
    APPEAL_VERIFY = "appeal.verify"
    APPEAL_SUPERVISE = "appeal.supervise"
    APPEAL_WHISTLE = "appeal.whistle"
    # Entering an appeal as the property company serving the place (the 物业上报 channel).
    APPEAL_PROPERTY_REPORT = "appeal.property_report"
    CATEGORY_MANAGE = "appeal.category_manage"
    CALENDAR_MANAGE = "calendar.manage"


A = Action
_STAFF_DATA = {A.GRID_VIEW, A.HOUSEHOLD_VIEW, A.RESIDENT_VIEW, A.ORG_VIEW}
_APPEAL_DESK = {A.APPEAL_VIEW, A.APPEAL_VIEW_CONFIDENTIAL, A.APPEAL_CREATE, A.APPEAL_DISPATCH, A.APPEAL_VERIFY,
                A.APPEAL_SUPERVISE}
ROLE_ACTIONS = {
    Role.SUBDISTRICT_ADMIN: _STAFF_DATA | _APPEAL_DESK | {A.APPEAL_WHISTLE, A.CATEGORY_MANAGE, A.CALENDAR_MANAGE, A.GRID_CHANGE, A.HOUSEHOLD_CHANGE, A.RESIDENT_CHANGE, A.REVEAL_PHONE,
                                         A.REVEAL_ID, A.FIND_BY_PHONE, A.FIND_BY_ID, A.TAG_MANAGE, A.ORG_CHANGE, A.IMPORT, A.EXPORT,
                                         A.AUDIT_VIEW, A.ACCOUNT_MANAGE},
    Role.COMMUNITY_WORKER: _STAFF_DATA | _APPEAL_DESK | {A.GRID_CHANGE, A.HOUSEHOLD_CHANGE, A.RESIDENT_CHANGE, A.REVEAL_PHONE,
                                        A.REVEAL_ID, A.FIND_BY_PHONE, A.FIND_BY_ID, A.ORG_CHANGE, A.IMPORT, A.EXPORT},
    Role.GRID_WORKER: _STAFF_DATA | {A.APPEAL_VIEW, A.APPEAL_VIEW_CONFIDENTIAL, A.APPEAL_CREATE, A.APPEAL_VERIFY, A.HOUSEHOLD_CHANGE,
                                     A.RESIDENT_CHANGE, A.REVEAL_PHONE, A.FIND_BY_PHONE},
    Role.PROPERTY_STAFF: _STAFF_DATA | {A.APPEAL_VIEW, A.APPEAL_CREATE, A.APPEAL_PROPERTY_REPORT},
    Role.OWNERS_COMMITTEE: {A.GRID_VIEW, A.HOUSEHOLD_VIEW, A.ORG_VIEW, A.APPEAL_CREATE},
    Role.PARTY_MEMBER: {A.GRID_VIEW, A.ORG_VIEW, A.APPEAL_CREATE},
    Role.RESIDENT: {A.GRID_VIEW, A.HOUSEHOLD_VIEW, A.RESIDENT_VIEW, A.ORG_VIEW, A.APPEAL_CREATE},
    Role.OUTDOOR_WORKER: set(),
}
ALL_ACTIONS = sorted({a for acts in ROLE_ACTIONS.values() for a in acts})

# How each model reaches each grid level (ORM lookup of that level's id).
_HOUSEHOLD_PATHS = {
    "subdistrict": "building__compound__community__subdistrict_id",
    "community": "building__compound__community_id",
    "compound": "building__compound_id",
    "building": "building_id",
    "household": "id",
}
MODEL_PATHS = {
    Subdistrict: {"subdistrict": "id"},
    Community: {"subdistrict": "subdistrict_id", "community": "id"},
    Compound: {"subdistrict": "community__subdistrict_id", "community": "community_id", "compound": "id"},
    Building: {"subdistrict": "compound__community__subdistrict_id", "community": "compound__community_id",
               "compound": "compound_id", "building": "id"},
    Household: _HOUSEHOLD_PATHS,
}


def register_model_paths(model, paths):
    """Apps below the grid (residents, appeals, …) declare how they reach it."""
    MODEL_PATHS[model] = paths


def household_relative(prefix):
    return {lvl: f"{prefix}__{p}" if p != "id" else f"{prefix}_id" for lvl, p in _HOUSEHOLD_PATHS.items()}


def node_path(node):
    """{level: id} of a grid node and its ancestors, with as few queries as the node allows."""
    if node.level == "subdistrict":
        return {"subdistrict": node.pk}
    if node.level == "community":
        return {"subdistrict": node.subdistrict_id, "community": node.pk}
    return node.path()


def _deepest(path):
    for lvl in reversed(LEVELS):
        if lvl in path:
            return lvl
    return None


def _contains(scope_path, obj_path):
    """Is the object inside the scope's subtree (or an ancestor of the scope, for context)?"""
    lvl = _deepest(scope_path)
    if lvl in obj_path:
        return obj_path[lvl] == scope_path[lvl]
    obj_lvl = _deepest(obj_path)
    return obj_lvl is not None and scope_path.get(obj_lvl) == obj_path[obj_lvl]


def paths_intersect(a, b):
    return _contains(a, b) or _contains(b, a)


# Writes need the object inside the user's subtree: the ancestors a scope may see for context
# (a grid worker sees their community's name) are not theirs to change.
WRITE_ACTIONS = {A.GRID_CHANGE, A.HOUSEHOLD_CHANGE, A.RESIDENT_CHANGE, A.ORG_CHANGE}


def _inside(scope_path, obj_path):
    lvl = _deepest(scope_path)
    return lvl in obj_path and obj_path[lvl] == scope_path[lvl]


def is_grid_node(obj):
    """A node of the grid itself (sub-district … household), as opposed to a record hung on it (a resident, an appeal)."""
    return getattr(obj, "level", None) in LEVELS


def needs_inside(action, obj):
    """Does `action` on `obj` need the object inside the user's subtree?

    Seeing an ancestor "for context" is for the grid's own nodes only (a
    building's grid worker reads the compound's and the community's names).
    A record hung on an ancestor (an appeal about the whole compound) is
    outside a building's subtree: not to be read, let alone acted on.
    Writes always need the object inside.
    """
    return action in WRITE_ACTIONS or not is_grid_node(obj)


@dataclass
class Scope:
    """What one user may do where; built once per request from their role assignments."""

    superuser: bool = False
    by_action: dict = field(default_factory=dict)  # action -> list of scope paths
    roles: set = field(default_factory=set)
    org_ids: set = field(default_factory=set)

    def paths(self, action):
        return self.by_action.get(action, [])

    def allows_anywhere(self, action):
        return self.superuser or bool(self.by_action.get(action))


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_gongzhi_scope", None)
    if cached is not None:
        return cached
    scope = Scope(superuser=user.is_superuser)
    assignments = user.roles.select_related(
        "subdistrict", "community", "compound__community", "building__compound__community",
        "household__building__compound__community", "organisation",
    ).prefetch_related(
        "organisation__coverage__compound__community", "organisation__coverage__building__compound__community",
        "organisation__coverage__household__building__compound__community", "organisation__coverage__community",
        "organisation__coverage__subdistrict",
    )
    for ra in assignments:
        scope.roles.add(ra.role)
        if ra.organisation_id:
            scope.org_ids.add(ra.organisation_id)
            paths = [node_path(c.node) for c in ra.organisation.coverage.all()]
        elif ra.node is not None:
            paths = [node_path(ra.node)]
        else:
            paths = []
        for action in ROLE_ACTIONS.get(ra.role, ()):
            scope.by_action.setdefault(action, []).extend(paths)
    scope.org_ids |= set(user.org_memberships.values_list("organisation_id", flat=True))
    user._gongzhi_scope = scope
    return scope


def can(user, action, obj=None) -> bool:
    """May the user do `action` to `obj` (or anywhere, when obj is None)?"""
    scope = scope_of(user)
    if scope.superuser:
        return True
    paths = scope.paths(action)
    if obj is None:
        return bool(paths)
    if obj.__class__.__name__ == "Organisation":
        return _can_org(scope, action, obj)
    obj_path = obj.path() if hasattr(obj, "path") else {}
    if not obj_path:
        return False
    test = _inside if needs_inside(action, obj) else _contains
    return any(test(p, obj_path) for p in paths)


def _can_org(scope, action, org):
    if action == A.ORG_VIEW and org.pk in scope.org_ids:
        return True
    coverage = [node_path(c.node) for c in org.coverage.all()]
    if action in WRITE_ACTIONS:  # every node the organisation covers must be inside the user's scope
        return bool(coverage) and all(any(_inside(p, c) for p in scope.paths(action)) for c in coverage)
    return any(paths_intersect(p, c) for p in scope.paths(action) for c in coverage)


def scoped(user, action, queryset):
    """The queryset narrowed to what the user may `action`; empty when nothing."""
    scope = scope_of(user)
    if scope.superuser:
        return queryset
    model = queryset.model
    if model.__name__ == "Organisation":
        return queryset.filter(pk__in=visible_org_ids(scope, action))
    mapping = MODEL_PATHS[model]
    q = Q()
    any_path = False
    for p in scope.paths(action):
        lvl = _deepest(p)
        if lvl not in mapping:  # scope is below this model: only its own ancestor is visible
            lvl = next(lv for lv in reversed(LEVELS) if lv in mapping)
        q |= Q(**{mapping[lvl]: p[lvl]})
        any_path = True
    return queryset.filter(q) if any_path else queryset.none()


def visible_org_ids(scope, action):
    from gongzhi.orgs.models import Coverage

    ids = set(scope.org_ids) if action == A.ORG_VIEW else set()
    paths = scope.paths(action)
    if paths:
        coverage = Coverage.objects.select_related(
            "subdistrict", "community", "compound__community", "building__compound__community",
            "household__building__compound__community")
        for c in coverage:
            cp = node_path(c.node)
            if any(paths_intersect(p, cp) for p in paths):
                ids.add(c.organisation_id)
    return ids


def get_or_404(user, action, queryset, **lookup):
    """Fetch one object the user may `action`; anything else is 404 (and audited as denied)."""
    model = queryset.model
    try:
        obj = queryset.get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404
    if not can(user, action, obj):
        deny(user, action, obj)
        raise Http404
    return obj


def deny(user, action, obj=None, detail=""):
    audit(AuditAction.DENIED, user=user, obj=obj, success=False, detail=detail or action)


def require(user, action, obj=None):
    """Raise 404 unless allowed: used by writes, so a refusal leaks nothing."""
    if not can(user, action, obj):
        deny(user, action, obj)
        raise Http404


# Roles whose holders act for the organisation of their scope (handle its appeals, answer its whistles).
_ORG_ACTING_ROLES = {Role.PROPERTY_STAFF, Role.OWNERS_COMMITTEE, Role.PARTY_MEMBER, Role.COMMUNITY_WORKER,
                     Role.SUBDISTRICT_ADMIN, Role.GRID_WORKER}
# Offices that grid-scoped staff act for: a community worker for the community's office, a sub-district
# admin for the sub-district office and its departments.
_OFFICE_KINDS_BY_ROLE = {
    Role.COMMUNITY_WORKER: ("community", ("community_office", "party_committee")),
    Role.SUBDISTRICT_ADMIN: ("subdistrict", ("subdistrict_office", "gov_department")),
}


def acting_org_ids(user) -> set:
    """Organisations the user acts for, e.g. as the handler of an appeal."""
    scope = scope_of(user)
    cached = getattr(scope, "_acting", None)
    if cached is not None:
        return cached
    from gongzhi.orgs.models import Organisation

    ids = set()
    if user is not None and getattr(user, "is_authenticated", False):
        for ra in user.roles.all():
            if ra.role not in _ORG_ACTING_ROLES:
                continue
            if ra.organisation_id:
                ids.add(ra.organisation_id)
            elif ra.role in _OFFICE_KINDS_BY_ROLE:
                level, kinds = _OFFICE_KINDS_BY_ROLE[ra.role]
                node_id = getattr(ra, f"{level}_id")
                if node_id:
                    ids |= set(Organisation.objects.filter(kind__in=kinds, **{f"coverage__{level}_id": node_id})
                               .values_list("id", flat=True))
    scope._acting = ids
    return ids


def acts_for(user, org) -> bool:
    """Does the user act for this organisation (an Organisation or its id)?"""
    if org is None:
        return False
    return scope_of(user).superuser or getattr(org, "pk", org) in acting_org_ids(user)
