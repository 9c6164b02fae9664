"""Community notices over JSON: the lists, one notice, and the editor's writes.

Errors: 400 naming the field (validation), 404 for anything out of the caller's reach, 409 when someone else
saved the notice since the caller read it (send the `version` you read).
"""
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus

from gongzhi.accounts.policy import can
from gongzhi.api.base import ErrorOut, Text, paginate

from . import reach as reach_mod
from . import selectors, services
from .capability import NOTICE_EDIT
from .models import Kind

router = Router()
ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ReachOut(Schema):
    key: str
    level: str
    name: str


class NoticeOut(Schema):
    id: int
    title: str
    kind: str
    kind_display: str
    status: str
    pinned: bool
    published_at: datetime | None
    expires_at: datetime | None
    expired: bool
    publisher: str | None
    reach: list[ReachOut]
    version: int


class NoticeDetailOut(NoticeOut):
    body: str
    may_edit: bool
    may_publish: bool


class NoticePage(Schema):
    count: int
    items: list[NoticeOut]


class NoticeIn(Schema):
    title: Text
    body: Text
    kind: Text = Kind.NOTICE
    reach: list[Text]
    expires_at: datetime | None = None


class NoticeUpdateIn(NoticeIn):
    version: int


class VersionIn(Schema):
    version: int


class WithdrawIn(VersionIn):
    note: Text = ""


class PinIn(VersionIn):
    pinned: bool


def _out(n):
    return {"id": n.pk, "title": n.title, "kind": n.kind, "kind_display": n.get_kind_display(),
            "status": n.status, "pinned": n.pinned, "published_at": n.published_at, "expires_at": n.expires_at,
            "expired": n.is_expired(), "publisher": n.publisher.name if n.publisher_id else None,
            "reach": [{"key": reach_mod.key_of(r.node), "level": r.node.level, "name": r.node.name}
                      for r in n.reach.all() if r.node is not None],
            "version": n.version}


def _detail(user, n):
    return {**_out(n), "body": n.body, "may_edit": selectors.may_edit(user, n),
            "may_publish": selectors.may_publish(user, n)}


def _one(user, pk):
    n = selectors.get(user, pk)
    if n is None:
        raise Http404
    return n


def _conflict(exc):
    return HttpStatus(409, {"detail": exc.message, "field": "version"})


@router.get("/notices", response={200: NoticePage, 400: ErrorOut},
            summary="Notices the caller may read: current (default), expired; editors also drafts, withdrawn")
def notice_list(request, tab: Text = "current", limit: int = 50, offset: int = 0):
    user = request.auth
    if tab not in selectors.tabs_for(user):
        return HttpStatus(400, {"detail": _("列表无效，应为：%(tabs)s") % {"tabs": "、".join(selectors.tabs_for(user))},
                                "field": "tab"})
    page = paginate(selectors.with_reach(selectors.listing(user, tab)), limit, offset)
    return {"count": page["count"], "items": [_out(n) for n in page["items"]]}


@router.get("/notices/{int:notice_id}", response={200: NoticeDetailOut, 404: ErrorOut}, summary="One notice")
def notice_detail(request, notice_id: int):
    return _detail(request.auth, _one(request.auth, notice_id))


@router.post("/notices", response={201: NoticeDetailOut, **ERRORS}, summary="Draft a notice (editors)")
def notice_create(request, payload: NoticeIn):
    user = request.auth
    if not can(user, NOTICE_EDIT):
        raise Http404
    n = services.notice_create(user=user, title=payload.title, body=payload.body, kind=payload.kind,
                               reach=payload.reach, expires_at=payload.expires_at)
    return HttpStatus(201, _detail(user, _one(user, n.pk)))


@router.patch("/notices/{int:notice_id}", response={200: NoticeDetailOut, **ERRORS},
              summary="Change a notice's text, kind, places or expiry (send the version you read)")
def notice_update(request, notice_id: int, payload: NoticeUpdateIn):
    user = request.auth
    _one(user, notice_id)
    try:
        services.notice_update(user=user, notice_id=notice_id, version=payload.version, title=payload.title,
                               body=payload.body, kind=payload.kind, reach=payload.reach,
                               expires_at=payload.expires_at)
    except services.Conflict as e:
        return _conflict(e)
    return _detail(user, _one(user, notice_id))


@router.post("/notices/{int:notice_id}/publish", response={200: NoticeDetailOut, **ERRORS},
             summary="Publish: its readers see it and are told")
def notice_publish(request, notice_id: int, payload: VersionIn):
    user = request.auth
    _one(user, notice_id)
    try:
        services.notice_publish(user=user, notice_id=notice_id, version=payload.version)
    except services.Conflict as e:
        return _conflict(e)
    return _detail(user, _one(user, notice_id))


@router.post("/notices/{int:notice_id}/withdraw", response={200: NoticeDetailOut, **ERRORS},
             summary="Withdraw a published notice: readers no longer see it")
def notice_withdraw(request, notice_id: int, payload: WithdrawIn):
    user = request.auth
    _one(user, notice_id)
    try:
        services.notice_withdraw(user=user, notice_id=notice_id, version=payload.version, note=payload.note)
    except services.Conflict as e:
        return _conflict(e)
    return _detail(user, _one(user, notice_id))


@router.post("/notices/{int:notice_id}/pin", response={200: NoticeDetailOut, **ERRORS},
             summary="Pin a notice to the top of the lists, or unpin it")
def notice_pin(request, notice_id: int, payload: PinIn):
    user = request.auth
    _one(user, notice_id)
    try:
        services.notice_pin(user=user, notice_id=notice_id, version=payload.version, pinned=payload.pinned)
    except services.Conflict as e:
        return _conflict(e)
    return _detail(user, _one(user, notice_id))



