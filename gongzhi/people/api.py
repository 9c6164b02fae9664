"""Households, residents and care tags over JSON.

Reads go through the selectors (scoped by `policy.scoped`) or
`policy.get_or_404`; writes through `people.services` (policy-checked,
atomic, audited). A resident is only ever rendered with the masked phone
and ID number; the clear value comes from POST /residents/{id}/reveal,
which is allowed per policy and audited. Tags marked sensitive (低保, …)
are shown only where the user may reveal the resident's ID number.
"""
from datetime import datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from gongzhi.accounts.policy import can, get_or_404, require, scoped
from gongzhi.grid.capability import GRID_VIEW, HOUSEHOLD_CHANGE, HOUSEHOLD_VIEW
from .capability import RESIDENT_CHANGE, RESIDENT_VIEW, TAG_MANAGE
from gongzhi.api.base import Dec, ErrorOut, Id, Page, Text, paginate
from gongzhi.grid.models import Building, Household, Tenure

from . import floorplan, lookup, presenter, selectors, services
from .models import Relation, Resident, Tag

router = Router()

HOUSEHOLD_RELATED = ("building__compound__community",)


# ---- schemas -----------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    sensitive: bool


class TagIn(Schema):
    code: Text
    name: Text
    name_en: Text = ""
    sensitive: bool = False


class TagPatch(Schema):
    name: Text | None = None
    name_en: Text | None = None
    sensitive: bool | None = None


class TagRef(Schema):
    code: str
    name: str
    sensitive: bool


class HouseholdRef(Schema):
    id: int
    code: str
    address: str


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    age: int | None = Field(None, description=(
        "Age in years, only where the user may reveal the resident's ID number (it narrows the masked birth date); "
        "otherwise null: see age_band"))
    age_band: str | None = Field(None, description=(
        'Ten-year band of the age ("0-9", "10-19", … "50-59") or "60+"; null when the birth date is unknown'))
    relation: str
    relation_label: str
    household: HouseholdRef | None = None
    building_id: int | None = None
    compound_id: int | None = None
    compound_name: str | None = None
    phone_masked: str
    id_number_masked: str
    tags: list[TagRef]
    can_reveal_phone: bool
    can_reveal_id: bool


class ResidentDetailOut(ResidentOut):
    note: str
    created_at: datetime
    updated_at: datetime


class ResidentIn(Schema):
    household_id: Id
    name: Text
    id_number: Text = ""
    phone: Text = ""
    relation: Text = Relation.OTHER.value
    gender: Text = ""
    note: Text = ""
    tags: list[Text] = []


class ResidentPatch(Schema):
    household_id: Id | None = None
    name: Text | None = None
    id_number: Text | None = None
    phone: Text | None = None
    relation: Text | None = None
    gender: Text | None = None
    note: Text | None = None
    tags: list[Text] | None = None


class RevealIn(Schema):
    field: Text


class RevealOut(Schema):
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    code: str
    address: str
    floor_area: Decimal | None = None
    tenure: str
    tenure_label: str
    building_id: int
    building_name: str
    compound_id: int
    compound_name: str
    member_count: int


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut] | None = None


class HouseholdIn(Schema):
    building_id: Id
    code: Text
    address: Text
    floor_area: Dec | None = None
    tenure: Text = Tenure.OWNER.value


class HouseholdPatch(Schema):
    code: Text | None = None
    address: Text | None = None
    floor_area: Dec | None = None
    tenure: Text | None = None


# ---- rendering ---------------------------------------------------------------------------------


def _tag(t):
    return {"id": t.pk, "code": t.code, "name": t.name, "name_en": t.name_en, "sensitive": t.sensitive}


def render_resident(user, r, *, detail=False, today=None, view=None):
    """A resident as the user may see them (people.presenter): masks, tags and age by the viewer's sight."""
    v = view or presenter.view_of(user, r, today)
    h = r.household
    out = {
        "id": r.pk, "name": r.name, "gender": r.gender, "age": v.age, "age_band": v.age_band,
        "relation": r.relation, "relation_label": r.get_relation_display(),
        "household": {"id": h.pk, "code": h.code, "address": h.address} if h else None,
        "building_id": h.building_id if h else None,
        "compound_id": h.building.compound_id if h else None,
        "compound_name": h.building.compound.name if h else None,
        "phone_masked": r.phone_masked, "id_number_masked": r.id_number_masked,
        "tags": [{"code": t.code, "name": t.name, "sensitive": t.sensitive} for t in v.tags],
        "can_reveal_phone": v.can_reveal_phone, "can_reveal_id": v.can_reveal_id,
    }
    if detail:
        out.update(note=r.note, created_at=r.created_at, updated_at=r.updated_at)
    return out


def render_household(h, member_count=None):
    b = h.building
    return {
        "id": h.pk, "code": h.code, "address": h.address, "floor_area": h.floor_area, "tenure": h.tenure,
        "tenure_label": h.get_tenure_display(), "building_id": b.pk, "building_name": b.name,
        "compound_id": b.compound_id, "compound_name": b.compound.name,
        "member_count": member_count if member_count is not None else getattr(h, "member_count", 0),
    }


def _not_found(field):
    """A referenced object (the household of a new resident, …) that is missing or out of scope."""
    return Status(404, {"detail": _("%(field)s 指向的对象不存在或无权访问") % {"field": field}, "field": field})


def _resident_qs():
    return Resident.objects.select_related(*selectors.RESIDENT_RELATED).prefetch_related("tags")


def _resident_detail(user, pk):
    return render_resident(user, _resident_qs().get(pk=pk), detail=True)


# ---- households --------------------------------------------------------------------------------


@router.get("/households", response=Page[HouseholdOut], summary="Households the user may see")
def household_list(request, compound: Id | None = None, building: Id | None = None, q: Text = "",
                   limit: int = 50, offset: int = 0):
    page = paginate(selectors.households_for(request.user, q=q, compound=compound, building=building),
                    limit, offset)
    page["items"] = [render_household(h) for h in page["items"]]
    return page


class FloorPlanCellOut(Schema):
    household_id: int
    code: str
    flat: str
    tenure: str
    member_count: int | None = None
    tags: list[TagRef] = []


class FloorPlanColumnOut(Schema):
    unit: int | None = None
    position: int


class FloorPlanFloorOut(Schema):
    floor: int
    cells: list[FloorPlanCellOut | None]


class FloorPlanUnplacedOut(Schema):
    household_id: int
    code: str
    address: str
    tenure: str
    member_count: int | None = None
    tags: list[TagRef] = []


class FloorPlanOut(Schema):
    building_id: int
    columns: list[FloorPlanColumnOut]
    floors: list[FloorPlanFloorOut]
    unplaced: list[FloorPlanUnplacedOut]


def _tag_refs(tags):
    return [{"code": t.code, "name": t.name, "sensitive": t.sensitive} for t in tags]


@router.get("/buildings/{pk}/floor-plan", response={200: FloorPlanOut, 404: ErrorOut},
            summary="The building's households as floors × units and flats (楼盘表)")
def building_floor_plan(request, pk: Id):
    """Floors top first; each cell one household the user may see, or null; columns say each cell's unit and
    position on its floor. Member counts and tags only for users who may see residents, sensitive tags only
    where they may see who carries them. Households whose room code says no place are listed in `unplaced`."""
    b = get_or_404(request.user, GRID_VIEW, Building.objects.select_related("compound__community"), pk=pk)
    plan = floorplan.floor_plan(request.user, b)

    def cell(c):
        h = c.household
        return {"household_id": h.pk, "code": h.code, "flat": c.flat, "tenure": h.tenure,
                "member_count": c.members, "tags": _tag_refs(c.tags)}

    return {
        "building_id": b.pk,
        "columns": [{"unit": c.unit, "position": c.position} for c in plan.columns],
        "floors": [{"floor": f, "cells": [cell(c) if c else None for c in cells]} for f, cells in plan.floors],
        "unplaced": [{"household_id": c.household.pk, "code": c.household.code, "address": c.household.address,
                      "tenure": c.household.tenure, "member_count": c.members, "tags": _tag_refs(c.tags)}
                     for c in plan.unplaced],
    }


def _household_detail(user, h):
    members = None
    if can(user, RESIDENT_VIEW, h):
        qs = scoped(user, RESIDENT_VIEW, _resident_qs().filter(household=h)).order_by("id")
        members = [render_resident(user, v.resident, view=v) for v in presenter.views_of(user, qs)]
    return {**render_household(h, member_count=h.members.count()), "members": members}


@router.get("/households/{pk}", response={200: HouseholdDetailOut, 404: ErrorOut})
def household_detail(request, pk: Id):
    h = get_or_404(request.user, HOUSEHOLD_VIEW, Household.objects.select_related(*HOUSEHOLD_RELATED), pk=pk)
    return _household_detail(request.user, h)


@router.post("/households", response={201: HouseholdDetailOut, 400: ErrorOut, 404: ErrorOut})
def household_create(request, payload: HouseholdIn):
    try:
        building = get_or_404(request.user, HOUSEHOLD_CHANGE, Building.objects.select_related("compound__community"),
                              pk=payload.building_id)
    except Http404:
        return _not_found("building_id")
    h = services.household_create(user=request.user, building=building, code=payload.code,
                                  address=payload.address, floor_area=payload.floor_area, tenure=payload.tenure)
    h = Household.objects.select_related(*HOUSEHOLD_RELATED).get(pk=h.pk)
    return Status(201, _household_detail(request.user, h))


@router.patch("/households/{pk}", response={200: HouseholdDetailOut, 400: ErrorOut, 404: ErrorOut})
def household_update(request, pk: Id, payload: HouseholdPatch):
    h = get_or_404(request.user, HOUSEHOLD_VIEW, Household.objects.select_related(*HOUSEHOLD_RELATED), pk=pk)
    fields = payload.model_dump(exclude_unset=True)
    services.household_update(user=request.user, household=h, **fields)
    h = Household.objects.select_related(*HOUSEHOLD_RELATED).get(pk=h.pk)
    return _household_detail(request.user, h)


# ---- residents ---------------------------------------------------------------------------------


def _refused(exc, response):
    """A lookup by identifier not done: 403 without the right, 429 over the limit (with Retry-After)."""
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return Status(exc.status, {"detail": exc.text, "field": exc.field, "errors": {exc.field: [exc.text]}})


@router.get("/residents", response={200: Page[ResidentOut], 403: ErrorOut, 429: ErrorOut},
            summary="Residents the user may see; q = name or address substring, or a whole phone / ID number",
            description=(
                "A q that is a whole ID number or mobile number finds by that number: only for roles that may reveal "
                "it (403 otherwise, whether or not the number is registered), only inside that right's scope, "
                "audited, and limited per user (429 with Retry-After over IDENTIFIER_LOOKUP_LIMIT). Part of a number "
                "matches nothing."))
def resident_list(request, response: HttpResponse, q: Text = "", tag: Text = "", household: Id | None = None,
                  compound: Id | None = None, limit: int = 50, offset: int = 0):
    try:
        qs = selectors.residents_for(request.user, q=q, tag=tag, household=household, compound=compound)
        page = paginate(qs, limit, offset)
    except lookup.LookupRefused as exc:
        return _refused(exc, response)
    page["items"] = [render_resident(request.user, v.resident, view=v)
                     for v in presenter.views_of(request.user, page["items"], timezone.localdate())]
    return page


@router.get("/residents/{pk}", response={200: ResidentDetailOut, 404: ErrorOut})
def resident_detail(request, pk: Id):
    r = get_or_404(request.user, RESIDENT_VIEW, _resident_qs(), pk=pk)
    return render_resident(request.user, r, detail=True)


@router.post("/residents", response={201: ResidentDetailOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
             description=(
                 "An ID number that another resident holds: named when the user may find that resident by ID number; "
                 "otherwise 400 with one neutral message whoever and wherever the holder is, and the case goes to the "
                 "community (GET /registration-conflicts). Such a collision counts as an identifier lookup (429 over "
                 "the limit, for any ID number)."))
def resident_create(request, payload: ResidentIn, response: HttpResponse):
    try:
        household = get_or_404(request.user, RESIDENT_CHANGE, Household.objects.select_related(*HOUSEHOLD_RELATED),
                               pk=payload.household_id)
    except Http404:
        return _not_found("household_id")
    try:
        r = services.resident_create(user=request.user, household=household, name=payload.name,
                                     id_number=payload.id_number, phone=payload.phone, relation=payload.relation,
                                     gender=payload.gender, note=payload.note, tags=payload.tags)
    except lookup.LookupRefused as exc:
        return _refused(exc, response)
    return Status(201, _resident_detail(request.user, r.pk))


@router.patch("/residents/{pk}", response={200: ResidentDetailOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
              description="A new ID number is checked as in POST /residents.")
def resident_update(request, pk: Id, payload: ResidentPatch, response: HttpResponse):
    r = get_or_404(request.user, RESIDENT_VIEW, _resident_qs(), pk=pk)
    fields = payload.model_dump(exclude_unset=True)
    household_id = fields.pop("household_id", None)
    if household_id is not None and household_id != r.household_id:
        try:
            fields["household"] = get_or_404(request.user, RESIDENT_CHANGE,
                                             Household.objects.select_related(*HOUSEHOLD_RELATED), pk=household_id)
        except Http404:
            return _not_found("household_id")
    if fields.get("tags") is None:
        fields.pop("tags", None)
    try:
        services.resident_update(user=request.user, resident=r, **fields)
    except lookup.LookupRefused as exc:
        return _refused(exc, response)
    return _resident_detail(request.user, r.pk)


@router.delete("/residents/{pk}", response={204: None, 404: ErrorOut})
def resident_delete(request, pk: Id):
    r = get_or_404(request.user, RESIDENT_VIEW, _resident_qs(), pk=pk)
    services.resident_delete(user=request.user, resident=r)
    return Status(204, None)


@router.post("/residents/{pk}/reveal", response={200: RevealOut, 400: ErrorOut, 404: ErrorOut},
             summary="The clear phone or ID number, for roles allowed to see it; every reveal is audited")
def resident_reveal(request, pk: Id, payload: RevealIn, response: HttpResponse):
    r = get_or_404(request.user, RESIDENT_VIEW, _resident_qs(), pk=pk)
    value = services.resident_reveal(user=request.user, resident=r, field=payload.field)
    response["Cache-Control"] = "no-store"
    return {"field": payload.field, "value": value}


class OneTimePasswordOut(Schema):
    one_time_password: str


@router.post("/residents/{pk}/password-reset", response={200: OneTimePasswordOut, 400: ErrorOut, 404: ErrorOut},
             summary="A one-time password for the resident's account (they choose their own at their next login)",
             description="For staff who may change the resident's record. The answer is the only place the one-time "
                         "password appears; the resident's sessions and API tokens end. Audited without it.")
def resident_password_reset(request, pk: Id, response: HttpResponse):
    r = get_or_404(request.user, RESIDENT_VIEW, _resident_qs(), pk=pk)
    one_time = services.resident_password_reset(user=request.user, resident=r, request=request)
    response["Cache-Control"] = "no-store"
    return {"one_time_password": one_time}


# ---- tags --------------------------------------------------------------------------------------


@router.get("/tags", response=Page[TagOut], summary="Care tags; sensitive ones only for roles that may see them")
def tag_list(request, limit: int = 100, offset: int = 0):
    user = request.user
    if can(user, TAG_MANAGE):  # who manages the tags sees them all; no one's tags come with them
        qs = Tag.objects.order_by("code")
    elif can(user, RESIDENT_VIEW):
        qs = presenter.tag_choices(user)
    else:
        qs = Tag.objects.none()
    page = paginate(qs, limit, offset)
    page["items"] = [_tag(t) for t in page["items"]]
    return page


@router.post("/tags", response={201: TagOut, 400: ErrorOut, 404: ErrorOut})
def tag_create(request, payload: TagIn):
    tag = services.tag_create(user=request.user, code=payload.code, name=payload.name, name_en=payload.name_en,
                              sensitive=payload.sensitive)
    return Status(201, _tag(tag))


@router.patch("/tags/{pk}", response={200: TagOut, 400: ErrorOut, 404: ErrorOut})
def tag_update(request, pk: Id, payload: TagPatch):
    require(request.user, TAG_MANAGE)
    try:
        tag = Tag.objects.get(pk=pk)
    except Tag.DoesNotExist:
        raise Http404
    tag = services.tag_update(user=request.user, tag=tag, **payload.model_dump(exclude_unset=True))
    return _tag(tag)
