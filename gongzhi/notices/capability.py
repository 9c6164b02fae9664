"""Community notices' declaration (gongzhi.accounts.capabilities).

A notice hangs on every grid node it is put up for (a community, some of its compounds, a whole sub-district):
whoever lives or works below one of them reads it once it is published (a resident's place is their household,
so they read it "from below", as context); only the community and sub-district offices write, and only notices
whose every node lies inside their place. Drafts and withdrawn notices are theirs alone: readers hold
NOTICE_VIEW on published notices only, and editors see the rest through NOTICE_EDIT, which deliberately does
not imply NOTICE_VIEW (through context it would show the sub-district's drafts to every community below it).
Visitors read nothing: a notice may name internal matters of the compound.

The test-only tests/example_app declares the hypothetical "notice.*" of docs/architecture.md, so this app's
actions and timeline are named "notices.*" and "community_notices".
"""
from gongzhi.accounts.capabilities import Capability, Record, by
from gongzhi.accounts.models import Role as R

NOTICE_VIEW = "notices.view"
NOTICE_EDIT = "notices.edit"
NOTICE_PUBLISH = "notices.publish"  # publish, withdraw, pin

NOTICE = "notices.Notice"
_EDITORS = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)
_READERS = (*_EDITORS, R.GRID_WORKER, R.PROPERTY_STAFF, R.OWNERS_COMMITTEE, R.PARTY_MEMBER, R.RESIDENT)

CAPABILITY = Capability(
    name="community_notices",
    actions=(NOTICE_VIEW, NOTICE_EDIT, NOTICE_PUBLISH),
    grants={
        NOTICE_VIEW: by(*_READERS, where={"status": "published"}),
        NOTICE_EDIT: by(*_EDITORS),
        NOTICE_PUBLISH: by(*_EDITORS),
    },
    records=(Record(NOTICE, "reach", many=True, context=True),),
    writes=frozenset({NOTICE_EDIT, NOTICE_PUBLISH}),
)
