"""A building's households as a 楼盘表: floors (top first) × units and their flats, read from the room codes.

Each cell is one household the user may see: its flat, how many live there and the care tags of its residents,
each tag only where the user may see who carries it (presenter.sight, as on every other page). Households
whose code says no place (grid.rooms), or a place another household already holds, are listed apart.

Two queries for the whole building, whatever its size: the households with their member counts, and the tags
of the residents the user may see there (none when they may see residents nowhere).
"""
from dataclasses import dataclass, field

from django.db.models import F

from gongzhi.accounts.policy import can, scoped
from gongzhi.grid.rooms import parse_room_code

from . import presenter, selectors
from .capability import RESIDENT_VIEW
from .models import Resident


@dataclass
class Cell:
    household: object
    flat: str                    # "" for a household the table has no place for
    members: int | None          # None: the user may not see residents
    tags: list = field(default_factory=list)


@dataclass
class Column:
    unit: int | None
    position: int


@dataclass
class UnitGroup:
    unit: int | None
    span: int


@dataclass
class FloorPlan:
    columns: list            # Column, left to right: by unit, then by position on the floor
    units: list              # UnitGroup over the columns; one unnamed group for a building of one unit
    floors: list             # (floor, [Cell | None per column]), the top floor first
    unplaced: list           # Cell of each household the table has no place for
    shows_residents: bool

    @property
    def named_units(self):
        return any(g.unit is not None for g in self.units)

    @property
    def legend(self):
        """The tags shown in the table, once each: what each icon stands for."""
        seen = {}
        for _floor, cells in self.floors:
            for cell in cells:
                for t in (cell.tags if cell else ()):
                    seen.setdefault(t.code, t)
        for cell in self.unplaced:
            for t in cell.tags:
                seen.setdefault(t.code, t)
        return [seen[code] for code in sorted(seen)]


def _tags_by_household(user, building):
    """{household id: [Tag]} of the residents the user may see in the building, sensitive ones left to sight."""
    residents = scoped(user, RESIDENT_VIEW, Resident.objects.filter(household__building_id=building.pk))
    tagging = (Resident.tags.through.objects.filter(resident__in=residents.values("pk"))
               .select_related("tag").annotate(household_id=F("resident__household_id"))
               .order_by("tag__code"))
    out = {}
    for row in tagging:
        tags = out.setdefault(row.household_id, [])
        if row.tag not in tags:
            tags.append(row.tag)
    return out


def floor_plan(user, building):
    """The building's 楼盘表 as the user may see it."""
    households = list(selectors.households_for(user, building=building.pk))
    shows_residents = can(user, RESIDENT_VIEW)
    tags = _tags_by_household(user, building) if shows_residents and households else {}
    placed, unplaced = {}, []
    for h in households:
        place = parse_room_code(h.code)
        cell = Cell(household=h, flat=place.flat if place else "",
                    members=h.member_count if shows_residents else None,
                    tags=presenter.sight(user, h).tags(tags.get(h.pk, [])) if shows_residents else [])
        if place is None or place in placed:
            unplaced.append(cell)
        else:
            placed[place] = cell
    # A unit-less code next to numbered units sorts first, under a heading of its own.
    columns = sorted({(p.unit, p.position) for p in placed}, key=lambda c: (c[0] is not None, c[0] or 0, c[1]))
    index = {c: i for i, c in enumerate(columns)}
    floors = {}
    for place, cell in placed.items():
        floors.setdefault(place.floor, [None] * len(columns))[index[(place.unit, place.position)]] = cell
    units = []
    for unit, _position in columns:
        if units and units[-1].unit == unit:
            units[-1].span += 1
        else:
            units.append(UnitGroup(unit=unit, span=1))
    return FloorPlan(columns=[Column(unit=u, position=p) for u, p in columns], units=units,
                     floors=sorted(floors.items(), reverse=True), unplaced=unplaced, shows_residents=shows_residents)
