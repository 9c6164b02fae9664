"""Appeals over JSON: submission, the queues, one appeal with its timeline, workflow actions, rates.

Views parse input and call services/selectors; errors map to JSON naming
the field (400), the conflict (409), the refusal (403) or 404 out of scope.
"""
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from gongzhi.accounts.policy import can
from .capability import APPEAL_VIEW
from gongzhi.api.base import IDEMPOTENCY_KEY_DOC, Day, Dec, ErrorOut, Id, Text, idempotent
from gongzhi.core import idempotency
from gongzhi.core.pagination import count_capped
from gongzhi.core.workdays import LOCAL

from . import presenter, selectors, services
from . import rates as rates_mod
from . import workflow as wf
from .errors import AppealError
from .models import Channel

router = Router()
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _error(exc):
    if isinstance(exc, ValidationError):
        from gongzhi.api.base import validation_payload

        return HttpStatus(400, validation_payload(exc))
    return HttpStatus(exc.status, {"detail": exc.message, "field": exc.field})


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    handler_level: str
    handler_kind: str
    respond_amount: int
    respond_unit: str
    resolve_amount: int
    resolve_unit: str
    may_be_public: bool
    confidential: bool
    is_active: bool


class AppealIn(Schema):
    category: Text
    description: Text
    title: Text = ""
    channel: Text = Channel.APP
    is_public: bool = False
    compound_id: Id | None = None
    building_id: Id | None = None
    household_id: Id | None = None
    lat: Dec | None = None
    lng: Dec | None = None
    address: Text = ""
    contact_name: Text = ""
    contact_phone: Text = ""


class AppealOut(Schema):
    id: int
    number: str
    title: str
    status: str
    status_display: str
    category: str
    category_name: str
    channel: str
    compound_id: int
    compound_name: str
    handler_id: int | None
    handler_name: str | None
    suggested_handler_id: int | None
    respond_due: datetime | None
    resolve_due: datetime | None
    escalation_level: str
    is_public: bool
    me_too_count: int
    rating: str
    version: int
    created_at: datetime
    updated_at: datetime


class EventOut(Schema):
    at: datetime
    action: str
    actor: str | None
    from_status: str
    to_status: str
    note: str
    internal: bool
    organisation: str | None
    data: dict


class AppealDetailOut(AppealOut):
    description: str
    address: str
    lat: Decimal | None
    lng: Decimal | None
    building_id: int | None
    routing_note: str
    public_reply: str
    rating_comment: str
    reporter_name: str
    entered_by_name: str
    contact_name: str
    contact_phone_masked: str
    duplicate_of: str | None
    actions: list[str]
    timeline: list[EventOut]


# Counting a long list costs more than reading one of its pages (a million appeals: ~100 ms on PostgreSQL);
# past this many the count stops, and `count_capped` says the list holds at least `count` appeals.
COUNT_CAP = 100_000


class AppealPage(Schema):
    count: int
    count_capped: bool = False
    next_cursor: str | None
    items: list[AppealOut]


class ActionIn(Schema):
    version: int | None = None
    note: Text = ""
    internal: bool = False
    handler: Id | None = None
    days: int | None = None
    rating: Text | None = None
    departments: list[Id] = []
    duplicate_of: Text | None = None
    category: Text | None = None


def _out(v):
    """An appeal in a list, as the reader may see it (presenter)."""
    a = v.appeal
    return {
        "id": a.pk, "number": a.number, "title": v.title, "status": a.status, "status_display": a.get_status_display(),
        "category": a.category.code, "category_name": a.category.name, "channel": a.channel,
        "compound_id": a.compound_id, "compound_name": a.compound.name, "handler_id": a.handler_id,
        "handler_name": a.handler.name if a.handler_id else None, "suggested_handler_id": v.suggested_handler_id,
        "respond_due": a.respond_due, "resolve_due": a.resolve_due, "escalation_level": v.escalation_level,
        "is_public": a.is_public, "me_too_count": a.me_too_count, "rating": a.rating, "version": a.version,
        "created_at": a.created_at, "updated_at": a.updated_at,
    }


def _detail(user, a):
    v = presenter.view_of(user, a)
    out = _out(v)
    out.update({
        "description": v.description, "address": v.address, "lat": a.lat, "lng": a.lng, "building_id": a.building_id,
        "routing_note": v.routing_note, "public_reply": v.public_reply, "rating_comment": v.rating_comment,
        "reporter_name": v.reporter_name, "entered_by_name": v.entered_by_name,
        "contact_name": v.contact_name, "contact_phone_masked": v.contact_phone_masked,
        "duplicate_of": a.duplicate_of.number if a.duplicate_of_id else None,
        "actions": v.actions,
        "timeline": v.timeline(),  # presenter.Step rows, read as EventOut
    })
    return out


@router.get("/appeals", response={200: AppealPage, 400: ErrorOut},
            summary="A queue: dispatch, handle, verify, mine, or all visible appeals (keyset pages)")
def appeal_list(request, queue: Text = "all", status: Text = "", category: Id | None = None,
                compound: Id | None = None, handler: Id | None = None, q: Text = "", cursor: Text = "", limit: int = 50,
                due: Text = Query("", description="overdue: past the deadline; today: due before tonight")):
    if queue not in ("dispatch", "handle", "verify", "mine", "all"):
        return HttpStatus(400, {"detail": _("队列无效"), "field": "queue"})
    if due not in ("", "overdue", "today"):
        return HttpStatus(400, {"detail": _("时限筛选应为 overdue 或 today"), "field": "due"})
    try:
        qs, branches = selectors.queue_listing(request.auth, queue, status=status, category=category,
                                               compound=compound, q=q, due=due, handler=handler)
        rows, next_cursor = selectors.queue_page(queue, qs, branches, status=status, cursor=cursor, limit=limit)
    except ValidationError as e:
        return _error(e)
    count, capped = count_capped(qs, COUNT_CAP, branches=branches)
    return {"count": count, "count_capped": capped, "next_cursor": next_cursor,
            "items": [_out(v) for v in presenter.views_of(request.auth, rows)]}


class BulkDispatchIn(Schema):
    appeals: list[int]


class RefusedOut(Schema):
    id: int
    detail: str


class BulkDispatchOut(Schema):
    dispatched: list[str]
    refused: list[RefusedOut]


@router.post("/appeals/dispatch-suggested", response={200: BulkDispatchOut, 400: ErrorOut},
             summary="Dispatch several appeals to the handlers their routing suggested (each on its own)",
             description="At most 50 at once. Each appeal is dispatched on its own, whole or not: one that was taken "
                         "meanwhile, is not the caller's to dispatch or has no suggested handler is listed in "
                         "`refused` with why, and the others are dispatched.")
def appeal_dispatch_suggested(request, payload: BulkDispatchIn):
    done, refused = services.dispatch_suggested(user=request.auth, pks=payload.appeals)
    return {"dispatched": [a.number for a in done], "refused": [{"id": pk, "detail": str(why)} for pk, why in refused]}


SUBMIT_ANSWERS = {201: AppealDetailOut, **ERRORS, 422: ErrorOut}


@router.post("/appeals", response=SUBMIT_ANSWERS, summary="Submit an appeal",
             description="With an `Idempotency-Key` header a retried submission files the appeal once.")
def appeal_create(request, payload: AppealIn,
                  idempotency_key: str | None = Header(None, alias=idempotency.HEADER, description=IDEMPOTENCY_KEY_DOC)):
    try:
        key = idempotency.parse_key(idempotency_key)
    except ValidationError as e:
        return _error(e)

    def submit():
        try:
            appeal = services.appeal_submit(
                user=request.auth, category=payload.category, description=payload.description, title=payload.title,
                channel=payload.channel, is_public=payload.is_public, compound=payload.compound_id,
                building=payload.building_id, household=payload.household_id, lat=payload.lat, lng=payload.lng,
                address=payload.address, contact_name=payload.contact_name, contact_phone=payload.contact_phone)
        except (ValidationError, AppealError) as e:
            return _error(e)
        if not services.may_view(request.auth, appeal):
            # Staff entering a confidential appeal for someone they may not follow (property staff reporting a
            # family in hardship): the receipt of what they sent, as its reporter would read it; then it is 404.
            return HttpStatus(201, _detail(request.auth, appeal))
        return HttpStatus(201, _detail(request.auth, services.get_for_action(request.auth, appeal.pk)))

    if key is None:
        return submit()
    return idempotent(request, operation="api.appeal_submit", key=key, content=payload.model_dump(),
                      responses=SUBMIT_ANSWERS, produce=submit)


def _get(user, ref):
    from .models import pk_from_number

    pk = pk_from_number(ref)
    if pk is None:
        raise Http404
    return services.get_for_action(user, pk)


@router.get("/appeals/{ref}", response={200: AppealDetailOut, 404: ErrorOut},
            summary="One appeal (by id or number) with its timeline and the actions open to you")
def appeal_detail(request, ref: Text):
    return _detail(request.auth, _get(request.auth, ref))


@router.post("/appeals/{ref}/actions/{action}", response={200: AppealDetailOut, **ERRORS},
             summary="Take a workflow action: accept, dispatch, take, resolve, verify, rate, …")
def appeal_action(request, ref: Text, action: Text, payload: ActionIn):
    appeal = _get(request.auth, ref)
    if action not in wf.TRANSITIONS:
        return HttpStatus(400, {"detail": _("未知操作：%s") % action, "field": "action"})
    try:
        appeal = services.appeal_act(user=request.auth, appeal=appeal, action=action, version=payload.version,
                                     note=payload.note, internal=payload.internal, handler=payload.handler,
                                     days=payload.days, rating=payload.rating, departments=payload.departments,
                                     duplicate_of=payload.duplicate_of, category=payload.category)
    except (ValidationError, AppealError) as e:
        return _error(e)
    return _detail(request.auth, services.get_for_action(request.auth, appeal.pk))


class ContactOut(Schema):
    contact_name: str
    contact_phone: str


@router.post("/appeals/{ref}/reveal-contact", response={200: ContactOut, **ERRORS},
             summary="The caller's full phone number, for the desk, handler or verifier of the appeal (audited)")
def appeal_reveal_contact(request, ref: Text):
    appeal = _get(request.auth, ref)
    try:
        phone = services.appeal_contact_reveal(user=request.auth, appeal=appeal)
    except (ValidationError, AppealError) as e:
        return _error(e)
    return {"contact_name": appeal.contact_name, "contact_phone": phone}


class RatesQuery(Schema):
    group_by: Text = "handler"
    start: Day | None = None
    end: Day | None = None


class RateOut(Schema):
    numerator: int
    denominator: int
    rate: float | None


class RatesRow(Schema):
    key: int | None
    name: str
    total: int
    overdue: int
    response_rate: RateOut
    resolution_rate: RateOut
    satisfaction_rate: RateOut


class RatesTotalsOut(Schema):
    total: int
    overdue: int
    response_rate: RateOut
    resolution_rate: RateOut
    satisfaction_rate: RateOut


class RatesOut(Schema):
    group_by: str
    start: date | None
    end: date | None
    definitions: dict[str, str]
    rows: list[RatesRow]
    totals: RatesTotalsOut  # over every row, as the rates page's total line


@router.get("/appeal-rates", response={200: RatesOut, 400: ErrorOut, 404: ErrorOut},
            summary="三率: response, resolution and satisfaction rates by handler, compound, community or category")
def appeal_rates(request, query: Query[RatesQuery]):
    if not can(request.auth, APPEAL_VIEW):
        raise Http404
    if query.group_by not in rates_mod.GROUPS:
        return HttpStatus(400, {"detail": _("分组方式无效"), "field": "group_by"})
    start = datetime.combine(query.start, time.min, tzinfo=LOCAL) if query.start else None
    end = datetime.combine(query.end, time.max, tzinfo=LOCAL) if query.end else None
    rows, totals = selectors.appeal_rates(request.auth, query.group_by, start, end)
    return {"group_by": query.group_by, "start": query.start, "end": query.end,
            "definitions": {k: str(v) for k, v in rates_mod.DEFINITIONS.items()}, "rows": rows, "totals": totals}


class RuleOut(Schema):
    id: int
    name: str
    category_id: int | None
    community_id: int | None
    compound_id: int | None
    handler_kind: str
    handler_level: str
    organisation_id: int | None
    priority: int
    is_active: bool
