"""Where records hang on the grid: the placed base, the path of a node, the compounds under an area."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.reference import cached

from .models import Compound


class Placed(models.Model):
    """A record hung on the grid at a compound, or more precisely at one of its buildings or households,
    with an optional point. A capability declares such a model with `Record(model, PLACED)`: the policy
    then reads and filters its place on these columns alone (a scope over a community becomes its compounds).
    """

    compound = models.ForeignKey("grid.Compound", verbose_name=_("小区"), on_delete=models.PROTECT,
                                 related_name="+")
    building = models.ForeignKey("grid.Building", verbose_name=_("楼栋"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey("grid.Household", verbose_name=_("户"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        abstract = True

    def path(self):
        p = self.compound.path()
        if self.building_id:
            p["building"] = self.building_id
        if self.household_id:
            p["household"] = self.household_id
        return p

    @property
    def point(self):
        """(lat, lng) as floats, or None."""
        return (float(self.lat), float(self.lng)) if self.lat is not None and self.lng is not None else None


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
