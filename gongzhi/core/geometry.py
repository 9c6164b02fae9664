"""Places on the map: GeoJSON areas, points in them, distances and the nearest of several.

Coordinates are WGS84 degrees as the phones report them; GeoJSON keeps
[lng, lat] order. Areas are GeoJSON Polygons or MultiPolygons (holes allowed),
read once into prepared shapely geometries (`Area`) so that testing many
points against one area costs little. Distances are great-circle metres.
"""
import math
from dataclasses import dataclass

import shapely
from shapely.geometry import Point, shape

EARTH_RADIUS_M = 6371008.8
AREA_TYPES = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A GeoJSON value that is not a usable area; the message says why, in words a person can act on."""


def distance_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def parse_area(geojson):
    """A shapely geometry from a GeoJSON Polygon or MultiPolygon; GeometryError when it is none."""
    if not isinstance(geojson, dict) or geojson.get("type") not in AREA_TYPES:
        raise GeometryError("not a Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(f"malformed coordinates: {exc}") from None
    if geom.is_empty:
        raise GeometryError("empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeometryError("coordinates outside longitude -180..180 / latitude -90..90")
    if not geom.is_valid:
        raise GeometryError(shapely.is_valid_reason(geom))
    return geom


@dataclass(frozen=True)
class Area:
    """A prepared area: `covers(lat, lng)` is true inside it and on its edge, false in its holes."""

    geom: object

    @classmethod
    def from_geojson(cls, geojson):
        """The area, or None for a value that is not a usable area (a record without a boundary)."""
        try:
            geom = parse_area(geojson)
        except GeometryError:
            return None
        shapely.prepare(geom)
        return cls(geom)

    def covers(self, lat, lng) -> bool:
        return self.geom.covers(Point(float(lng), float(lat)))


def covering(lat, lng, placed):
    """The items whose area covers the point: `placed` is (item, Area or None) pairs, in the caller's order."""
    return [item for item, area in placed if area is not None and area.covers(lat, lng)]


def nearest(lat, lng, points, within_m=None):
    """(distance in metres, item) of the nearest; `points` is (item, lat, lng) triples. None if none qualifies.

    Ties go to the earlier item, so the caller's order decides (e.g. by code).
    """
    best = None
    for item, plat, plng in points:
        if plat is None or plng is None:
            continue
        d = distance_m(lat, lng, plat, plng)
        if (within_m is None or d <= within_m) and (best is None or d < best[0]):
            best = (d, item)
    return best


def by_distance(lat, lng, points, within_m=None):
    """[(distance in metres, item)] nearest first, ties in the caller's order; points without a place left out."""
    ranked = [(distance_m(lat, lng, plat, plng), i, item) for i, (item, plat, plng) in enumerate(points)
              if plat is not None and plng is not None]
    ranked = [r for r in ranked if within_m is None or r[0] <= within_m]
    return [(d, item) for d, _i, item in sorted(ranked, key=lambda r: (r[0], r[1]))]

