"""The grid's declaration: who may read and change the grid's nodes (gongzhi.accounts.capabilities)."""
from gongzhi.accounts.capabilities import SELF, Capability, Record, by
from gongzhi.accounts.models import Role as R

GRID_VIEW = "grid.view"
GRID_CHANGE = "grid.change"
HOUSEHOLD_VIEW = "household.view"
HOUSEHOLD_CHANGE = "household.change"

_STAFF = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER, R.GRID_WORKER, R.PROPERTY_STAFF)

CAPABILITY = Capability(
    name="grid",
    actions=(GRID_VIEW, GRID_CHANGE, HOUSEHOLD_VIEW, HOUSEHOLD_CHANGE),
    grants={
        GRID_VIEW: by(*_STAFF, R.OWNERS_COMMITTEE, R.PARTY_MEMBER, R.RESIDENT),
        GRID_CHANGE: by(R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER),
        HOUSEHOLD_VIEW: by(*_STAFF, R.OWNERS_COMMITTEE, R.RESIDENT),
        HOUSEHOLD_CHANGE: by(R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER, R.GRID_WORKER),
    },
    # A reader placed below a node sees it for context (a building's grid worker reads the compound's name).
    records=tuple(Record(f"grid.{m}", SELF, context=True)
                  for m in ("Subdistrict", "Community", "Compound", "Building", "Household")),
    writes=frozenset({GRID_CHANGE, HOUSEHOLD_CHANGE}),
)
