"""Appeal settings over JSON, for sub-district admins: categories, routing rules, the holiday calendar.

The same services as the settings pages (admin_services); a refusal is 404.
"""
import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import Field

from gongzhi.accounts.policy import require
from gongzhi.accounts.capability import CALENDAR_MANAGE
from .capability import CATEGORY_MANAGE
from gongzhi.api.base import ErrorOut, Id, Text, validation_payload
from gongzhi.core.models import CalendarDay

from . import admin_services, selectors
from .api import CategoryOut, RuleOut
from .models import Category

router = Router()
WRITE = {400: ErrorOut, 404: ErrorOut}

# The years a calendar can hold (datetime's range): anything else is a 422, not an overflow in the date lookup.
Year = Annotated[int, Field(ge=1, le=9999)]


class CategoryIn(Schema):
    code: Text
    name: Text
    name_en: Text = ""
    description: Text = ""
    parent: Id | None = None
    kind: Text
    handler_level: Text
    handler_kind: Text
    respond_amount: int
    respond_unit: Text
    resolve_amount: int
    resolve_unit: Text
    may_be_public: bool = True
    confidential: bool = False
    is_active: bool = True
    order: int = 0


class RuleIn(Schema):
    name: Text
    category: Id | None = None
    community: Id | None = None
    compound: Id | None = None
    handler_kind: Text = ""
    handler_level: Text = ""
    organisation: Id | None = None
    priority: int = 0
    is_active: bool = True


class DayIn(Schema):
    date: datetime.date
    kind: Text
    name: Text = ""
    until: datetime.date | None = None


class DayOut(Schema):
    id: int
    date: datetime.date
    kind: str
    name: str


def _invalid(e):
    return HttpStatus(400, validation_payload(e))


@router.get("/appeal-categories", response=list[CategoryOut], summary="The category tree (flat, with parent ids)")
def categories(request):
    return list(Category.objects.filter(is_active=True).order_by("order", "code"))


@router.post("/appeal-categories", response={201: CategoryOut, **WRITE}, summary="Create a category (admins)")
def category_create(request, payload: CategoryIn):
    try:
        return HttpStatus(201, admin_services.category_create(user=request.auth, **payload.dict()))
    except ValidationError as e:
        return _invalid(e)


@router.put("/appeal-categories/{pk}", response={200: CategoryOut, **WRITE}, summary="Replace a category (admins)")
def category_update(request, pk: Id, payload: CategoryIn):
    require(request.auth, CATEGORY_MANAGE)
    category = get_object_or_404(Category, pk=pk)
    try:
        return admin_services.category_update(user=request.auth, category=category, **payload.dict())
    except ValidationError as e:
        return _invalid(e)


@router.delete("/appeal-categories/{pk}", response={204: None, **WRITE}, summary="Delete an unused category (admins)")
def category_delete(request, pk: Id):
    require(request.auth, CATEGORY_MANAGE)
    try:
        admin_services.category_delete(user=request.auth, category=get_object_or_404(Category, pk=pk))
    except ValidationError as e:
        return _invalid(e)
    return HttpStatus(204, None)


def _rule(user, pk):
    """A rule the admin may see (selectors.routing_rules), as the settings page finds it; else 404."""
    rule = selectors.routing_rule(user, pk)
    if rule is None:
        raise Http404
    return rule


@router.get("/routing-rules", response={200: list[RuleOut], 404: ErrorOut}, summary="Routing rules (admins)")
def routing_rules(request):
    require(request.auth, CATEGORY_MANAGE)
    return selectors.routing_rules(request.auth)


@router.post("/routing-rules", response={201: RuleOut, **WRITE}, summary="Create a routing rule (admins)")
def rule_create(request, payload: RuleIn):
    try:
        return HttpStatus(201, admin_services.routing_rule_create(user=request.auth, **payload.dict()))
    except ValidationError as e:
        return _invalid(e)


@router.put("/routing-rules/{pk}", response={200: RuleOut, **WRITE}, summary="Replace a routing rule (admins)")
def rule_update(request, pk: Id, payload: RuleIn):
    require(request.auth, CATEGORY_MANAGE)
    try:
        return admin_services.routing_rule_update(user=request.auth, rule=_rule(request.auth, pk), **payload.dict())
    except ValidationError as e:
        return _invalid(e)


@router.delete("/routing-rules/{pk}", response={204: None, **WRITE}, summary="Delete a routing rule (admins)")
def rule_delete(request, pk: Id):
    require(request.auth, CATEGORY_MANAGE)
    admin_services.routing_rule_delete(user=request.auth, rule=_rule(request.auth, pk))
    return HttpStatus(204, None)


@router.get("/calendar", response={200: list[DayOut], 404: ErrorOut},
            summary="Holidays and adjusted working days of a year (anyone signed in: deadlines depend on them)")
def calendar(request, year: Year | None = None):
    year = year or datetime.date.today().year
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


@router.post("/calendar", response={201: list[DayOut], **WRITE}, summary="Add a holiday (or a run of them) or an adjusted working day")
def calendar_add(request, payload: DayIn):
    try:
        admin_services.calendar_day_add(user=request.auth, date=payload.date, kind=payload.kind, name=payload.name,
                                        until=payload.until)
    except ValidationError as e:
        return _invalid(e)
    last = payload.until or payload.date
    return HttpStatus(201, list(CalendarDay.objects.filter(date__gte=payload.date, date__lte=last).order_by("date")))


@router.delete("/calendar/{pk}", response={204: None, **WRITE}, summary="Remove a calendar day")
def calendar_delete(request, pk: Id):
    require(request.auth, CALENDAR_MANAGE)
    try:
        admin_services.calendar_day_delete(user=request.auth, day=pk)
    except ValidationError as e:
        return _invalid(e)
    return HttpStatus(204, None)
