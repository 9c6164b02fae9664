"""The grid over JSON: the tree with counts, and each level as a list and a detail.

Lists are narrowed by `policy.scoped`, details fetched with
`policy.get_or_404`; a node outside the user's grid answers 404.
"""
from ninja import Router, Schema

from gongzhi.accounts.policy import get_or_404
from .capability import GRID_VIEW
from gongzhi.api.base import ErrorOut, Id, Page, paginate

from . import maps, selectors
from .models import Building, Community, Compound, Subdistrict

router = Router()


class CountsOut(Schema):
    buildings: int | None = None
    households: int | None = None
    residents: int | None = None


class TreeNodeOut(Schema):
    level: str
    id: int
    code: str
    name: str
    counts: CountsOut
    children: list["TreeNodeOut"] = []


TreeNodeOut.model_rebuild()


class TreeOut(Schema):
    count: int
    items: list[TreeNodeOut]


class SubdistrictOut(Schema):
    id: int
    code: str
    name: str


class SubdistrictDetailOut(SubdistrictOut):
    counts: CountsOut


class CommunityOut(Schema):
    id: int
    code: str
    name: str
    subdistrict_id: int


class CommunityDetailOut(CommunityOut):
    counts: CountsOut


class PointOut(Schema):
    lat: float
    lng: float


class CompoundOut(Schema):
    id: int
    code: str
    name: str
    community_id: int
    center: PointOut | None = None
    boundary: dict | None = None


class CompoundDetailOut(CompoundOut):
    counts: CountsOut


class CompoundPropertiesOut(Schema):
    id: int
    code: str
    name: str
    focus: bool
    center: list[float] | None = None
    url: str


class CompoundFeatureOut(Schema):
    type: str = "Feature"
    id: int
    geometry: dict | None = None
    properties: CompoundPropertiesOut


class CompoundCollectionOut(Schema):
    type: str = "FeatureCollection"
    features: list[CompoundFeatureOut]


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    compound_id: int
    compound_name: str


class BuildingDetailOut(BuildingOut):
    counts: CountsOut


def _subdistrict(s):
    return {"id": s.pk, "code": s.code, "name": s.name}


def _community(c):
    return {"id": c.pk, "code": c.code, "name": c.name, "subdistrict_id": c.subdistrict_id}


def _compound(k):
    center = None
    if k.center_lat is not None and k.center_lng is not None:
        center = {"lat": float(k.center_lat), "lng": float(k.center_lng)}
    return {"id": k.pk, "code": k.code, "name": k.name, "community_id": k.community_id, "center": center,
            "boundary": k.boundary if isinstance(k.boundary, dict) else None}


def _building(b):
    return {"id": b.pk, "code": b.code, "name": b.name, "compound_id": b.compound_id,
            "compound_name": b.compound.name}


def _page(qs, render, limit, offset):
    page = paginate(qs, limit, offset)
    page["items"] = [render(o) for o in page["items"]]
    return page


@router.get("/grid/tree", response=TreeOut, summary="The grid the user may see, with counts at every level")
def grid_tree(request):
    roots = selectors.grid_tree(request.user)
    return {"count": len(roots), "items": roots}


@router.get("/subdistricts", response=Page[SubdistrictOut])
def subdistrict_list(request, limit: int = 50, offset: int = 0):
    return _page(selectors.subdistricts_for(request.user), _subdistrict, limit, offset)


@router.get("/subdistricts/{pk}", response={200: SubdistrictDetailOut, 404: ErrorOut})
def subdistrict_detail(request, pk: Id):
    s = get_or_404(request.user, GRID_VIEW, Subdistrict.objects.all(), pk=pk)
    return {**_subdistrict(s), "counts": selectors.node_counts(request.user, s)}


@router.get("/communities", response=Page[CommunityOut])
def community_list(request, subdistrict: Id | None = None, limit: int = 50, offset: int = 0):
    return _page(selectors.communities_for(request.user, subdistrict=subdistrict), _community, limit, offset)


@router.get("/communities/{pk}", response={200: CommunityDetailOut, 404: ErrorOut})
def community_detail(request, pk: Id):
    c = get_or_404(request.user, GRID_VIEW, Community.objects.all(), pk=pk)
    return {**_community(c), "counts": selectors.node_counts(request.user, c)}


@router.get("/communities/{pk}/geojson", response={200: CompoundCollectionOut, 404: ErrorOut},
            summary="The community's compounds the user may see, as a GeoJSON FeatureCollection")
def community_geojson(request, pk: Id):
    """Each compound's boundary (null where none is recorded) with its centre ([lng, lat]) in its properties."""
    c = get_or_404(request.user, GRID_VIEW, Community.objects.all(), pk=pk)
    return maps.community_compounds(request.user, c)


@router.get("/compounds", response=Page[CompoundOut])
def compound_list(request, community: Id | None = None, limit: int = 50, offset: int = 0):
    return _page(selectors.compounds_for(request.user, community=community), _compound, limit, offset)


@router.get("/compounds/{pk}", response={200: CompoundDetailOut, 404: ErrorOut})
def compound_detail(request, pk: Id):
    k = get_or_404(request.user, GRID_VIEW, Compound.objects.select_related("community"), pk=pk)
    return {**_compound(k), "counts": selectors.node_counts(request.user, k)}


@router.get("/compounds/{pk}/geojson", response={200: CompoundCollectionOut, 404: ErrorOut},
            summary="The compound (focus) and the other compounds of its community the user may see, as GeoJSON")
def compound_geojson(request, pk: Id):
    """What the compound's page draws: the compound first, with properties.focus true."""
    k = get_or_404(request.user, GRID_VIEW, Compound.objects.select_related("community"), pk=pk)
    return maps.around(request.user, k)


@router.get("/buildings", response=Page[BuildingOut])
def building_list(request, compound: Id | None = None, limit: int = 50, offset: int = 0):
    return _page(selectors.buildings_for(request.user, compound=compound), _building, limit, offset)


@router.get("/buildings/{pk}", response={200: BuildingDetailOut, 404: ErrorOut})
def building_detail(request, pk: Id):
    b = get_or_404(request.user, GRID_VIEW, Building.objects.select_related("compound__community"), pk=pk)
    return {**_building(b), "counts": selectors.node_counts(request.user, b)}
