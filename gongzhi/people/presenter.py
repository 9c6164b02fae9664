"""What one person sees of a resident: the one place that decides it.

The pages, the JSON API, the search, the exports, the imports and the tag service all read the rules
from here:

* phone and ID number are shown masked; the clear value is a separate, audited reveal
  (services.resident_reveal, or an export) for those holding REVEAL_PHONE / REVEAL_ID over the
  resident's place;
* who carries a sensitive tag (低保, 残疾人, 留守儿童, …) is as sensitive as an ID number: such tags are
  shown, offered, set, searched for and exported only where the user holds SEES_SENSITIVE;
* the exact age only with SEES_SENSITIVE too, a ten-year band otherwise (next to a masked ID number
  an exact age narrows it to a few numbers).

`sight(user, where)` is what the user may see at one place (a resident, a household, a compound);
a list reads it once per household, an export once per compound. `view_of(user, resident)` wraps one resident for a
page or the API: the facts read through, and what depends on the reader comes from the view.
"""
from dataclasses import dataclass

from django.utils import timezone

from gongzhi.accounts.policy import can, scoped

from .capability import REVEAL_ID, REVEAL_PHONE
from .models import Tag

SEES_SENSITIVE = REVEAL_ID

ELDERLY_AGE = 60


@dataclass(frozen=True)
class Sight:
    """What one user may see of the residents at one place."""

    ids: bool = False       # clear ID numbers, sensitive tags, exact ages
    phones: bool = False    # clear phone numbers

    @property
    def sensitive(self):
        return self.ids

    def tags(self, tags):
        """The tags of a list the user may see."""
        return [t for t in tags if self.sensitive or not t.sensitive]


def sight(user, where=None):
    """What the user may see at `where` (a resident, household or compound; None: somewhere)."""
    return Sight(ids=can(user, SEES_SENSITIVE, where), phones=can(user, REVEAL_PHONE, where))


def sees_sensitive(user, where=None):
    return can(user, SEES_SENSITIVE, where)


def tag_choices(user, where=None):
    """The tags a form or a filter may offer the user (at `where`, or anywhere they may see sensitive ones)."""
    tags = Tag.objects.order_by("code")
    return tags if sees_sensitive(user, where) else tags.filter(sensitive=False)


def carrying(user, residents, tag):
    """The residents of a queryset carrying `tag`, as far as the user may know who carries it."""
    residents = residents.filter(tags__code=tag)
    if Tag.objects.filter(code=tag, sensitive=True).exists():
        residents = scoped(user, SEES_SENSITIVE, residents)
    return residents


def age(birth_date, today):
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def age_band(years):
    """Ten-year band of an age; one band from 60 on. Next to a masked ID number an exact age leaves some 365
    birth dates, and the check digit about 33 numbers; a ten-year band leaves some 330 (and those who see only
    the band may not find residents by ID number at all)."""
    if years is None:
        return None
    if years >= ELDERLY_AGE:
        return f"{ELDERLY_AGE}+"
    low = max(0, years) // 10 * 10
    return f"{low}-{low + 9}"


# A view never hands these on: the clear values leave only through an audited reveal or export.
_WITHHELD = ("_enc", "_clear", "_hash")


class ResidentView:
    """One resident as one user may see them. Facts (name, relation, household, masks, …) read through."""

    def __init__(self, resident, sight, today=None):
        self.resident = resident
        self.sight = sight
        self._today = today

    def __getattr__(self, name):
        if name.startswith("_") or name.endswith(_WITHHELD):
            raise AttributeError(name)
        return getattr(self.resident, name)

    @property
    def tags(self):
        return self.sight.tags(self.resident.tags.all())

    @property
    def can_reveal_phone(self):
        return self.sight.phones and bool(self.resident.phone_enc)

    @property
    def can_reveal_id(self):
        return self.sight.ids and bool(self.resident.id_number_enc)

    def _years(self):
        return age(self.resident.birth_date, self._today or timezone.localdate())

    @property
    def age(self):
        return self._years() if self.sight.ids else None

    @property
    def age_band(self):
        return age_band(self._years())


def view_of(user, resident, today=None):
    return ResidentView(resident, sight(user, resident), today)


def views_of(user, residents, today=None):
    """Each resident of a list as the user may see them; the policy read once per household (a scope may be
    as narrow as one)."""
    seen = {}
    out = []
    for r in residents:
        if r.household_id not in seen:
            seen[r.household_id] = sight(user, r)
        out.append(ResidentView(r, seen[r.household_id], today))
    return out
