"""Appeals' declaration (gongzhi.accounts.capabilities): who may do what to an appeal, and why.

By place: the community desk and the sub-district over their grid, grid workers over theirs, property staff
over the compounds their company serves — but not appeals of a confidential category (hardship, disputes),
which only the desk, the sub-district and the grid workers of the place read.
By relationship, wherever the appeal is: its reporter reads it; the staff of its handling organisation
read and handle it; a department the sub-district called to it by a whistle reads it and answers the call.
Whoever may dispatch, verify, supervise or whistle an appeal may read it: that is declared once, below.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

APPEAL_VIEW = "appeal.view"
APPEAL_CREATE = "appeal.create"
APPEAL_DISPATCH = "appeal.dispatch"
APPEAL_VERIFY = "appeal.verify"
APPEAL_SUPERVISE = "appeal.supervise"
APPEAL_WHISTLE = "appeal.whistle"
# The owners' committee oversees how the property company handles its compound's appeals: counts and rates of
# them, never the appeals themselves (which it may not read).
APPEAL_OVERSEE = "appeal.oversee"
APPEAL_HANDLE = "appeal.handle"
APPEAL_ANSWER_CALL = "appeal.answer_call"
# Entering an appeal as the property company serving the place (the 物业上报 channel).
APPEAL_PROPERTY_REPORT = "appeal.property_report"
CATEGORY_MANAGE = "appeal.category_manage"

_DESK = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)
APPEAL = "appeals.Appeal"

CAPABILITY = Capability(
    name="appeals",
    actions=(APPEAL_VIEW, APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_SUPERVISE, APPEAL_WHISTLE, APPEAL_OVERSEE,
             APPEAL_HANDLE, APPEAL_ANSWER_CALL, APPEAL_PROPERTY_REPORT, CATEGORY_MANAGE),
    grants={
        APPEAL_VIEW: (by(*_DESK, R.GRID_WORKER), by(R.PROPERTY_STAFF, where={"category__confidential": False})),
        # A resident waiting for confirmation may already report a problem; an outdoor worker reports what they
        # see along their beat (随手拍, gongzhi/stations/reports.py).
        APPEAL_CREATE: by(*_DESK, R.GRID_WORKER, R.PROPERTY_STAFF, R.OWNERS_COMMITTEE, R.PARTY_MEMBER, R.RESIDENT,
                       R.APPLICANT, R.OUTDOOR_WORKER),
        APPEAL_DISPATCH: by(*_DESK),
        APPEAL_VERIFY: by(*_DESK, R.GRID_WORKER),
        APPEAL_SUPERVISE: by(*_DESK),
        APPEAL_WHISTLE: by(R.SUBDISTRICT_ADMIN),
        APPEAL_OVERSEE: by(R.OWNERS_COMMITTEE),
        APPEAL_PROPERTY_REPORT: by(R.PROPERTY_STAFF),
        CATEGORY_MANAGE: by(R.SUBDISTRICT_ADMIN),
    },
    records=(Record(APPEAL, PLACED),),
    relations=(
        relation("reporter", APPEAL, {APPEAL_VIEW}, user="reporter"),
        relation("handler", APPEAL, {APPEAL_HANDLE}, org="handler"),
        relation("called", APPEAL, {APPEAL_ANSWER_CALL}, org="whistle_calls__department"),
    ),
    implied_by={APPEAL_VIEW: (APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_SUPERVISE, APPEAL_WHISTLE, APPEAL_HANDLE,
                              APPEAL_ANSWER_CALL)},
)
