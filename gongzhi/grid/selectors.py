"""Scoped reads of the grid: lists of nodes, the tree with counts at every level.

Every query goes through `policy.scoped`. A count is what the user may see
of that kind: buildings under GRID_VIEW, households under
HOUSEHOLD_VIEW, residents under RESIDENT_VIEW; a kind the user may not
see anywhere is counted as None (shown as a dash), not as 0. Counts come
from one grouped query per counted model, whatever the size of the tree.
"""
from collections import defaultdict

from django.db.models import Count

from gongzhi.accounts.policy import can, lookups, scoped
from .capability import GRID_VIEW, HOUSEHOLD_VIEW
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.people.models import Resident

from .models import Building, Community, Compound, Household, Subdistrict

TREE_LEVELS = ("subdistrict", "community", "compound", "building")
COUNTED = (
    ("buildings", Building, GRID_VIEW),
    ("households", Household, HOUSEHOLD_VIEW),
    ("residents", Resident, RESIDENT_VIEW),
)


def subdistricts_for(user):
    return scoped(user, GRID_VIEW, Subdistrict.objects.all()).order_by("code")


def communities_for(user, *, subdistrict=None):
    qs = scoped(user, GRID_VIEW, Community.objects.all())
    if subdistrict is not None:
        qs = qs.filter(subdistrict_id=subdistrict)
    return qs.order_by("code")


def compounds_for(user, *, community=None):
    qs = scoped(user, GRID_VIEW, Compound.objects.select_related("community"))
    if community is not None:
        qs = qs.filter(community_id=community)
    return qs.order_by("code")


def buildings_for(user, *, compound=None):
    qs = scoped(user, GRID_VIEW, Building.objects.select_related("compound__community"))
    if compound is not None:
        qs = qs.filter(compound_id=compound)
    return qs.order_by("compound__code", "code")


def _empty_counts(visible):
    return {name: (0 if visible[name] else None) for name in visible}


def counts_by_node(user, levels=TREE_LEVELS, **within):
    """{(level, id): {"buildings": n, "households": n, "residents": n}} for every node of `levels`.

    `within` ({level: id}) limits the counting to one subtree. One grouped
    query per counted kind: each row carries the ids of all requested levels
    and is added into each of them.
    """
    visible = {name: can(user, action) for name, _model, action in COUNTED}
    out = defaultdict(lambda: _empty_counts(visible))
    for name, model, action in COUNTED:
        if not visible[name]:
            continue
        paths = {lvl: alternatives[0] for lvl, alternatives in lookups(model).within.items()}
        group = [lvl for lvl in levels if lvl in paths and paths[lvl] != "id"]
        if not group:
            continue
        qs = scoped(user, action, model.objects.all())
        for lvl, pk in within.items():
            qs = qs.filter(**{paths[lvl]: pk})
        rows = qs.order_by().values_list(*[paths[lvl] for lvl in group]).annotate(n=Count("pk"))
        for *ids, n in rows:
            for lvl, pk in zip(group, ids):
                if pk is not None:
                    out[(lvl, pk)][name] += n
    return out, visible


def node_counts(user, node):
    """Counts under one grid node (the node itself is not counted: a building's buildings is None)."""
    counts, visible = counts_by_node(user, (node.level,), **{node.level: node.pk})
    result = dict(counts.get((node.level, node.pk)) or _empty_counts(visible))
    if node.level == "building":
        result["buildings"] = None
    return result


def grid_tree(user):
    """The grid the user may see, subdistricts down to buildings, as nested dicts with counts.

    Seven queries plus the user's scope, whatever the size of the tree: four
    for the nodes, one grouped query per counted kind.
    """
    nodes = {
        "subdistrict": list(subdistricts_for(user).values("id", "code", "name")),
        "community": list(communities_for(user).values("id", "code", "name", "subdistrict_id")),
        "compound": list(scoped(user, GRID_VIEW, Compound.objects.all()).order_by("code")
                         .values("id", "code", "name", "community_id")),
        "building": list(scoped(user, GRID_VIEW, Building.objects.all()).order_by("compound_id", "code")
                         .values("id", "code", "name", "compound_id")),
    }
    counts, visible = counts_by_node(user, TREE_LEVELS)
    parent_key = {"community": "subdistrict_id", "compound": "community_id", "building": "compound_id"}
    made = {}
    roots = []
    for level in TREE_LEVELS:
        for row in nodes[level]:
            node = {"level": level, "id": row["id"], "code": row["code"], "name": row["name"],
                    "counts": dict(counts.get((level, row["id"])) or _empty_counts(visible)), "children": []}
            if level == "building":
                node["counts"]["buildings"] = None
            made[(level, row["id"])] = node
            parent = None
            if level in parent_key:
                parent_level = TREE_LEVELS[TREE_LEVELS.index(level) - 1]
                parent = made.get((parent_level, row[parent_key[level]]))
            (parent["children"] if parent is not None else roots).append(node)
    return roots
