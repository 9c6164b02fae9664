"""The JSON API's shared parts: bearer auth, error format, paginated lists."""
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Schema
from ninja.security import HttpBearer

from gongzhi.accounts.models import ApiToken

T = TypeVar("T")


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.user_for(token)
        if user is not None:
            request.user = user
        return user


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: dict | None = None


class Page(Schema, Generic[T]):
    count: int
    items: list[T]


def paginate(queryset, limit: int, offset: int):
    """Offset paging with an explicit total; limit is capped so one call stays cheap."""
    limit = max(1, min(int(limit or 50), 200))
    offset = max(0, int(offset or 0))
    return {"count": queryset.count(), "items": list(queryset[offset:offset + limit])}


def validation_payload(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = {f: [str(m) for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
        field = next(iter(errors), None)
        return {"detail": "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), "field": field, "errors": errors}
    return {"detail": " ".join(exc.messages), "field": None, "errors": None}


def install_error_handlers(api):
    @api.exception_handler(DjangoValidationError)
    def _invalid(request, exc):
        return api.create_response(request, validation_payload(exc), status=400)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"detail": "未找到 / not found"}, status=404)
