"""Organisations' declaration (gongzhi.accounts.capabilities).

An organisation hangs on every grid node it covers: it is read where any of them meets the reader's place
(from above or, for context, from below), changed only by someone whose place holds all of them. Its
members read it wherever they are. Who acts for an organisation is declared here too: the holders of a role
over it, and the community and sub-district staff for their offices.
"""
from gongzhi.accounts.capabilities import Acting, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

ORG_VIEW = "org.view"
ORG_CHANGE = "org.change"

CAPABILITY = Capability(
    name="orgs",
    actions=(ORG_VIEW, ORG_CHANGE),
    grants={
        ORG_VIEW: by(R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER, R.GRID_WORKER, R.PROPERTY_STAFF, R.OWNERS_COMMITTEE,
                     R.PARTY_MEMBER, R.RESIDENT),
        ORG_CHANGE: by(R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER),
    },
    records=(Record("orgs.Organisation", "coverage", many=True, context=True),),
    # Its members, and whoever holds a role over it, read it even where it covers nothing yet.
    relations=(relation("member", "orgs.Organisation", {ORG_VIEW}, user="memberships__user"),
               relation("role", "orgs.Organisation", {ORG_VIEW}, user="role_assignments__user")),
    writes=frozenset({ORG_CHANGE}),
    acting=Acting(
        roles=frozenset({R.PROPERTY_STAFF, R.OWNERS_COMMITTEE, R.PARTY_MEMBER, R.COMMUNITY_WORKER,
                         R.SUBDISTRICT_ADMIN, R.GRID_WORKER}),
        offices={R.COMMUNITY_WORKER: ("community", ("community_office", "party_committee")),
                 R.SUBDISTRICT_ADMIN: ("subdistrict", ("subdistrict_office", "gov_department"))},
    ),
)
