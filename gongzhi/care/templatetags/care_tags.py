"""The appeal page's link to assistance: a 困难求助 appeal turned into a referral names its case, and the desk may
turn one that was not (the case names the appeal back: Case.appeal)."""
from django import template

from gongzhi.accounts.policy import can, scoped
from gongzhi.appeals.capability import APPEAL_DISPATCH

from ..capability import CASE_STATUS
from ..models import Case
from ..services import HARDSHIP_CATEGORY

register = template.Library()


@register.inclusion_tag("care/_appeal_link.html", takes_context=True)
def care_for_appeal(context, appeal):
    user = context["request"].user
    if appeal.category.code != HARDSHIP_CATEGORY:
        return {"show": False}
    cases = list(scoped(user, CASE_STATUS, Case.objects.filter(appeal=appeal)))
    may_refer = not cases and can(user, APPEAL_DISPATCH, appeal) and not Case.objects.filter(appeal=appeal).exists()
    return {"show": bool(cases) or may_refer, "cases": cases, "may_refer": may_refer, "appeal": appeal,
            "csrf_token": context.get("csrf_token")}
