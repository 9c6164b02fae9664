"""Where records hang on the grid: the path of a node, and the compounds under a community or sub-district."""
from gongzhi.core.reference import cached

from .models import Compound


def node_path(node):
    """{level: id} of a grid node and its ancestors, with as few queries as the node allows."""
    if node.level == "subdistrict":
        return {"subdistrict": node.pk}
    if node.level == "community":
        return {"subdistrict": node.subdistrict_id, "community": node.pk}
    return node.path()


@cached
def _compounds_by_area():
    """{("community", id) or ("subdistrict", id): {compound ids}}, kept per process (gongzhi.core.reference)."""
    out = {}
    for pk, community_id, subdistrict_id in Compound.objects.values_list("pk", "community_id",
                                                                        "community__subdistrict_id"):
        out.setdefault(("community", community_id), set()).add(pk)
        out.setdefault(("subdistrict", subdistrict_id), set()).add(pk)
    return out


def compounds_within(level, node_id):
    """The ids of the compounds inside a community or a sub-district."""
    return set(_compounds_by_area().get((level, node_id), ()))
