"""The three lists' declaration (gongzhi.accounts.capabilities): who may order, register, offer, take, serve,
rate and count, and why.

By place: the community desk and the sub-district review needs and registrations, make projects and confirm
services over their grid; grid workers read the needs of theirs. Residents order needs and members register
where they hold their role; party members take the published projects of their area.
By relationship, wherever the record is: a need's poster reads it; a registration's member, or the unit it
registers, reads it; a resource's provider reads it; a project's takers (a member, or a unit it was
dispatched to) read it and record services on it; a service's provider reads it and its residents rate it; a
ledger line's person or unit reads it.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

NEED_VIEW = "need.view"
NEED_POST = "need.post"
NEED_REVIEW = "need.review"
REGISTRATION_VIEW = "registration.view"
REGISTRATION_SUBMIT = "registration.submit"
REGISTRATION_REVIEW = "registration.review"
REGISTRATION_RATE = "registration.rate"
RESOURCE_VIEW = "resource.view"
RESOURCE_OFFER = "resource.offer"
PROJECT_VIEW = "project.view"
PROJECT_MANAGE = "project.manage"
PROJECT_TAKE = "project.take"
PROJECT_SERVE = "project.serve"
SERVICE_VIEW = "service.view"
SERVICE_RATE = "service.rate"
SERVICE_CONFIRM = "service.confirm"
LEDGER_VIEW = "ledger.view"
LEDGER_CORRECT = "ledger.correct"

NEED = "lists.Need"
REGISTRATION = "lists.Registration"
RESOURCE = "lists.Resource"
PROJECT = "lists.Project"
SERVICE = "lists.ServiceRecord"
LEDGER = "lists.LedgerEntry"

_DESK = (R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER)

CAPABILITY = Capability(
    name="lists",
    actions=(NEED_VIEW, NEED_POST, NEED_REVIEW, REGISTRATION_VIEW, REGISTRATION_SUBMIT, REGISTRATION_REVIEW,
             REGISTRATION_RATE,
             RESOURCE_VIEW, RESOURCE_OFFER, PROJECT_VIEW, PROJECT_MANAGE, PROJECT_TAKE, PROJECT_SERVE, SERVICE_VIEW,
             SERVICE_RATE, SERVICE_CONFIRM, LEDGER_VIEW, LEDGER_CORRECT),
    grants={
        NEED_VIEW: by(*_DESK, R.GRID_WORKER),
        NEED_POST: by(*_DESK, R.GRID_WORKER, R.RESIDENT, R.PARTY_MEMBER),
        NEED_REVIEW: by(*_DESK),
        REGISTRATION_SUBMIT: by(R.PARTY_MEMBER, R.RESIDENT),
        REGISTRATION_REVIEW: by(*_DESK),
        REGISTRATION_RATE: by(*_DESK),
        RESOURCE_VIEW: by(*_DESK, R.GRID_WORKER),
        RESOURCE_OFFER: by(*_DESK, R.PARTY_MEMBER, R.PROPERTY_STAFF),
        PROJECT_VIEW: by(*_DESK, R.GRID_WORKER),
        PROJECT_MANAGE: by(*_DESK),
        # Members take what is published for taking; a dispatched project is answered by whom it was sent to.
        PROJECT_TAKE: by(R.PARTY_MEMBER, where={"mode": "publish"}),
        SERVICE_VIEW: by(*_DESK),
        SERVICE_CONFIRM: by(*_DESK),
        LEDGER_VIEW: by(*_DESK),
        LEDGER_CORRECT: by(*_DESK),
    },
    records=(Record(NEED, PLACED), Record(REGISTRATION, PLACED), Record(RESOURCE, PLACED), Record(PROJECT, PLACED),
             Record(SERVICE, PLACED), Record(LEDGER, PLACED)),
    relations=(
        relation("poster", NEED, {NEED_VIEW}, user="poster"),
        relation("registrant", REGISTRATION, {REGISTRATION_VIEW}, user="user"),
        relation("registered unit", REGISTRATION, {REGISTRATION_VIEW}, org="organisation"),
        relation("provider", RESOURCE, {RESOURCE_VIEW}, user="offered_by"),
        relation("providing unit", RESOURCE, {RESOURCE_VIEW}, org="organisation"),
        relation("taker", PROJECT, {PROJECT_SERVE}, user="takes__user"),
        relation("dispatched unit", PROJECT, {PROJECT_SERVE}, org="takes__organisation"),
        relation("service provider", SERVICE, {SERVICE_VIEW}, user="provider"),
        relation("service unit", SERVICE, {SERVICE_VIEW}, org="organisation"),
        relation("served", SERVICE, {SERVICE_RATE}, user="served__user"),
        relation("ledger person", LEDGER, {LEDGER_VIEW}, user="person"),
        relation("ledger unit", LEDGER, {LEDGER_VIEW}, org="organisation"),
    ),
    implied_by={
        NEED_VIEW: (NEED_REVIEW,),
        REGISTRATION_VIEW: (REGISTRATION_REVIEW, REGISTRATION_RATE),
        RESOURCE_VIEW: (NEED_REVIEW,),  # who turns needs into projects chooses among the resources
        PROJECT_VIEW: (PROJECT_MANAGE, PROJECT_TAKE, PROJECT_SERVE),
        SERVICE_VIEW: (SERVICE_CONFIRM, SERVICE_RATE),
        LEDGER_VIEW: (LEDGER_CORRECT,),
    },
    writes=frozenset({NEED_POST, NEED_REVIEW, REGISTRATION_SUBMIT, REGISTRATION_REVIEW, REGISTRATION_RATE,
                      RESOURCE_OFFER,
                      PROJECT_MANAGE, PROJECT_TAKE, PROJECT_SERVE, SERVICE_RATE, SERVICE_CONFIRM, LEDGER_CORRECT}),
)
