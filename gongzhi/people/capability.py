"""People's declaration: residents and their numbers (gongzhi.accounts.capabilities)."""
from gongzhi.accounts.capabilities import Capability, Record, by
from gongzhi.accounts.models import Role as R

RESIDENT_VIEW = "resident.view"
RESIDENT_CHANGE = "resident.change"
# Searching people is staff work: a resident sees their own household, not a search box over it.
RESIDENT_SEARCH = "resident.search"
REVEAL_PHONE = "resident.reveal_phone"
REVEAL_ID = "resident.reveal_id"
# Finding a person by a full identifier reveals whose it is: held exactly where the reveal is.
FIND_BY_PHONE = "resident.find_by_phone"
FIND_BY_ID = "resident.find_by_id"
TAG_MANAGE = "tag.manage"
IMPORT = "people.import"
EXPORT = "people.export"

_DESK = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)

CAPABILITY = Capability(
    name="people",
    actions=(RESIDENT_VIEW, RESIDENT_CHANGE, RESIDENT_SEARCH, REVEAL_PHONE, REVEAL_ID, FIND_BY_PHONE, FIND_BY_ID, TAG_MANAGE, IMPORT,
             EXPORT),
    grants={
        RESIDENT_VIEW: by(*_DESK, R.GRID_WORKER, R.PROPERTY_STAFF, R.RESIDENT),
        RESIDENT_CHANGE: by(*_DESK, R.GRID_WORKER),
        RESIDENT_SEARCH: by(*_DESK, R.GRID_WORKER, R.PROPERTY_STAFF),
        REVEAL_PHONE: by(*_DESK, R.GRID_WORKER),
        FIND_BY_PHONE: by(*_DESK, R.GRID_WORKER),
        REVEAL_ID: by(*_DESK),
        FIND_BY_ID: by(*_DESK),
        TAG_MANAGE: by(R.SUBDISTRICT_ADMIN),
        IMPORT: by(*_DESK),
        EXPORT: by(*_DESK),
    },
    records=(Record("people.Resident", "household"), Record("people.RegistrationConflict", "household")),
    writes=frozenset({RESIDENT_CHANGE}),
)
