"""Where an appeal happens, and which organisation must act on it."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.geometry import Area, covering, nearest
from gongzhi.core.reference import cached
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Coverage, Organisation

# ---- reference data, kept per process (gongzhi.core.reference) ----------------------------------

@cached
def categories():
    """Every category by id, each linked to its parent here, so ancestors() runs no query."""
    from .models import Category

    rows = {c.pk: c for c in Category.objects.all()}
    for c in rows.values():
        if c.parent_id:
            c.parent = rows.get(c.parent_id)
    return rows


@cached
def compounds():
    """Every compound by id (in code order), with its community."""
    return {c.pk: c for c in Compound.objects.select_related("community")}


@cached
def _areas():
    """{compound id: its prepared boundary (core.geometry.Area), or None without a usable one}."""
    return {pk: Area.from_geojson(c.boundary) for pk, c in compounds().items()}


@cached
def _active_rules():
    from .models import RoutingRule

    return list(RoutingRule.objects.filter(is_active=True).select_related("organisation").order_by("id"))


@cached
def _coverage():
    """{(organisation kind, level, node id): the active organisation of that kind, lowest id first, serving it}."""
    orgs = Organisation.objects.filter(is_active=True).in_bulk()
    index = {}
    rows = (Coverage.objects.filter(organisation_id__in=list(orgs)).order_by("organisation_id", "id")
            .values_list("organisation_id", "subdistrict_id", "community_id", "compound_id"))
    for org_id, *nodes in rows:
        org = orgs[org_id]
        for level, node in zip(("subdistrict", "community", "compound"), nodes):
            if node:
                index.setdefault((org.kind, level, node), org)
    return index


def validate_point(lat, lng):
    errors = {}
    try:
        lat = Decimal(str(lat))
        if not -90 <= lat <= 90:
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["lat"] = _("纬度应在 -90 到 90 之间")
    try:
        lng = Decimal(str(lng))
        if not -180 <= lng <= 180:
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["lng"] = _("经度应在 -180 到 180 之间")
    if errors:
        raise ValidationError(errors)
    return lat.quantize(Decimal("0.000001")), lng.quantize(Decimal("0.000001"))


# Why an appeal went where it did, each kind of reason in words of the reader's language.
NOTES = {
    "inside": gettext_lazy("位置在%(name)s范围内"),
    "nearest": gettext_lazy("位置距%(name)s %(d)d 米（最近小区）"),
    "rule_org": gettext_lazy("规则“%(rule)s”：指定%(org)s"),
    "rule_kind": gettext_lazy("规则“%(rule)s”：%(org)s"),
    "default": gettext_lazy("分类默认：%(org)s"),
    "fallback": gettext_lazy("无匹配承办单位，由社区分拨：%(org)s"),
    "none": gettext_lazy("无匹配承办单位，待人工派单"),
}


def note_text(parts):
    """A routing note ([[kind, params], ...], as Appeal.routing_parts keeps it) in the active language."""
    return gettext("；").join(str(NOTES[kind]) % params for kind, params in parts if kind in NOTES)


class Note(str):
    """One reason of the routing: reads as text in the language active when it was made, and keeps what it was
    made of (`parts`), so that a page can say it again in its reader's language."""

    def __new__(cls, kind, **params):
        note = super().__new__(cls, str(NOTES[kind]) % params)
        note.parts = [[kind, params]]
        return note


def locate(lat, lng, candidates=None):
    """The compound whose boundary holds the point, else the nearest centre within the limit.

    A point on the edge shared by two compounds (or in two overlapping boundaries) belongs to the one with
    the lowest code, whatever order the caller lists the candidates in, so the same point always lands in
    the same compound.
    """
    candidates = list(candidates if candidates is not None else compounds().values())
    areas = _areas()
    inside = covering(lat, lng, [(c, areas.get(c.pk) or Area.from_geojson(c.boundary)) for c in candidates])
    if inside:
        home = min(inside, key=lambda c: c.code)
        return home, Note("inside", name=home.name)
    limit = settings.APPEAL_NEAREST_COMPOUND_M
    best = nearest(lat, lng, [(c, c.center_lat, c.center_lng) for c in candidates], within_m=limit)
    if best:
        return best[1], Note("nearest", name=best[1].name, d=best[0])
    raise ValidationError({"location": _("该位置不在任何小区范围内，且 %(m)d 米内没有小区，请选择小区或重新定位") % {"m": limit}})


def _org_covering(kind, compound, level):
    """An active organisation of `kind` whose coverage includes the compound at `level` (or above it)."""
    compound = compounds().get(compound.pk, compound)
    nodes = [("compound", compound.pk), ("community", compound.community_id),
             ("subdistrict", compound.community.subdistrict_id)]
    start = {"compound": 0, "community": 1}.get(level, 2)
    index = _coverage()
    return next((index[(kind, *node)] for node in nodes[start:] if (kind, *node) in index), None)


def _rule_rank(rule, depth_of):
    place = 2 if rule.compound_id else (1 if rule.community_id else 0)
    return (depth_of.get(rule.category_id, -1), place, rule.priority)


def route(category, compound):
    """(organisation, rule or None, note) for an appeal of `category` in `compound`."""
    lineage = categories().get(category.pk, category).ancestors()
    depth_of = {c.pk: len(lineage) - i for i, c in enumerate(lineage)}
    rules = [r for r in _active_rules()
             if (r.category_id is None or r.category_id in depth_of)
             and (r.compound_id is None or r.compound_id == compound.pk)
             and (r.community_id is None or r.community_id == compound.community_id)]
    for rule in sorted(rules, key=lambda r: _rule_rank(r, depth_of), reverse=True):
        if rule.organisation_id and rule.organisation.is_active:
            return rule.organisation, rule, Note("rule_org", rule=rule.name, org=rule.organisation.name)
        org = _org_covering(rule.handler_kind, compound, rule.handler_level or category.handler_level)
        if org:
            return org, rule, Note("rule_kind", rule=rule.name, org=org.name)
    org = _org_covering(category.handler_kind, compound, category.handler_level)
    if org:
        return org, None, Note("default", org=org.name)
    fallback = _org_covering("community_office", compound, "community")
    if fallback:
        return fallback, None, Note("fallback", org=fallback.name)
    return None, None, Note("none")
