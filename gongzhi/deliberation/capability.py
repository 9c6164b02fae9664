"""Deliberation's declaration (gongzhi.accounts.capabilities): who reads and runs votes, topics and resolutions.

By place: the community desk and the sub-district run votes and keep the ownership register; the owners'
committee of a compound runs its votes and agenda; everyone with a role in a compound reads its published votes,
its topics and its resolutions (records at the compound, read from the households below: `context`).
By relationship, wherever the record is: the accounts on a vote's frozen roll (owners, or a consultation's
households) read it and cast their ballot; a ballot's voter reads it; a topic's raiser reads it; a resolution's
responsible person or organisation reports its progress. Open ballots are read by those who run the vote; a
secret ballot by its voter alone.

Mediation records (矛盾纠纷调解) are confidential: read by place by the community's leadership alone (the community
office's staff over their community, the sub-district over its own), and by relationship by the mediators assigned
to the record, who record its sessions, agreement, hand-over and follow-up. Community and grid workers and party
members of the place may be named mediators.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

OWNERSHIP_VIEW = "ownership.view"
OWNERSHIP_EDIT = "ownership.edit"
VOTE_VIEW = "vote.view"
VOTE_MANAGE = "vote.manage"
BALLOT_CAST = "ballot.cast"
BALLOT_VIEW = "ballot.view"
TOPIC_VIEW = "topic.view"
TOPIC_RAISE = "topic.raise"
TOPIC_SUPPORT = "topic.support"
TOPIC_MANAGE = "topic.manage"
RESOLUTION_VIEW = "resolution.view"
RESOLUTION_MANAGE = "resolution.manage"
RESOLUTION_REPORT = "resolution.report"
MEETING_VIEW = "meeting.view"
MEETING_MANAGE = "meeting.manage"
MEDIATION_VIEW = "mediation.view"
MEDIATION_MANAGE = "mediation.manage"
MEDIATION_WORK = "mediation.work"
# May be named a mediator of a record here (those the opening form offers).
MEDIATION_SERVE = "mediation.serve"

OWNERSHIP = "deliberation.Ownership"
VOTE = "deliberation.Vote"
BALLOT = "deliberation.Ballot"
TOPIC = "deliberation.Topic"
RESOLUTION = "deliberation.Resolution"
MEETING = "deliberation.Meeting"
MEDIATION = "deliberation.Mediation"

_DESK = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)
_RUNNERS = (*_DESK, R.OWNERS_COMMITTEE)
_COMPOUND = (*_RUNNERS, R.GRID_WORKER, R.PROPERTY_STAFF, R.PARTY_MEMBER)
_LEAD = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)

CAPABILITY = Capability(
    name="deliberation",
    actions=(OWNERSHIP_VIEW, OWNERSHIP_EDIT, VOTE_VIEW, VOTE_MANAGE, BALLOT_CAST, BALLOT_VIEW, TOPIC_VIEW,
             TOPIC_RAISE, TOPIC_SUPPORT, TOPIC_MANAGE, RESOLUTION_VIEW, RESOLUTION_MANAGE, RESOLUTION_REPORT,
             MEETING_VIEW, MEETING_MANAGE, MEDIATION_VIEW, MEDIATION_MANAGE, MEDIATION_WORK, MEDIATION_SERVE),
    grants={
        OWNERSHIP_VIEW: by(*_RUNNERS),
        OWNERSHIP_EDIT: by(*_DESK),
        # Drafts are for those who run the vote; once published the whole compound reads it.
        VOTE_VIEW: (by(*_COMPOUND), by(R.RESIDENT, where={"published": True})),
        VOTE_MANAGE: by(*_RUNNERS),
        BALLOT_VIEW: by(*_RUNNERS, where={"secret": False}),
        TOPIC_VIEW: by(*_COMPOUND, R.RESIDENT),
        TOPIC_RAISE: by(*_RUNNERS, R.PARTY_MEMBER, R.RESIDENT),
        TOPIC_SUPPORT: by(R.OWNERS_COMMITTEE, R.PARTY_MEMBER, R.RESIDENT),
        TOPIC_MANAGE: by(*_RUNNERS),
        RESOLUTION_VIEW: by(*_COMPOUND, R.RESIDENT),
        RESOLUTION_MANAGE: by(*_RUNNERS),
        RESOLUTION_REPORT: by(*_RUNNERS),
        # Minutes and decisions are the compound's to read.
        MEETING_VIEW: by(*_COMPOUND, R.RESIDENT),
        MEETING_MANAGE: by(*_RUNNERS),
        # A dispute is the parties' business: no role of the compound (owners' committee, property, residents) reads it.
        MEDIATION_VIEW: by(*_LEAD),
        MEDIATION_MANAGE: by(*_LEAD),
        MEDIATION_WORK: by(*_LEAD),
        MEDIATION_SERVE: by(R.COMMUNITY_WORKER, R.GRID_WORKER, R.PARTY_MEMBER),
    },
    # Votes, topics and resolutions belong to the whole compound: placed there, read from the households below.
    records=(Record(OWNERSHIP, PLACED), Record(VOTE, "compound", context=True), Record(BALLOT, PLACED),
             Record(TOPIC, "compound", context=True), Record(RESOLUTION, "compound", context=True),
             Record(MEETING, "compound", context=True), Record(MEDIATION, PLACED)),
    relations=(
        relation("owner", OWNERSHIP, {OWNERSHIP_VIEW}, user="owner_user"),
        relation("on the roll", VOTE, {BALLOT_CAST}, user="roll__voter_user"),
        relation("voter", BALLOT, {BALLOT_VIEW}, user="voter_user"),
        relation("raiser", TOPIC, {TOPIC_VIEW}, user="raised_by"),
        relation("responsible", RESOLUTION, {RESOLUTION_REPORT}, user="responsible_user"),
        relation("responsible unit", RESOLUTION, {RESOLUTION_REPORT}, org="responsible_org"),
        relation("mediator", MEDIATION, {MEDIATION_WORK}, user="mediators__user"),
    ),
    implied_by={
        OWNERSHIP_VIEW: (OWNERSHIP_EDIT,),
        VOTE_VIEW: (VOTE_MANAGE, BALLOT_CAST),
        BALLOT_VIEW: (),
        TOPIC_VIEW: (TOPIC_MANAGE,),
        RESOLUTION_VIEW: (RESOLUTION_MANAGE, RESOLUTION_REPORT),
        MEETING_VIEW: (MEETING_MANAGE,),
        MEDIATION_VIEW: (MEDIATION_MANAGE, MEDIATION_WORK),
    },
    # Raising and supporting a topic add to the compound's list, and are done from the households below it, as
    # reading is: they are not writes over the compound (which would need a role over the whole compound).
    writes=frozenset({OWNERSHIP_EDIT, VOTE_MANAGE, BALLOT_CAST, TOPIC_MANAGE, RESOLUTION_MANAGE, RESOLUTION_REPORT,
                      MEETING_MANAGE, MEDIATION_MANAGE, MEDIATION_WORK}),
)
