"""Reads behind the grid pages: the tree as model instances, who serves a compound, its boundary.

Counts come from `selectors.counts_by_node` (grouped aggregate queries, one
per counted kind whatever the size of the tree); every query is scoped by
the policy module.
"""
import math
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


# ---- the compound's boundary as an inline SVG ---------------------------------------------------


def _rings(geo):
    """Linear rings [[(lng, lat), …], …] of a GeoJSON Polygon/MultiPolygon/Feature; [] when unusable."""
    if not isinstance(geo, dict):
        return []
    kind = geo.get("type")
    if kind == "Feature":
        return _rings(geo.get("geometry"))
    if kind == "FeatureCollection":
        return [r for f in geo.get("features") or [] for r in _rings(f)]
    coords = geo.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        return []
    rings = []
    try:
        for polygon in polygons:
            for ring in polygon:
                pts = [(float(p[0]), float(p[1])) for p in ring]
                if len(pts) >= 3 and all(math.isfinite(x) and math.isfinite(y) for x, y in pts):
                    rings.append(pts)
    except (TypeError, ValueError, IndexError):
        return []
    return rings


def boundary_svg(geo, center=None, size=320, pad=12):
    """Geometry for an inline SVG of the boundary: viewBox, one path (holes by even-odd), centre dot.

    Longitude is scaled by cos(latitude) so the shape keeps its proportions;
    north is up. Returns None when the GeoJSON holds no usable polygon.
    """
    rings = _rings(geo)
    if not rings:
        return None
    lats = [lat for ring in rings for _lng, lat in ring]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    xs = [lng * k for ring in rings for lng, _lat in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(lats), max(lats)
    span = max(max_x - min_x, max_y - min_y) or 1e-9
    scale = (size - 2 * pad) / span
    width = (max_x - min_x) * scale + 2 * pad
    height = (max_y - min_y) * scale + 2 * pad

    def project(lng, lat):
        return (lng * k - min_x) * scale + pad, (max_y - lat) * scale + pad

    parts = []
    for ring in rings:
        pts = [project(lng, lat) for lng, lat in ring]
        parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + " Z")
    dot = None
    if center and None not in center:
        x, y = project(float(center[1]), float(center[0]))
        if -pad <= x <= width + pad and -pad <= y <= height + pad:
            dot = {"x": f"{x:.1f}", "y": f"{y:.1f}"}
    return {"viewbox": f"0 0 {width:.1f} {height:.1f}", "width": f"{width:.0f}", "height": f"{height:.0f}",
            "path": " ".join(parts), "center": dot}
