"""Reads of households and residents, always scoped by the asking user."""
from django.db.models import Count, Q

from gongzhi.accounts.policy import A, scoped
from gongzhi.grid.models import Household

from .models import Resident, Tag
from .services import residents_find_by_identifier

RESIDENT_RELATED = ("household__building__compound__community",)


def residents_for(user, *, q="", tag="", household=None, compound=None):
    qs = scoped(user, A.RESIDENT_VIEW, Resident.objects.select_related(*RESIDENT_RELATED).prefetch_related("tags"))
    if household is not None:
        qs = qs.filter(household_id=household)
    if compound is not None:
        qs = qs.filter(household__building__compound_id=compound)
    if tag:
        qs = qs.filter(tags__code=tag)
        if Tag.objects.filter(code=tag, sensitive=True).exists():
            # Who carries a sensitive tag is itself sensitive: only where the user may reveal ID numbers.
            qs = scoped(user, A.REVEAL_ID, qs)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(household__address__contains=q) | residents_find_by_identifier(q))
    return qs.order_by("household_id", "id")


def households_for(user, *, q="", compound=None, building=None):
    qs = scoped(user, A.HOUSEHOLD_VIEW, Household.objects.select_related("building__compound__community"))
    if compound is not None:
        qs = qs.filter(building__compound_id=compound)
    if building is not None:
        qs = qs.filter(building_id=building)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(address__contains=q) | Q(code=q))
    return qs.annotate(member_count=Count("members")).order_by("building_id", "code")
