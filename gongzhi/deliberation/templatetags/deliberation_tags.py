"""The appeal page's link to mediation: a 邻里纠纷 appeal turned into a mediation record names it (to those the
policy lets read the record), and the desk may turn one that was not (the record names the appeal back)."""
from django import template

from gongzhi.accounts.policy import can, scoped
from gongzhi.appeals.capability import APPEAL_DISPATCH

from ..capability import MEDIATION_MANAGE, MEDIATION_VIEW
from ..models import DisputeType, Mediation
from ..services import DISPUTE_CATEGORY, mediation_candidates

register = template.Library()


@register.inclusion_tag("deliberation/_appeal_link.html", takes_context=True)
def mediation_for_appeal(context, appeal):
    user = context["request"].user
    if appeal.category.code != DISPUTE_CATEGORY:
        return {"show": False}
    records = list(scoped(user, MEDIATION_VIEW, Mediation.objects.filter(appeal=appeal)))
    here = Mediation(compound_id=appeal.compound_id, building_id=appeal.building_id, household_id=appeal.household_id)
    may_open = (not records and can(user, APPEAL_DISPATCH, appeal) and can(user, MEDIATION_MANAGE, here)
                and not Mediation.objects.filter(appeal=appeal).exists())
    return {"show": bool(records) or may_open, "records": records, "may_open": may_open, "appeal": appeal,
            "types": DisputeType.choices, "candidates": list(mediation_candidates(here)) if may_open else [],
            "csrf_token": context.get("csrf_token")}
