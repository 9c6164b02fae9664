"""The policy: "may U do A to O", "what may U A", "who may A on O" — all three derived from the declarations.

Every app declares its actions, the roles that hold them, the models it scopes and their way to the grid, and
its relationship grants in its `capability.py` (gongzhi.accounts.capabilities). This module reads nothing else:
no app, model or class name is special here.

A user holds roles, each over a scope (a grid node's subtree, or every node an organisation covers). A role
holds an action over its scope, possibly only for records meeting a condition. A relationship (the reporter
of an appeal, the staff of the organisation handling it) grants actions on that record wherever it is.

- can(user, action, obj): for a page or a write; an object outside is answered with 404 (get_or_404);
- scoped(user, action, queryset) and visible_branches(...): the records, as conditions whose union they are,
  each on the record's own indexed columns where the record is placed (the appeal queues among a million);
- users_with(action, obj): the users for whom can() holds, in one query (notifications).

tests/accounts/test_policy_equivalence.py checks on random worlds that the three agree for every registered
model.
"""
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.http import Http404

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import LEVELS, NODE_LOOKUPS
from gongzhi.grid.places import compounds_within, node_path

from .capabilities import PLACED, SELF, discover, registry
from .models import RoleAssignment, User


def all_actions():
    return sorted(discover().actions)


def _label(model):
    return model._meta.label


def _deepest(path):
    return next((lvl for lvl in reversed(LEVELS) if lvl in path), None)


# ---- how a record reaches the grid -------------------------------------------------------------------------

@dataclass
class Lookups:
    """For one model: `within[level]`, lookups (alternatives) holding a record inside a node of that level;
    `exact[level]`, the lookup naming the node a record is at, for the levels it can be at."""

    within: dict
    exact: dict
    related: tuple = ()  # many: (related model, its foreign key to ours)


_LOOKUPS = {}


def lookups(model):
    found = _LOOKUPS.get(model)
    if found is None:
        found = _LOOKUPS[model] = _build_lookups(model, registry_record(model))
    return found


def registry_record(model):
    rec = discover().record(_label(model))
    if rec is None:
        raise LookupError(f"{_label(model)} is not scoped by any capability")
    return rec


def _fk(prefix, lookup):
    return f"{prefix}_id" if lookup == "id" else f"{prefix}__{lookup}"


def _build_lookups(model, rec):
    if rec.place == SELF:
        level = model.level
        return Lookups({lvl: [lk] for lvl, lk in NODE_LOOKUPS[level].items()}, {level: "id"})
    if rec.place == PLACED:
        within = {lvl: [_fk("compound", NODE_LOOKUPS["compound"][lvl])] for lvl in LEVELS[:3]}
        within.update(building=["building_id"], household=["household_id"])
        return Lookups(within, {})
    f = model._meta.get_field(rec.place)
    target = f.related_model
    if rec.many:  # rows that each name one node (grid.models.GridRef)
        within = {lvl: [_fk(f"{rec.place}__{node}", NODE_LOOKUPS[node][lvl]) for node in LEVELS[LEVELS.index(lvl):]]
                  for lvl in LEVELS}
        return Lookups(within, {lvl: f"{rec.place}__{lvl}_id" for lvl in LEVELS}, (target, f.field.attname))
    level = target.level
    return Lookups({lvl: [_fk(rec.place, lk)] for lvl, lk in NODE_LOOKUPS[level].items()}, {level: f"{rec.place}_id"})


def paths_of(obj):
    """The grid paths ({level: id}) of the nodes the object hangs on: one, or several for a `many` record."""
    rec = registry_record(type(obj))
    if rec.place == SELF:
        return [node_path(obj)]
    if rec.place == PLACED:
        return [obj.path()] if obj.compound_id else []
    if rec.many:
        return [node_path(ref.node) for ref in getattr(obj, rec.place).all() if ref.node is not None]
    node = getattr(obj, rec.place)
    return [node_path(node)] if node is not None else []


def _inside(scope_path, obj_path):
    lvl = _deepest(scope_path)
    return lvl in obj_path and obj_path[lvl] == scope_path[lvl]


def _below(scope_path, obj_path):
    """The scope lies inside the object's node: the object is seen from below, for context."""
    lvl = _deepest(obj_path)
    return lvl is not None and scope_path.get(lvl) == obj_path[lvl]


# ---- conditions on records ---------------------------------------------------------------------------------

def _value_at(obj, lookup):
    value = obj
    for part in lookup.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _applies(model, lookup):
    """A condition is about the records that have its field: for others (the compounds where one may read
    appeals) the grant holds over its place without it."""
    try:
        model._meta.get_field(lookup.split("__", 1)[0])
        return True
    except FieldDoesNotExist:
        return False


def meets(obj, where):
    return all(_value_at(obj, lookup) == value for lookup, value in where if _applies(type(obj), lookup))


def where_q(model, where):
    """A grant's condition as a filter; through a foreign key, as `fk_id IN (ids)` so that an index on the
    record's own columns serves it (the rows of the table it points to are few: categories, kinds)."""
    q = Q()
    for lookup, value in where:
        if not _applies(model, lookup):
            continue
        head, _, rest = lookup.partition("__")
        f = model._meta.get_field(head)
        if rest and f.many_to_one:
            ids = sorted(f.related_model._default_manager.filter(**{rest: value}).values_list("pk", flat=True))
            q &= Q(**{f"{f.attname}__in": ids})
        else:
            q &= Q(**{lookup: value})
    return q


# ---- the user's side ---------------------------------------------------------------------------------------

@dataclass
class Scope:
    """What one user may do where; built once per request from their role assignments."""

    superuser: bool = False
    by_action: dict = field(default_factory=dict)  # action -> [(scope path, where), ...]
    roles: set = field(default_factory=set)

    def paths(self, action, obj=None):
        return [p for p, where in self.by_action.get(action, ()) if obj is None or meets(obj, where)]

    def allows_anywhere(self, action):
        return self.superuser or bool(self.by_action.get(action))


def _assignment_paths(ra):
    if ra.organisation_id:
        return [node_path(c.node) for c in ra.organisation.coverage.all()]
    return [node_path(ra.node)] if ra.node is not None else []


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_gongzhi_scope", None)
    if cached is not None:
        return cached
    scope = Scope(superuser=user.is_superuser)
    held = discover().role_actions()
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
        paths = _assignment_paths(ra)
        for action, wheres in held.get(ra.role, {}).items():
            scope.by_action.setdefault(action, []).extend((p, w) for w in wheres for p in paths)
    user._gongzhi_scope = scope
    return scope


def acting_org_ids(user) -> set:
    """Organisations the user acts for (the capabilities' `Acting` declaration)."""
    scope = scope_of(user)
    cached = getattr(scope, "_acting", None)
    if cached is not None:
        return cached
    ids = set()
    acting = discover().acting
    if acting is not None and user is not None and getattr(user, "is_authenticated", False):
        Organisation = _org_model()
        for ra in user.roles.all():
            if ra.role not in acting.roles:
                continue
            if ra.organisation_id:
                ids.add(ra.organisation_id)
            elif ra.role in acting.offices:
                level, kinds = acting.offices[ra.role]
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


def _org_model():
    return RoleAssignment._meta.get_field("organisation").related_model


# ---- may U do A to O ---------------------------------------------------------------------------------------

def can(user, action, obj=None) -> bool:
    """May the user do `action` to `obj`? Without an object: does some role let them do it somewhere?"""
    scope = scope_of(user)
    if scope.superuser:
        return True
    if obj is None:
        return scope.allows_anywhere(action)
    return holds_by_place(user, action, obj) or holds_by_relation(user, action, obj)


def holds_by_place(user, action, obj) -> bool:
    """Does one of the user's roles let them do `action` to `obj` where it is (relationships aside)?"""
    scope = scope_of(user)
    if scope.superuser:
        return True
    rec = discover().record(_label(type(obj)))
    if rec is None:
        return False
    scopes = scope.paths(action, obj)
    if not scopes:
        return False
    obj_paths = paths_of(obj)
    write = action in registry.writes
    if rec.many and write:  # every node it hangs on must be inside the user's place
        return bool(obj_paths) and all(any(_inside(p, o) for p in scopes) for o in obj_paths)
    context = rec.context and not write
    return any(_inside(p, o) or (context and _below(p, o)) for p in scopes for o in obj_paths)


def holds_by_relation(user, action, obj, *, known=None) -> bool:
    """Does a relationship to `obj` give the user `action`? `known`: {relation name: ids} a caller has read
    already for many records at once (the organisations called to each appeal of a list)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    for rel in discover().relations(_label(type(obj)), action):
        mine = {user.pk} if rel.user else acting_org_ids(user)
        if not mine:
            continue
        if known is not None and rel.name in known:
            found = set(known[rel.name])
        else:
            found = set(_related_values(obj, rel.user or rel.org))
        if found & mine:
            return True
    return False


def relations_held(user, obj, *, known=None):
    """The names of the relationships the user has to `obj` (see holds_by_relation for `known`)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    out = set()
    for cap in discover().capabilities:
        for rel in cap.relations:
            if rel.model != _label(type(obj)):
                continue
            mine = {user.pk} if rel.user else acting_org_ids(user)
            found = known[rel.name] if known is not None and rel.name in known else \
                _related_values(obj, rel.user or rel.org) if mine else ()
            if set(found) & mine:
                out.add(rel.name)
    return out


def _related_values(obj, path):
    """The ids at the end of `path` from the object: one forward foreign key, or through a reverse relation."""
    head, _, rest = path.partition("__")
    f = type(obj)._meta.get_field(head)
    if not rest:
        value = getattr(obj, f.attname)
        return [value] if value is not None else []
    manager = getattr(obj, f.get_accessor_name() if f.auto_created else head)
    return [v for v in manager.values_list(_attname(f.related_model, rest), flat=True) if v is not None]


def _attname(model, path):
    """`department` → `department_id` (the column, no join); deeper paths stay lookups."""
    if "__" in path:
        return path
    f = model._meta.get_field(path)
    return f.attname if f.many_to_one else path


# ---- what may U A ------------------------------------------------------------------------------------------

def _place_q(lk, action, scope_path, rec):
    lvl = _deepest(scope_path)
    q = reduce(operator.or_, (Q(**{x: scope_path[lvl]}) for x in lk.within.get(lvl, ())), Q(pk__in=[]))
    if rec.context and action not in registry.writes:  # seen from below: the nodes above the scope
        for up in LEVELS[:LEVELS.index(lvl)]:
            if up in lk.exact and up in scope_path:
                q |= Q(**{lk.exact[up]: scope_path[up]})
    return q


def _relation_q(model, rel, user):
    values = [user.pk] if rel.user else sorted(acting_org_ids(user))
    if not values or user.pk is None:
        return None
    head, _, rest = (rel.user or rel.org).partition("__")
    f = model._meta.get_field(head)
    if not rest:
        return Q(**{f"{f.attname}__in": values}) if len(values) > 1 else Q(**{f.attname: values[0]})
    # A subquery, not a join: a record related twice to the user is still one row.
    sub = f.related_model._default_manager.filter(**{f"{_attname(f.related_model, rest)}__in": values})
    return Q(pk__in=sub.values(f.field.attname))


def visible_branches(user, action, model):
    """What the user may `action` among `model`'s records, as conditions whose union it is; None: everything.

    Each condition is on the record's own columns where it can be: a placed record's scope becomes its
    compounds, buildings and households as lists (no join to the grid), a condition through a foreign key an
    id list, a relationship one column or a subquery. The widest first, so that a count taking them one by
    one (core.pagination.count_capped) can stop early.
    """
    scope = scope_of(user)
    if scope.superuser:
        return None
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    rec = registry_record(model)
    lk = lookups(model)
    grants = scope.by_action.get(action, ())
    branches = []
    if rec.place == PLACED:
        branches = _placed_branches(model, grants)
    elif rec.many and action in registry.writes:
        branches = _many_write_branches(model, lk, grants)
    else:
        for where in dict.fromkeys(w for _, w in grants):
            q = reduce(operator.or_, (_place_q(lk, action, p, rec) for p, w in grants if w == where))
            branches.append(q & where_q(model, where) if where else q)
    for rel in discover().relations(_label(model), action):
        q = _relation_q(model, rel, user)
        if q is not None:
            branches.append(q)
    return branches


_PLACED_COLUMNS = ("compound_id", "building_id", "household_id")


def _placed_branches(model, grants):
    by_where = {}
    for p, where in grants:
        lvl = _deepest(p)
        cols = by_where.setdefault(where, {c: set() for c in _PLACED_COLUMNS})
        if lvl in ("subdistrict", "community"):
            cols["compound_id"] |= compounds_within(lvl, p[lvl])
        elif lvl is not None:
            cols[f"{lvl}_id"].add(p[lvl])
    always = by_where.pop((), {c: set() for c in _PLACED_COLUMNS})
    branches = [Q(**{f"{c}__in": sorted(ids)}) for c, ids in always.items() if ids]
    for where, cols in by_where.items():
        cond = where_q(model, where)
        branches += [Q(**{f"{c}__in": sorted(ids - always[c])}) & cond for c, ids in cols.items() if ids - always[c]]
    return branches


def _many_write_branches(model, lk, grants):
    """Records on several nodes, changed only where every one of them is inside the user's place."""
    if not grants:
        return []
    related, fk = lk.related
    inside = reduce(operator.or_, (Q(**{x.split("__", 1)[1]: p[_deepest(p)]})
                                   for p, _ in grants for x in lk.within[_deepest(p)]))
    some = reduce(operator.or_, (Q(**{x: p[_deepest(p)]}) for p, _ in grants for x in lk.within[_deepest(p)]))
    return [some & ~Q(pk__in=related._default_manager.exclude(inside).values(fk))]


def scoped(user, action, queryset):
    """The queryset narrowed to what the user may `action`; empty when nothing."""
    branches = visible_branches(user, action, queryset.model)
    if branches is None:
        return queryset
    if not branches:
        return queryset.none()
    q = reduce(operator.or_, branches)
    if registry_record(queryset.model).many:  # a join through its many nodes would repeat a record
        return queryset.filter(pk__in=queryset.model._default_manager.filter(q).values("pk"))
    return queryset.filter(q)


def among(user, action, objs):
    """The objects of a short list (search hits) the user may `action`, checked here rather than in SQL:
    each relationship through another table is read once for the whole list."""
    objs = list(objs)
    if not objs or scope_of(user).superuser:
        return objs
    model = type(objs[0])
    known = {}
    for rel in discover().relations(_label(model), action):
        head, _, rest = (rel.user or rel.org).partition("__")
        f = model._meta.get_field(head)
        if rest:
            by_obj = {o.pk: set() for o in objs}
            rows = f.related_model._default_manager.filter(**{f"{f.field.attname}__in": list(by_obj)})
            for pk, value in rows.values_list(f.field.attname, _attname(f.related_model, rest)):
                by_obj[pk].add(value)
            known[rel.name] = by_obj
    return [o for o in objs if holds_by_place(user, action, o) or holds_by_relation(
        user, action, o, known={name: by_obj[o.pk] for name, by_obj in known.items()})]


# ---- who may A on O ----------------------------------------------------------------------------------------

def roles_granting(action, obj=None):
    """The roles holding `action` somewhere (for `obj`: under a condition it meets)."""
    held = discover().role_actions()
    return sorted(role for role, actions in held.items() if action in actions
                  and (obj is None or any(meets(obj, w) for w in actions[action])))


def _node_q(obj_path, *, below):
    """Grid references (role assignments, coverage) whose node holds the object: at its node or above it,
    and with `below` also inside it (a building's grid worker reads the compound's name)."""
    q = Q()
    for lvl in LEVELS:
        if lvl in obj_path:
            q |= Q(**{f"{lvl}_id": obj_path[lvl]})
    if below:
        deepest = _deepest(obj_path)
        for lvl in LEVELS[LEVELS.index(deepest) + 1:]:
            q |= Q(**{_fk(lvl, NODE_LOOKUPS[lvl][deepest]): obj_path[deepest]})
    return q


def _assignments_holding(roles, obj_path, below):
    Coverage = _org_model()._meta.get_field("coverage").related_model
    node = _node_q(obj_path, below=below)
    covering = Coverage.objects.filter(node).values("organisation_id")
    return RoleAssignment.objects.filter(role__in=roles).filter(
        (Q(organisation__isnull=True) & node) | Q(organisation_id__in=covering)).values("user_id")


def users_with(action, obj, *, roles=None, include_superusers=False, by_relation=True):
    """Active users for whom can(user, action, obj) holds: one query.

    `roles` narrows to holders of those roles by place (the community desk among everyone who may
    dispatch); relationships count unless `by_relation` is false. Superusers may do anything anywhere: left
    out unless `include_superusers`, since "everyone may" tells nobody in particular that it concerns them.
    """
    rec = registry_record(type(obj))
    granting = [r for r in roles_granting(action, obj) if roles is None or r in set(roles)]
    q = Q(pk__in=[])
    obj_paths = paths_of(obj) if granting else []
    write = action in registry.writes
    if obj_paths:
        below = rec.context and not write
        if rec.many and write:  # a scope holding every node: holders for each node, intersected
            users = None
            for p in obj_paths:
                ids = set(_assignments_holding(granting, p, False).values_list("user_id", flat=True))
                users = ids if users is None else users & ids
            q |= Q(pk__in=sorted(users))
        else:
            for p in obj_paths:
                q |= Q(pk__in=_assignments_holding(granting, p, below))
    if by_relation and roles is None:
        for rel in discover().relations(_label(type(obj)), action):
            found = _related_values(obj, rel.user or rel.org)
            if found:
                q |= Q(pk__in=found) if rel.user else Q(pk__in=users_acting_for(found).values("pk"))
    if include_superusers:
        q |= Q(is_superuser=True)
    return User.objects.filter(q, is_active=True)


def users_acting_for(orgs, *, roles=None):
    """Active users who act for any of the organisations (acting_org_ids, reversed): one query."""
    ids = [getattr(o, "pk", o) for o in ([orgs] if not isinstance(orgs, (list, tuple, set)) else orgs)]
    ids = [int(i) for i in ids if i is not None]
    acting = discover().acting
    if not ids or acting is None:
        return User.objects.none()
    held = [r for r in acting.roles if roles is None or r in set(roles)]
    q = Q(role__in=held, organisation_id__in=ids)
    Coverage = _org_model()._meta.get_field("coverage").related_model
    for role, (level, kinds) in acting.offices.items():
        if role not in held:
            continue
        nodes = Coverage.objects.filter(organisation_id__in=ids, organisation__kind__in=kinds,
                                        **{f"{level}__isnull": False}).values(f"{level}_id")
        q |= Q(role=role, organisation__isnull=True, **{f"{level}_id__in": nodes})
    return User.objects.filter(is_active=True, pk__in=RoleAssignment.objects.filter(q).values("user_id"))


# ---- answering with 404 ------------------------------------------------------------------------------------

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


def model_of(label):
    return apps.get_model(label)
