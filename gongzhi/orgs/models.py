"""Organisations that co-govern the grid, the nodes they cover, and their members."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import GridRef


class OrgKind(models.TextChoices):
    SUBDISTRICT_OFFICE = "subdistrict_office", _("街道办事处")
    COMMUNITY_OFFICE = "community_office", _("社区居委会")
    PARTY_COMMITTEE = "party_committee", _("社区党委")
    COMPOUND_BRANCH = "compound_branch", _("小区党支部")
    PROPERTY_BRANCH = "property_branch", _("物业党支部")
    UNIT_BRANCH = "unit_branch", _("单位党支部")
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
    RESIDENT_UNIT = "resident_unit", _("驻区单位")
    SOCIAL_ORG = "social_org", _("社会组织")
    GOV_DEPARTMENT = "gov_department", _("政府部门")


PARTY_KINDS = {OrgKind.PARTY_COMMITTEE, OrgKind.COMPOUND_BRANCH, OrgKind.PROPERTY_BRANCH, OrgKind.UNIT_BRANCH}
# Kinds whose coverage is limited to a single node (an owners' committee serves one compound).
SINGLE_NODE_KINDS = {OrgKind.OWNERS_COMMITTEE, OrgKind.COMPOUND_BRANCH}


class Organisation(models.Model):
    kind = models.CharField(_("类型"), max_length=24, choices=OrgKind.choices, db_index=True)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey("self", verbose_name=_("上级组织"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    description = models.TextField(_("简介"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self):
        return self.name


class Coverage(GridRef):
    """A grid node an organisation serves (one property company serves several compounds)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="coverage", verbose_name=_("组织"))

    class Meta:
        verbose_name = _("服务范围")
        verbose_name_plural = _("服务范围")
        constraints = [GridRef.one_node_constraint("coverage_one_node")]

    def __str__(self):
        return f"{self.organisation} → {self.node}"


class Membership(models.Model):
    """A post a person holds in an organisation, for a term. One person may hold several."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("组织"))
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="org_memberships", verbose_name=_("居民"))
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="org_memberships", verbose_name=_("用户"))
    person_name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50)
    term_start = models.DateField(_("任期开始"), null=True, blank=True)
    term_end = models.DateField(_("任期结束"), null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "id"]
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.CheckConstraint(condition=models.Q(term_end__isnull=True) | models.Q(term_start__isnull=True)
                                   | models.Q(term_end__gte=models.F("term_start")), name="membership_term_order"),
        ]

    def __str__(self):
        return f"{self.person_name} · {self.position} · {self.organisation}"
