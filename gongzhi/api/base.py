"""The JSON API's shared parts: bearer auth, error format, paginated lists."""
from typing import Annotated, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from ninja import Schema
from ninja.security import HttpBearer
from pydantic import AfterValidator, Field

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
    count = queryset.count()
    if offset >= count:  # also keeps absurd offsets away from the database
        return {"count": count, "items": []}
    return {"count": count, "items": list(queryset[offset:offset + limit])}


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


def _no_nul(value: str) -> str:
    # PostgreSQL can neither store nor compare NUL characters: refuse them as bad input, naming the field.
    if "\x00" in value:
        raise ValueError(gettext("不能包含空字符（NUL）"))
    return value


# Use for every free-text input and query parameter of the API (the pages' forms already refuse NUL).
Text = Annotated[str, AfterValidator(_no_nul)]

# Use for every id the API receives (path, query or body): out-of-range numbers are a 422, not a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
