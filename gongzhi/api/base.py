"""The JSON API's shared parts: bearer auth, error format, paginated lists, input types."""
import datetime
import json
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import AfterValidator, Field, WithJsonSchema

from gongzhi.accounts.models import ApiToken
from gongzhi.core import errors, idempotency
from gongzhi.core.text import InputTextError, check_json, check_querydict, checks_own_text, json_text

T = TypeVar("T")


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        api_token = ApiToken.authenticate(token)
        if api_token is None:
            return None
        request.user, request.api_token = api_token.user, api_token  # logout revokes the token presented
        return api_token.user


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


def _field_of(loc):
    """The field a pydantic error location names: ("body", "payload", "tags", 2) -> "tags", ("query", "year") -> "year"."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    if names and names[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        names = names[1:]
    if names and names[0] == "payload" and len(names) > 1:
        names = names[1:]
    return ".".join(names) or (str(loc[0]) if loc else "body")


def _message_of(error):
    # A validator's own (translated) message rather than pydantic's "Value error, …" wrapping of it.
    if error.get("type") == "value_error" and (error.get("ctx") or {}).get("error") is not None:
        return str(error["ctx"]["error"])
    return str(error.get("msg", ""))


def input_error_payload(exc: NinjaValidationError):
    """Ninja's 422 for input that does not fit the schema, in the same shape as every other error."""
    errors = {}
    for error in exc.errors:
        errors.setdefault(_field_of(error.get("loc") or ()), []).append(_message_of(error))
    field = next(iter(errors), None)
    return {"detail": "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), "field": field, "errors": errors}


def text_error_payload(exc: InputTextError):
    return {"detail": str(exc), "field": exc.field, "errors": {exc.field: [exc.message]}}


def _text_error_status(exc: InputTextError):
    # Malformed text is a request that cannot be read (400); NUL is readable text the schema refuses (422, as
    # `Text` has always answered and documents).
    return 400 if exc.malformed else 422


def install_error_handlers(api):
    @api.exception_handler(InputTextError)
    def _bad_text(request, exc):
        return api.create_response(request, text_error_payload(exc), status=_text_error_status(exc))

    @api.exception_handler(DjangoValidationError)
    def _invalid(request, exc):
        return api.create_response(request, validation_payload(exc), status=400)

    @api.exception_handler(NinjaValidationError)
    def _unfit(request, exc):
        return api.create_response(request, input_error_payload(exc), status=422)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"detail": errors.NOT_FOUND_TEXT}, status=404)

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(request, {"detail": str(exc) or gettext("无权访问")}, status=403)

    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(BadRequest)
    def _bad_request(request, exc):  # e.g. a body over the upload limits: Django's 400, in our format
        return api.create_response(request, {"detail": gettext("请求无效或过大")}, status=400)

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        """Anything else: logged and signalled as Django does, answered 500 as ErrorOut."""
        response = api.create_response(request, {"detail": errors.internal_error_text(), "field": None,
                                                 "errors": None}, status=500)
        errors.report(request, exc, response)
        return response

    @api.exception_handler(Throttled)
    def _throttled(request, exc):  # ninja adds Retry-After
        return api.create_response(request, {"detail": gettext("请求过于频繁，请稍后再试")}, status=429)

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        if isinstance(exc.__cause__, InputTextError):  # raised by GongzhiParser.parse_body, wrapped by ninja
            return _bad_text(request, exc.__cause__)
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # Not JSON, or JSON that is not an object: name the body as the field at fault.
            return api.create_response(request, {"detail": gettext("请求内容应为一个 JSON 对象"), "field": "body"},
                                       status=400)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


class GongzhiParser(Parser):
    """Every input the API reads passes here: the text check (gongzhi.core.text) of every query parameter,
    form field, file name and JSON key and string value, whatever type the schema declares; and JSON
    bodies must be objects (ninja reads the fields of a body schema out of a dict and would take any other
    JSON value — 5, [], "x" — as an empty object: a PATCH of nothing, answered 200)."""

    def parse_body(self, request):
        data = json.loads(json_text(request.body))
        if not isinstance(data, dict):
            raise ValueError("the request body is not a JSON object")
        check_json(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        check_querydict(data)
        return super().parse_querydict(data, list_fields, request)


# The API's renderer, also used to render an answer kept under an idempotency key exactly as it is sent.
RENDERER = JSONRenderer()


class GongzhiAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also lists the answers every operation can give:
    401 without a valid token, 400 for a body that is not a JSON object or for text that is not valid
    UTF-8, 422 for input that does not fit the schema, 429 over a rate limit (writes) and 500 for an
    unexpected error, all as ErrorOut.
    Input is read by GongzhiParser, so InputTextMiddleware leaves the API's views to it (their headers aside)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parser", GongzhiParser())
        kwargs.setdefault("renderer", RENDERER)
        super().__init__(*args, **kwargs)

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            checks_own_text(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                documented = {str(code) for code in responses}
                if operation.get("security") and "401" not in documented:
                    responses[401] = {"description": "Unauthorized", **error}
                if (operation.get("parameters") or operation.get("requestBody")) and "400" not in documented:
                    responses[400] = {"description": "Bad Request", **error}
                if (operation.get("parameters") or operation.get("requestBody")) and "422" not in documented:
                    responses[422] = {"description": "Unprocessable Content", **error}
                if method in ("post", "put", "patch", "delete") and "429" not in documented:
                    # Every write is rate-limited (gongzhi.api.throttles); so is the token endpoint, a POST.
                    responses[429] = {"description": "Too Many Requests (see the Retry-After header)", **error}
                if "500" not in documented:
                    responses[500] = {"description": "Internal Server Error (logged; nothing half-written)", **error}
        return schema


def api_aware_400(request, exception):
    """Django's 400 (handler400), e.g. for text InputTextMiddleware refuses: JSON under /api/, else a page
    that says which field was refused and why."""
    if isinstance(exception, InputTextError):
        payload, message = text_error_payload(exception), str(exception)
    else:
        message = gettext("请求无效")
        payload = {"detail": message, "field": None, "errors": None}
    if request.path.startswith("/api/"):
        return JsonResponse(payload, status=400)
    return render(request, "400.html", {"message": message}, status=400)


IDEMPOTENCY_KEY_DOC = (
    "Optional. A key of the client's making, unique per appeal it means to submit (a UUID), in the form of "
    "the IETF httpapi draft 'The Idempotency-Key HTTP Header Field' (a quoted string; a bare value is taken "
    "too; 1-255 printable ASCII characters). The same key again from the same user with the same body gets "
    "the first answer (same status and body, header Idempotent-Replayed: true) and files nothing; with "
    "another body it is refused (422); while the first request is still being worked on, 409. Keys are "
    "kept IDEMPOTENCY_KEY_HOURS (24 h). An answer that was an error is not kept.")


def idempotent(request, *, operation, key, content, responses, produce):
    """Answer a POST that carried an Idempotency-Key (gongzhi.core.idempotency): produce() (returning
    Status(code, data), as a view does) runs once per key and user, its answer rendered under `responses`
    ({code: schema}) and kept in its transaction; a request again with the key gets that answer."""

    def answer():
        result = produce()
        data = responses[result.status_code].model_validate(result.value).model_dump()
        return idempotency.Answer(result.status_code,
                                  RENDERER.render(request, data, response_status=result.status_code))

    try:
        answered = idempotency.once(operation=operation, owner=f"user:{request.auth.pk}", key=key, content=content,
                                    produce=answer)
    except idempotency.InFlight:
        return Status(409, {"detail": gettext("使用同一幂等键的请求正在处理中，请稍后重试"),
                            "field": idempotency.HEADER})
    except idempotency.Mismatch:
        return Status(422, {"detail": gettext("该幂等键已用于内容不同的请求"), "field": idempotency.HEADER})
    response = HttpResponse(answered.body, status=answered.status,
                            content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")
    if answered.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _no_nul(value: str) -> str:
    # PostgreSQL can neither store nor compare NUL characters: refuse them as bad input, naming the field.
    if "\x00" in value:
        raise ValueError(gettext("不能包含空字符（NUL）"))
    return value


# Use for every free-text input, query and path parameter of the API. GongzhiParser refuses NUL in every query,
# form and body field whatever its type; Text refuses it in path parameters too, and says so in the schema, so
# clients (and fuzzers) know NUL is not valid input.
Text = Annotated[str, AfterValidator(_no_nul), WithJsonSchema({"type": "string", "pattern": "^[^\\u0000]*$"})]

# Use for every id the API receives (path, query or body): out-of-range numbers are a 422, not a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

# A day used as a filter bound: datetime's range less a day at each end, so that the day's first or last moment
# in Shanghai, and that moment in UTC, exist.
Day = Annotated[datetime.date, Field(ge=datetime.date(1, 1, 2), le=datetime.date(9999, 12, 30))]

# A decimal input (coordinates, areas): a JSON number or a string holding one. Pydantic's own schema would
# promise that any string is accepted; this one says which strings are.
DECIMAL_STRING = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
Dec = Annotated[Decimal, WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": DECIMAL_STRING}]},
                                        mode="validation")]
