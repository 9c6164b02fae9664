"""Reads of households and residents, always scoped by the asking user."""
from django.db.models import Count, Q
from django.http import Http404

from gongzhi.accounts.policy import scoped
from gongzhi.grid.capability import HOUSEHOLD_VIEW
from .capability import FIND_BY_ID, RESIDENT_VIEW
from gongzhi.grid.models import Household

from . import lookup, presenter
from .models import RegistrationConflict, Resident

RESIDENT_RELATED = ("household__building__compound__community",)


def residents_for(user, *, q="", tag="", household=None, compound=None):
    """Residents the user may see, narrowed by the filters.

    A q that is a whole ID number or mobile is a lookup by that identifier
    (people.lookup: its own right, audited, limited; raises LookupRefused);
    any other q matches names and addresses only, never part of a number.
    """
    qs = scoped(user, RESIDENT_VIEW, Resident.objects.select_related(*RESIDENT_RELATED).prefetch_related("tags"))
    q = (q or "").strip()
    identifier = lookup.identifier_of(q)
    if identifier is not None:
        field, value = identifier
        qs = lookup.residents_by_identifier(user=user, field=field, value=value, queryset=qs)
    elif q:
        qs = qs.filter(Q(name__contains=q) | Q(household__address__contains=q))
    if household is not None:
        qs = qs.filter(household_id=household)
    if compound is not None:
        qs = qs.filter(household__building__compound_id=compound)
    if tag:
        qs = presenter.carrying(user, qs, tag)
    return qs.order_by("household_id", "id")


def households_for(user, *, q="", compound=None, building=None):
    qs = scoped(user, HOUSEHOLD_VIEW, Household.objects.select_related("building__compound__community"))
    if compound is not None:
        qs = qs.filter(building__compound_id=compound)
    if building is not None:
        qs = qs.filter(building_id=building)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(address__contains=q) | Q(code=q))
    return qs.annotate(member_count=Count("members")).order_by("building_id", "code")


CONFLICT_RELATED = ("household__building__compound__community", "existing__household__building__compound__community",
                    "created_by", "resolved_by")


def registration_conflicts_for(user, *, status=None):
    """Conflicts whose household and holder are both in the user's FIND_BY_ID scope (conflicts.may_resolve)."""
    holders = scoped(user, FIND_BY_ID, Resident.objects.all()).values("pk")
    qs = scoped(user, FIND_BY_ID, RegistrationConflict.objects.select_related(*CONFLICT_RELATED))
    qs = qs.filter(existing_id__in=holders)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def registration_conflict_or_404(user, pk):
    try:
        return registration_conflicts_for(user).get(pk=pk)
    except (RegistrationConflict.DoesNotExist, ValueError, TypeError):
        raise Http404
