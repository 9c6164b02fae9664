"""The example's declaration: all the policy knows of notices."""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

NOTICE_VIEW = "notice.view"
NOTICE_EDIT = "notice.edit"
NOTICE = "example_app.Notice"

CAPABILITY = Capability(
    name="notices",
    actions=(NOTICE_VIEW, NOTICE_EDIT),
    grants={
        NOTICE_VIEW: (by(R.COMMUNITY_WORKER, R.GRID_WORKER), by(R.RESIDENT, where={"is_public": True})),
        NOTICE_EDIT: by(R.COMMUNITY_WORKER),
    },
    records=(Record(NOTICE, PLACED),),
    relations=(relation("author", NOTICE, {NOTICE_EDIT}, user="author"),
               relation("publisher", NOTICE, {NOTICE_VIEW}, org="publisher")),
    implied_by={NOTICE_VIEW: (NOTICE_EDIT,)},
    writes=frozenset({NOTICE_EDIT}),
)
