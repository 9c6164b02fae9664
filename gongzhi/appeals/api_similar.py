"""Duplicate suggestion, "me too" and photos over JSON, mounted at /api/v1/appeals.

Registered before the router with /appeals/{ref}, so /appeals/similar is not
taken for an appeal number.
"""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as HttpStatus

from gongzhi.accounts.policy import can
from .capability import APPEAL_CREATE
from gongzhi.api.base import ErrorOut, Id, Text, validation_payload

from . import photos as photos_mod
from . import presenter, services
from .errors import AppealError
from .models import AppealPhoto, PhotoKind, pk_from_number
from .similar import similar_appeals

router = Router()


def _error(exc):
    if isinstance(exc, ValidationError):
        return HttpStatus(400, validation_payload(exc))
    return HttpStatus(exc.status, {"detail": exc.message, "field": exc.field})


def _pk(ref):
    pk = pk_from_number(ref)
    if pk is None:
        raise Http404
    return pk


class SimilarOut(Schema):
    id: int
    number: str
    title: str
    status: str
    status_display: str
    category_name: str
    compound_name: str
    distance_m: int | None
    similarity: float
    me_too_count: int
    created_at: datetime


class SimilarPage(Schema):
    count: int
    items: list[SimilarOut]


@router.get("/similar", response={200: SimilarPage, 400: ErrorOut, 404: ErrorOut},
            summary="Open appeals like the text, in the same compound or near the point")
def similar(request, text: Text = "", compound: Text | None = None, lat: Text | None = None, lng: Text | None = None,
            category: Text | None = None, exclude: Text | None = None, limit: int = 5):
    """Suggestions while an appeal is typed: for those who may submit one, as the page offers them. Only
    appeals the caller may see, or public ones; no reporter identity, identifiers masked as the caller may
    read them (presenter)."""
    if not can(request.auth, APPEAL_CREATE):
        raise Http404
    try:
        found = similar_appeals(text=text, compound=compound, lat=lat, lng=lng, category=category,
                                exclude_id=pk_from_number(exclude) if exclude else None, limit=limit,
                                user=request.auth)
    except ValidationError as e:
        return _error(e)
    items = [{"id": v.appeal.pk, "number": v.appeal.number, "title": v.title, "status": v.appeal.status,
              "status_display": v.appeal.get_status_display(), "category_name": v.appeal.category.name,
              "compound_name": v.appeal.compound.name, "distance_m": v.appeal.distance_m,
              "similarity": v.appeal.similarity, "me_too_count": v.appeal.me_too_count,
              "created_at": v.appeal.created_at} for v in presenter.views_of(request.auth, found)]
    return {"count": len(items), "items": items}


class MeTooOut(Schema):
    id: int
    number: str
    me_too_count: int


@router.post("/{ref}/me-too", response={200: MeTooOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Add my voice to an open appeal (附议) instead of filing a new one")
def me_too(request, ref: Text):
    try:
        appeal = services.appeal_me_too(user=request.auth, appeal=_pk(ref))
    except AppealError as e:
        return _error(e)
    return {"id": appeal.pk, "number": appeal.number, "me_too_count": appeal.me_too_count}


class PhotoOut(Schema):
    id: int
    kind: str
    width: int
    height: int
    url: str
    thumbnail_url: str
    uploaded_at: datetime


def _photo_out(p):
    return {"id": p.pk, "kind": p.kind, "width": p.width, "height": p.height,
            "url": photos_mod.photo_url(p, "full"), "thumbnail_url": photos_mod.photo_url(p, "thumb"),
            "uploaded_at": p.uploaded_at}


@router.get("/{ref}/photos", response={200: list[PhotoOut], 404: ErrorOut}, summary="An appeal's photos")
def photo_list(request, ref: Text):
    appeal = services.get_for_action(request.auth, _pk(ref))
    return [_photo_out(p) for p in AppealPhoto.objects.filter(appeal=appeal)]


@router.post("/{ref}/photos", response={201: PhotoOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Upload a photo (multipart field `photo`); stored re-encoded, without location metadata")
def photo_upload(request, ref: Text, photo: File[UploadedFile], kind: Form[str] = PhotoKind.REPORT,
                 event: Form[Id | None] = None):
    try:
        item = photos_mod.photo_add(user=request.auth, appeal=_pk(ref), file=photo, kind=kind, event=event)
    except (ValidationError, AppealError) as e:
        return _error(e)
    return HttpStatus(201, _photo_out(item))
