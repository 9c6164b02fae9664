"""Compounds as GeoJSON for the maps: drawn in the browser by Apache ECharts from our own boundaries.

There is no tile server: what a map shows is the compounds' boundaries (Compound.boundary) the reader
may see, as a GeoJSON FeatureCollection that the page registers as an ECharts map, and points on it.
Every list of compounds comes through `selectors.compounds_for`, scoped like the rest of the grid.
"""
from django.urls import reverse

from gongzhi.core.geometry import Area

from .selectors import compounds_for


def _coordinate(value):
    return float(value) if value is not None else None


def center_of(compound):
    """[lng, lat] of the compound's centre (GeoJSON order), or None."""
    lng, lat = _coordinate(compound.center_lng), _coordinate(compound.center_lat)
    return [lng, lat] if lng is not None and lat is not None else None


def usable_boundary(compound):
    """The compound's boundary when it is a valid area; rows written in bulk skip the model's validation."""
    boundary = compound.boundary
    return boundary if isinstance(boundary, dict) and Area.from_geojson(boundary) is not None else None


def feature(compound, *, focus=False):
    """One compound as a GeoJSON Feature; its geometry is null when it has no usable boundary."""
    return {
        "type": "Feature",
        "id": compound.pk,
        "geometry": usable_boundary(compound),
        "properties": {
            "id": compound.pk, "code": compound.code, "name": compound.name, "focus": focus,
            "center": center_of(compound), "url": reverse("grid:compound", args=[compound.pk]),
        },
    }


def collection(features):
    return {"type": "FeatureCollection", "features": features}


def community_compounds(user, community):
    """The community's compounds the user may see (one query)."""
    return collection([feature(k) for k in compounds_for(user, community=community.pk)])


def around(user, compound):
    """The compound, in focus, and the other compounds of its community the user may see (one query).

    The compound itself is always drawn: callers show it because the reader may see it (its page), or
    see a record placed in it (an appeal's point), whether or not their grid scope reaches it.
    """
    others = [feature(k) for k in compounds_for(user, community=compound.community_id) if k.pk != compound.pk]
    return collection([feature(compound, focus=True), *others])


def drawable(features):
    """Whether a FeatureCollection holds at least one boundary to draw."""
    return any(f["geometry"] for f in features["features"])


def map_data(features, points=()):
    """What a page's map draws (json_script → static/js/gridmap.js): the compounds and the points ([lng, lat]
    with a name). None when there is no boundary to draw: the page says so in words instead."""
    if not drawable(features):
        return None
    drawn = collection([f for f in features["features"] if f["geometry"]])
    return {"geojson": drawn, "points": [{"name": name, "value": [float(lng), float(lat)]} for name, lng, lat in points]}
