"""Reads of sign-up, each scoped by the reader."""
from gongzhi.accounts.policy import scoped
from gongzhi.grid.models import Building, Compound, Household
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.people.models import Resident

from .capability import SIGNUP_REVIEW
from .models import SignupRequest, SignupStatus

RELATED = ("user", "compound__community", "building", "household")


def to_review(user, status=SignupStatus.PENDING):
    """Sign-ups the user may review, oldest first (those waiting longest)."""
    qs = scoped(user, SIGNUP_REVIEW, SignupRequest.objects.select_related(*RELATED))
    return qs.filter(status=status) if status else qs


def household_residents(user, signup):
    """The registered residents of the claimed household, as far as the reviewer may see them."""
    return scoped(user, RESIDENT_VIEW, Resident.objects.filter(household_id=signup.household_id).select_related("account")).order_by("id")


def latest_of(user):
    """The user's own latest sign-up, or None."""
    return SignupRequest.objects.filter(user=user).select_related(*RELATED).order_by("-created_at", "-id").first()


# The chooser of a sign-up: the grid's public names only (compounds, buildings, room numbers), nobody's name.
def compounds():
    return Compound.objects.select_related("community").order_by("community__code", "code")


def buildings(compound_id):
    return Building.objects.filter(compound_id=compound_id).order_by("code") if compound_id else Building.objects.none()


def households(building_id):
    return Household.objects.filter(building_id=building_id).order_by("code") if building_id else Household.objects.none()
