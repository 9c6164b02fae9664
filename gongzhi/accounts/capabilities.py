"""What a capability declares about itself, and the registry the policy reads.

Each app has one module, `<app>/capability.py`, that defines a `CAPABILITY`: its actions, the roles that
hold each (over their place on the grid, optionally only for records meeting a condition), the models it
scopes and the one way each reaches the grid, and the relationships that grant actions whatever the place
(the reporter of an appeal, the staff of its handling organisation). Nothing else tells the policy about an
app: `gongzhi.accounts.policy` derives every check, list filter and recipient list from these declarations,
and `gongzhi.accounts.checks` refuses to start when one is inconsistent.

A declaration names models by label ("appeals.Appeal") so that it can be imported before the models are.
"""
from dataclasses import dataclass, field
from importlib import import_module

# The ways a record reaches the grid (Record.place), besides a field name:
SELF = "self"  # the record is a node of the grid itself
PLACED = "placed"  # the record has the grid columns of gongzhi.grid.places.Placed (compound, building, household)


@dataclass(frozen=True)
class Grant:
    """Roles that hold an action over their scope; `where` narrows it to records meeting a condition."""

    roles: frozenset
    where: tuple = ()  # ((lookup, value), ...) on the record, e.g. (("category__confidential", False),)


def by(*roles, where=None):
    return Grant(frozenset(roles), tuple(sorted((where or {}).items())))


@dataclass(frozen=True)
class Record:
    """A model the capability scopes, and the one field through which it reaches the grid.

    place: SELF, PLACED, a foreign key to a grid node ("household"), or a relation to rows that each name
    one node (gongzhi.grid.models.GridRef, e.g. an organisation's "coverage"), then `many`.
    context: a reader placed below the record sees it too (a building's grid worker reads the name of the
    compound, and of the organisations serving it); writes always need the record inside the writer's place.
    """

    model: str
    place: str
    many: bool = False
    context: bool = False


@dataclass(frozen=True)
class Relation:
    """A relationship that grants actions on a record whatever the user's place.

    Exactly one of `user` (a path from the record to a user: "reporter", "memberships__user") or `org` (a
    path to an organisation the user acts for: "handler", "whistle_calls__department").
    """

    name: str
    model: str
    actions: frozenset
    user: str = ""
    org: str = ""


def relation(name, model, actions, *, user="", org=""):
    return Relation(name, model, frozenset(actions), user=user, org=org)


@dataclass(frozen=True)
class Acting:
    """Who acts for an organisation (handles its appeals, answers its calls).

    roles: a role held over an organisation acts for it. offices: a role held over a grid node acts for the
    organisations of these kinds covering that node ({role: (level, kinds)}).
    """

    roles: frozenset
    offices: dict = field(default_factory=dict)


@dataclass
class Capability:
    name: str
    actions: tuple
    grants: dict = field(default_factory=dict)  # action -> Grant or tuple of Grants
    records: tuple = ()
    relations: tuple = ()
    # action -> actions whose holders hold it too (whoever may dispatch an appeal may read it)
    implied_by: dict = field(default_factory=dict)
    writes: frozenset = frozenset()  # actions that change what they act on
    acting: Acting | None = None

    def grants_of(self, action):
        g = self.grants.get(action, ())
        return (g,) if isinstance(g, Grant) else tuple(g)


class Registry:
    def __init__(self):
        self.capabilities = []
        self.discovered = False

    def add(self, cap):
        self.capabilities.append(cap)

    @property
    def actions(self):
        return {a: cap for cap in self.capabilities for a in cap.actions}

    @property
    def writes(self):
        return frozenset().union(*(cap.writes for cap in self.capabilities))

    def grants(self, action):
        """Every Grant of the action, its implying actions' included."""
        out = []
        for a in (action, *self.implying(action)):
            for cap in self.capabilities:
                out.extend(cap.grants_of(a))
        return out

    def implying(self, action):
        return tuple(a for cap in self.capabilities for a in cap.implied_by.get(action, ()))

    def relations(self, model_label, action):
        wanted = {action, *self.implying(action)}
        return [r for cap in self.capabilities for r in cap.relations
                if r.model == model_label and r.actions & wanted]

    def record(self, model_label):
        for cap in self.capabilities:
            for rec in cap.records:
                if rec.model == model_label:
                    return rec
        return None

    @property
    def records(self):
        return [rec for cap in self.capabilities for rec in cap.records]

    @property
    def acting(self):
        return next((cap.acting for cap in self.capabilities if cap.acting is not None), None)

    def role_actions(self):
        """{role: {action: [where, ...]}}: what each role holds, and under which conditions ((): always)."""
        out = {}
        for action in self.actions:
            for grant in self.grants(action):
                for role in grant.roles:
                    out.setdefault(role, {}).setdefault(action, [])
                    if grant.where not in out[role][action]:
                        out[role][action].append(grant.where)
        return out


registry = Registry()


def discover():
    """Import every installed app's capability module once: the registry is complete after it."""
    if registry.discovered:
        return registry
    from django.conf import settings

    registry.discovered = True
    for app in settings.INSTALLED_APPS:
        try:
            module = import_module(f"{app}.capability")
        except ModuleNotFoundError as exc:  # an app without one; a missing import inside one still fails
            if not f"{app}.capability".startswith(exc.name or "-"):
                raise
            continue
        registry.add(module.CAPABILITY)
    return registry
