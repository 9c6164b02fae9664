"""Assistance cases' declaration (gongzhi.accounts.capabilities): who may refer, read, work and decide, and why.

A case tells of a family's hardship: it is read by no one by place but the community's leadership (the
community office's staff over their community, the sub-district over its own), and by relationship by the
case workers assigned to it. Whoever referred it follows only its broad status. An outside organisation
handling one measure (a charity's scholarship) reads and decides that measure, and nothing else of the case.
Staff of every kind may refer a household of their place; community and grid workers of the place may be
assigned to it. Grid workers see counts of cases only as the threshold allows (selectors.counts), and the
home visits of the residents with care tags in their grid.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

CASE_REFER = "care.refer"
CASE_STATUS = "care.case_status"
CASE_VIEW = "care.case_view"
CASE_ASSIGN = "care.case_assign"
# May be assigned to a case here as its case worker (those the assigning form offers).
CASE_SERVE = "care.case_serve"
CASE_WORK = "care.case_work"
CASE_EXPORT = "care.case_export"
CASE_COUNT = "care.case_count"
MEASURE_VIEW = "care.measure_view"
MEASURE_DECIDE = "care.measure_decide"
VISIT_VIEW = "care.visit_view"
VISIT_RECORD = "care.visit_record"

CASE = "care.Case"
MEASURE = "care.Measure"
VISIT = "care.CareVisit"

_LEAD = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)

CAPABILITY = Capability(
    name="care",
    actions=(CASE_REFER, CASE_STATUS, CASE_VIEW, CASE_ASSIGN, CASE_SERVE, CASE_WORK, CASE_EXPORT, CASE_COUNT,
             MEASURE_VIEW, MEASURE_DECIDE, VISIT_VIEW, VISIT_RECORD),
    grants={
        CASE_REFER: by(*_LEAD, R.GRID_WORKER, R.PROPERTY_STAFF, R.PARTY_MEMBER),
        CASE_VIEW: by(*_LEAD),
        CASE_ASSIGN: by(*_LEAD),
        CASE_SERVE: by(R.COMMUNITY_WORKER, R.GRID_WORKER),
        CASE_EXPORT: by(*_LEAD),
        CASE_COUNT: by(*_LEAD, R.GRID_WORKER),
        MEASURE_VIEW: by(*_LEAD),
        VISIT_VIEW: by(*_LEAD, R.GRID_WORKER),
        VISIT_RECORD: by(R.COMMUNITY_WORKER, R.GRID_WORKER),
    },
    records=(Record(CASE, PLACED), Record(MEASURE, PLACED), Record(VISIT, PLACED)),
    relations=(
        relation("case worker", CASE, {CASE_WORK}, user="workers__user"),
        relation("referrer", CASE, {CASE_STATUS}, user="referred_by"),
        relation("handling organisation", MEASURE, {MEASURE_DECIDE}, org="organisation"),
        relation("visitor", VISIT, {VISIT_VIEW}, user="visited_by"),
    ),
    implied_by={
        CASE_VIEW: (CASE_ASSIGN, CASE_WORK, CASE_EXPORT),
        CASE_STATUS: (CASE_VIEW, CASE_ASSIGN, CASE_WORK, CASE_EXPORT),
        MEASURE_VIEW: (MEASURE_DECIDE,),
        VISIT_VIEW: (VISIT_RECORD,),
    },
    writes=frozenset({CASE_REFER, CASE_ASSIGN, CASE_WORK, MEASURE_DECIDE, VISIT_RECORD}),
)
