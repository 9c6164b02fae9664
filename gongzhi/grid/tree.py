"""Reads behind the grid pages: the tree as model instances, who serves a compound.

Counts come from `selectors.counts_by_node` (grouped aggregate queries, one
per counted kind whatever the size of the tree); every query is scoped by
the policy module.
"""
from collections import defaultdict

from django.db.models import Q

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.accounts.policy import scoped
from .capability import GRID_VIEW
from gongzhi.orgs.capability import ORG_VIEW
from gongzhi.orgs.models import Coverage, Organisation, OrgKind

from .models import LEVELS, NODE_LOOKUPS, Compound
from .places import node_path
from .selectors import buildings_for, communities_for, compounds_for, counts_by_node, subdistricts_for

KIND_ORDER = {kind: i for i, kind in enumerate(OrgKind.values)}


def _attach(nodes, counts, visible, level):
    for n in nodes:
        n.counts = counts.get((level, n.pk)) or {k: (0 if v else None) for k, v in visible.items()}
    return nodes


def tree_for(user):
    """Subdistricts → communities → compounds the user may see, each with its counts."""
    subdistricts = list(subdistricts_for(user))
    communities = list(communities_for(user))
    compounds = list(scoped(user, GRID_VIEW, Compound.objects.all()).order_by("code"))
    counts, visible = counts_by_node(user, ("subdistrict", "community", "compound"))
    _attach(subdistricts, counts, visible, "subdistrict")
    _attach(communities, counts, visible, "community")
    _attach(compounds, counts, visible, "compound")
    by_community = defaultdict(list)
    for k in compounds:
        by_community[k.community_id].append(k)
    by_subdistrict = defaultdict(list)
    for c in communities:
        c.children = by_community[c.pk]
        by_subdistrict[c.subdistrict_id].append(c)
    for s in subdistricts:
        s.children = by_subdistrict[s.pk]
    return subdistricts, visible


def compounds_of(user, community):
    """The community's compounds the user may see, each with its counts; and which counts are visible."""
    counts, visible = counts_by_node(user, ("compound",), community=community.pk)
    return _attach(list(compounds_for(user, community=community.pk)), counts, visible, "compound"), visible


def buildings_of(user, compound):
    counts, visible = counts_by_node(user, ("building",), compound=compound.pk)
    return _attach(list(buildings_for(user, compound=compound.pk)), counts, visible, "building"), visible


def ancestors(node):
    """The node's ancestors, top first (subdistrict → …): breadcrumbs. Free when select_related."""
    chain = []
    parent = getattr(node, "parent", None)
    while parent is not None:
        chain.append(parent)
        parent = getattr(parent, "parent", None)
    return chain[::-1]


def grid_workers(compound):
    """Assignments of grid workers over the compound or one of its buildings."""
    return (RoleAssignment.objects.filter(role=Role.GRID_WORKER)
            .filter(Q(compound=compound) | Q(building__compound=compound))
            .select_related("user", "building").order_by("building__code", "user__username"))


def organisations_covering(user, node):
    """Organisations (visible to the user) that serve the node, an ancestor of it, or a part of it."""
    q = Q()
    for lvl, pk in node_path(node).items():
        q |= Q(**{f"{lvl}_id": pk})
    for lvl in LEVELS[LEVELS.index(node.level) + 1:]:
        q |= Q(**{f"{lvl}__{NODE_LOOKUPS[lvl][node.level]}": node.pk})
    org_ids = Coverage.objects.filter(q).values("organisation_id")
    orgs = scoped(user, ORG_VIEW, Organisation.objects.filter(pk__in=org_ids, is_active=True))
    return sorted(orgs, key=lambda o: (KIND_ORDER.get(o.kind, len(KIND_ORDER)), o.code))

