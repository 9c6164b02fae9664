"""Organisations over JSON: who co-governs which part of the grid, and who holds which post.

Members are shown by name, position and term only (never a phone number).
Changing members or coverage needs ORG_CHANGE over the whole organisation.
"""
from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from gongzhi.accounts.policy import get_or_404
from gongzhi.grid.capability import GRID_VIEW
from .capability import ORG_VIEW
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.api.base import ErrorOut, Id, Page, Text, paginate
from gongzhi.grid.models import GRID_MODELS, LEVELS
from gongzhi.people.models import Resident

from . import selectors, services
from .models import Coverage, Membership, Organisation

router = Router()


class OrgOut(Schema):
    id: int
    kind: str
    kind_label: str
    code: str
    name: str
    parent_id: int | None = None
    is_active: bool
    member_count: int


class CoverageOut(Schema):
    id: int
    level: str
    node_id: int
    name: str


class MemberOut(Schema):
    id: int
    person_name: str
    position: str
    term_start: date | None = None
    term_end: date | None = None
    current: bool


class OrgRef(Schema):
    id: int
    name: str


class OrgDetailOut(OrgOut):
    parent: OrgRef | None = None
    address: str
    phone: str
    description: str
    coverage: list[CoverageOut]
    members: list[MemberOut]


class MemberIn(Schema):
    position: Text
    person_name: Text = ""
    resident_id: Id | None = None
    term_start: date | None = None
    term_end: date | None = None


class CoverageIn(Schema):
    level: Text
    node_id: Id


def _org(o, member_count=None):
    return {"id": o.pk, "kind": o.kind, "kind_label": o.get_kind_display(), "code": o.code, "name": o.name,
            "parent_id": o.parent_id, "is_active": o.is_active,
            "member_count": member_count if member_count is not None else getattr(o, "member_count", 0)}


def _coverage(c):
    node = c.node
    return {"id": c.pk, "level": c.node_level, "node_id": c.node_id, "name": str(node)}


def _member(m):
    return {"id": m.pk, "person_name": m.person_name, "position": m.position, "term_start": m.term_start,
            "term_end": m.term_end, "current": m.current}


def _detail(o):
    members = selectors.members_of(o)
    return {**_org(o, member_count=sum(1 for m in members if m.current)),
            "parent": {"id": o.parent.pk, "name": o.parent.name} if o.parent_id else None,
            "address": o.address, "phone": o.phone, "description": o.description,
            "coverage": [_coverage(c) for c in selectors.coverage_of(o)],
            "members": [_member(m) for m in members]}


def _get_org(user, pk):
    return get_or_404(user, ORG_VIEW, Organisation.objects.select_related("parent"), pk=pk)


def _not_found(field):
    return Status(404, {"detail": _("%(field)s 指向的对象不存在或无权访问") % {"field": field}, "field": field})


@router.get("/organisations", response=Page[OrgOut], summary="Organisations the user may see")
def organisation_list(request, kind: Text = "", q: Text = "", limit: int = 50, offset: int = 0):
    page = paginate(selectors.organisations_for(request.user, kind=kind, q=q), limit, offset)
    page["items"] = [_org(o) for o in page["items"]]
    return page


@router.get("/organisations/{pk}", response={200: OrgDetailOut, 404: ErrorOut},
            summary="One organisation with the grid it covers and its members (names, posts, terms)")
def organisation_detail(request, pk: Id):
    return _detail(_get_org(request.user, pk))


@router.post("/organisations/{pk}/members", response={201: MemberOut, 400: ErrorOut, 404: ErrorOut})
def member_add(request, pk: Id, payload: MemberIn):
    org = _get_org(request.user, pk)
    resident = None
    if payload.resident_id is not None:
        try:
            resident = get_or_404(request.user, RESIDENT_VIEW,
                                  Resident.objects.select_related("household__building__compound__community"),
                                  pk=payload.resident_id)
        except Http404:
            return _not_found("resident_id")
    m = services.membership_add(user=request.user, organisation=org, position=payload.position,
                                person_name=payload.person_name, resident=resident,
                                term_start=payload.term_start, term_end=payload.term_end)
    m.current = selectors.is_current(m)
    return Status(201, _member(m))


@router.delete("/organisations/{pk}/members/{mid}", response={204: None, 404: ErrorOut},
               summary="End a post today (a post whose term has not begun is removed)")
def member_end(request, pk: Id, mid: Id):
    org = _get_org(request.user, pk)
    try:
        m = Membership.objects.get(pk=mid, organisation=org)
    except Membership.DoesNotExist:
        raise Http404
    services.membership_end(user=request.user, membership=m)
    return Status(204, None)


@router.post("/organisations/{pk}/coverage", response={201: CoverageOut, 400: ErrorOut, 404: ErrorOut})
def coverage_add(request, pk: Id, payload: CoverageIn):
    org = _get_org(request.user, pk)
    if payload.level not in LEVELS:
        raise ValidationError({"level": _("网格层级无效，应为：%s") % _("、").join(LEVELS)})
    try:
        node = get_or_404(request.user, GRID_VIEW, GRID_MODELS[payload.level].objects.all(), pk=payload.node_id)
    except Http404:
        return _not_found("node_id")
    c = services.coverage_add(user=request.user, organisation=org, node=node)
    return Status(201, _coverage(c))


@router.delete("/organisations/{pk}/coverage/{cid}", response={204: None, 400: ErrorOut, 404: ErrorOut})
def coverage_remove(request, pk: Id, cid: Id):
    org = _get_org(request.user, pk)
    try:
        c = Coverage.objects.get(pk=cid, organisation=org)
    except Coverage.DoesNotExist:
        raise Http404
    services.coverage_remove(user=request.user, coverage=c)
    return Status(204, None)
