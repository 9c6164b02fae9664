"""The grid: subdistrict → community → compound → building → household.

Every record and permission in Gongzhi hangs on a node of this tree. Each
level knows its ancestors (`path()`), which is what the policy module
compares a user's scopes against.
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.geometry import GeometryError, parse_area

LEVELS = ("subdistrict", "community", "compound", "building", "household")
LEVEL_NAMES = {
    "subdistrict": _("街道"),
    "community": _("社区"),
    "compound": _("小区"),
    "building": _("楼栋"),
    "household": _("户"),
}


class Subdistrict(models.Model):
    level = "subdistrict"
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("街道")
        verbose_name_plural = _("街道")

    def __str__(self):
        return self.name

    def path(self):
        return {"subdistrict": self.pk}


class Community(models.Model):
    level = "community"
    subdistrict = models.ForeignKey(Subdistrict, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="communities")
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("社区")
        verbose_name_plural = _("社区")

    def __str__(self):
        return self.name

    @property
    def parent(self):
        return self.subdistrict

    def path(self):
        return {"subdistrict": self.subdistrict_id, "community": self.pk}


def validate_boundary(value):
    """A boundary is a valid GeoJSON Polygon or MultiPolygon in WGS84 degrees; the error says what is wrong."""
    if value in (None, ""):
        return
    try:
        parse_area(value)
    except GeometryError as exc:
        raise ValidationError(_("边界应为有效的 GeoJSON Polygon 或 MultiPolygon（经纬度）：%(reason)s"),
                              params={"reason": str(exc)}, code="invalid_boundary") from None


class Compound(models.Model):
    """A residential compound (小区): the grid unit."""

    level = "compound"
    community = models.ForeignKey(Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="compounds")
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    center_lat = models.DecimalField(_("中心纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    center_lng = models.DecimalField(_("中心经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("边界（GeoJSON 多边形）"), null=True, blank=True, validators=[validate_boundary])

    class Meta:
        ordering = ["code"]
        verbose_name = _("小区")
        verbose_name_plural = _("小区")

    def __str__(self):
        return self.name

    @property
    def parent(self):
        return self.community

    def path(self):
        return {"subdistrict": self.community.subdistrict_id, "community": self.community_id, "compound": self.pk}


class Building(models.Model):
    level = "building"
    compound = models.ForeignKey(Compound, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["compound_id", "code"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [models.UniqueConstraint(fields=["compound", "code"], name="building_code_unique_in_compound")]

    def __str__(self):
        return f"{self.compound.name} {self.name}"

    @property
    def parent(self):
        return self.compound

    def path(self):
        p = self.compound.path()
        p["building"] = self.pk
        return p


class Tenure(models.TextChoices):
    OWNER = "owner", _("业主自住")
    TENANT = "tenant", _("租户")
    VACANT = "vacant", _("空置")


class Household(models.Model):
    level = "household"
    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households")
    code = models.CharField(_("房号"), max_length=32)
    address = models.CharField(_("地址"), max_length=200)
    floor_area = models.DecimalField(_("专有面积（m²）"), max_digits=8, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("0.01"))], null=True, blank=True)
    tenure = models.CharField(_("产权状态"), max_length=10, choices=Tenure.choices, default=Tenure.OWNER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Which import last touched this household, and from which row: finds duplicates within one file.
    last_import = models.ForeignKey("people.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_constraint=False)
    last_import_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["building_id", "code"]
        verbose_name = _("户")
        verbose_name_plural = _("户")
        constraints = [models.UniqueConstraint(fields=["building", "code"], name="household_code_unique_in_building")]

    def __str__(self):
        return self.address

    @property
    def name(self):
        return self.code

    @property
    def parent(self):
        return self.building

    def path(self):
        p = self.building.path()
        p["household"] = self.pk
        return p


class GridRef(models.Model):
    """A reference to exactly one node of the grid, at any level."""

    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("街道"))
    community = models.ForeignKey(Community, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("社区"))
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("小区"))
    building = models.ForeignKey(Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("楼栋"))
    household = models.ForeignKey(Household, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("户"))

    class Meta:
        abstract = True

    @classmethod
    def one_node_constraint(cls, name):
        ids = [f"{lvl}__isnull" for lvl in LEVELS]
        options = [models.Q(**{f: (f != keep) for f in ids}) for keep in ids]
        cond = options[0]
        for q in options[1:]:
            cond |= q
        return models.CheckConstraint(condition=cond, name=name)

    @property
    def node_level(self):
        for lvl in LEVELS:
            if getattr(self, f"{lvl}_id"):
                return lvl
        return None

    @property
    def node_id(self):
        lvl = self.node_level
        return getattr(self, f"{lvl}_id") if lvl else None

    @property
    def node(self):
        lvl = self.node_level
        return getattr(self, lvl) if lvl else None

    def set_node(self, node):
        for lvl in LEVELS:
            setattr(self, lvl, node if node.level == lvl else None)


# From a node of each level to the id of itself and of each level above it (ORM lookups).
NODE_LOOKUPS = {
    "subdistrict": {"subdistrict": "id"},
    "community": {"subdistrict": "subdistrict_id", "community": "id"},
    "compound": {"subdistrict": "community__subdistrict_id", "community": "community_id", "compound": "id"},
    "building": {"subdistrict": "compound__community__subdistrict_id", "community": "compound__community_id",
                 "compound": "compound_id", "building": "id"},
    "household": {"subdistrict": "building__compound__community__subdistrict_id",
                  "community": "building__compound__community_id", "compound": "building__compound_id",
                  "building": "building_id", "household": "id"},
}

GRID_MODELS = {"subdistrict": Subdistrict, "community": Community, "compound": Compound,
               "building": Building, "household": Household}
