"""Grid pages: the tree browser and one page per community, compound and building."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can, get_or_404
from .capability import GRID_VIEW, HOUSEHOLD_VIEW
from gongzhi.people.floorplan import floor_plan

from . import maps, tree
from .models import Building, Community, Compound
from .selectors import node_counts


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


@login_required
def tree_page(request):
    subdistricts, visible = tree.tree_for(request.user)
    return render(request, "grid/tree.html", {"subdistricts": subdistricts, "visible": visible})


@login_required
def community_page(request, pk):
    community = get_or_404(request.user, GRID_VIEW, Community.objects.select_related("subdistrict"), pk=pk)
    compounds, visible = tree.compounds_of(request.user, community)
    return render(request, "grid/community.html", {
        "node": community,
        "crumbs": tree.ancestors(community),
        "counts": node_counts(request.user, community),
        "compounds": compounds,
        "visible": visible,
        "organisations": tree.organisations_covering(request.user, community),
        "map": maps.map_data(maps.community_compounds(request.user, community)),
    })


@login_required
def compound_page(request, pk):
    compound = get_or_404(request.user, GRID_VIEW, Compound.objects.select_related("community__subdistrict"), pk=pk)
    buildings, visible = tree.buildings_of(request.user, compound)
    return render(request, "grid/compound.html", {
        "node": compound,
        "crumbs": tree.ancestors(compound),
        "counts": node_counts(request.user, compound),
        "buildings": buildings,
        "visible": visible,
        "workers": tree.grid_workers(compound),
        "organisations": tree.organisations_covering(request.user, compound),
        "map": maps.map_data(maps.around(request.user, compound), _center_point(compound)),
        "has_boundary": maps.usable_boundary(compound) is not None,
    })


def _center_point(compound):
    center = maps.center_of(compound)
    return [(_("中心点"), *center)] if center else []


@login_required
def compound_buildings(request, pk):
    """The compound's buildings as a fragment (htmx expands the tree with it); else the full page."""
    if not _is_htmx(request):
        return compound_page(request, pk)
    compound = get_or_404(request.user, GRID_VIEW, Compound.objects.select_related("community"), pk=pk)
    buildings, visible = tree.buildings_of(request.user, compound)
    return render(request, "grid/tree.html#buildings", {"buildings": buildings, "visible": visible})


@login_required
def building_page(request, pk):
    building = get_or_404(request.user, GRID_VIEW,
                          Building.objects.select_related("compound__community__subdistrict"), pk=pk)
    return render(request, "grid/building.html", {
        "node": building,
        "crumbs": tree.ancestors(building),
        "counts": node_counts(request.user, building),
        "plan": floor_plan(request.user, building),
        "can_view_households": can(request.user, HOUSEHOLD_VIEW, building),
    })
