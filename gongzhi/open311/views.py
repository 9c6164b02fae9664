"""Open311 GeoReport v2 at /open311/v2/, and the page where admins issue and revoke API keys.

The views only parse input, call a selector or service and render; errors are answered in the
spec's format (400 bad input, 403 missing or wrong api_key, 404 unknown id or code, 500 anything
unexpected, logged as Django logs it).
Strict in what we send, lenient in what we accept: `.xml` / `.json` / no suffix (XML), trailing
slashes, `jurisdiction_id` on any call, `deviceid` for `device_id`, JSON bodies.
"""
import datetime
import functools
import hashlib
import json
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from gongzhi.accounts.policy import can
from gongzhi.appeals.capability import CATEGORY_MANAGE
from gongzhi.appeals.errors import AppealError
from gongzhi.core import errors, idempotency
from gongzhi.appeals.models import pk_from_number
from gongzhi.core.text import InputTextError, check_pairs, checks_own_text, json_text

from . import documents, render as out, selectors, services
from .models import ApiClient

# Our field names in appeals → the names an Open311 client sent.
_FIELD_NAMES = {"lng": "long", "contact_phone": "phone", "contact_name": "first_name/last_name",
                "address": "address_string", "category": "service_code", "photo": "media"}
# Our extension for clients that cannot set the Idempotency-Key header: the same key as a parameter.
IDEMPOTENCY_PARAM = "idempotency_key"


class Refused(Exception):
    def __init__(self, status, description):
        super().__init__(description)
        self.status, self.description = status, str(description)


def _params(request):
    """Query string and body in one dict of strings (the body wins); attribute[code] in "attributes"."""
    data = {}
    sources = [request.GET]
    if request.method == "POST":
        if (request.content_type or "").startswith("application/json"):
            try:
                body = json.loads(json_text(request.body or b"{}"))
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" nested deep
                raise Refused(400, _("请求体不是有效的 JSON"))
            if not isinstance(body, dict):
                raise Refused(400, _("请求体应为 JSON 对象"))
            sources.append({k: ("" if v is None else v) for k, v in body.items()})
        else:
            sources.append(request.POST)
    attributes = {}
    for source in sources:
        for key in source:
            value = source.get(key)
            if isinstance(value, (dict, list)):
                if key == "attribute" and isinstance(value, dict):
                    attributes.update({str(k): str(v) for k, v in value.items()})
                continue
            m = re.fullmatch(r"attribute\[([^\]]+)\](\[\])?", key)
            if m:
                attributes[m.group(1)] = str(value)
            else:
                data[key] = str(value)
    # Every name and value, from whichever source (gongzhi.core.text): NUL, lone surrogates (JSON escapes or
    # CESU-8 bytes, which json.loads lets through) and undecodable bytes (which Django turns into U+FFFD).
    check_pairs([*data.items(), *((f"attribute[{k}]", v) for k, v in attributes.items())])
    data["attributes"] = attributes
    return data


def _check_jurisdiction(data):
    given = (data.get("jurisdiction_id") or "").strip()
    ours = settings.OPEN311_JURISDICTION
    if given and given.lower() != ours.lower():
        raise Refused(400, _("未知的 jurisdiction_id：%(given)s（本接口只服务 %(ours)s）") % {"given": given, "ours": ours})


def _validation_descriptions(error):
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    lines = []
    for field, messages_ in error.message_dict.items():
        name = _FIELD_NAMES.get(field, field)
        lines += [m if field == "__all__" else f"{name}: {m}" for m in messages_]
    return lines


def open311(*methods):
    """An Open311 call: format from the suffix, allowed methods, jurisdiction, errors in the spec's format."""
    def decorate(view):
        @checks_own_text  # _params checks every field, answering in the spec's error format
        @csrf_exempt
        @never_cache
        @functools.wraps(view)
        def wrapper(request, *args, fmt=None, **kwargs):
            fmt = fmt or "xml"
            allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
            if request.method not in allowed:
                response = out.errors(fmt, 405, _("不支持的请求方法：%(m)s") % {"m": request.method})
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                check_pairs((name, value or "") for name, value in kwargs.items())  # the code, id or token
                data = _params(request)
                _check_jurisdiction(data)
                response = view(request, data, fmt, *args, **kwargs)
            except Refused as e:
                return out.errors(fmt, e.status, e.description)
            except InputTextError as e:
                return out.errors(fmt, 400, str(e))
            except ValidationError as e:
                return out.errors(fmt, 400, *_validation_descriptions(e))
            except AppealError as e:
                return out.errors(fmt, 403 if e.status == 403 else 400, e.message)
            except (SuspiciousOperation, BadRequest, MultiPartParserError):  # e.g. a body over the upload limits
                return out.errors(fmt, 400, _("请求无效或过大"))
            except Http404:
                return out.errors(fmt, 404, _("未找到"))
            except Exception as e:  # noqa: BLE001 - a bug or the database away: a 500 the client can read
                response = out.errors(fmt, 500, errors.internal_error_text())
                errors.report(request, e, response)
                return response
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            return response
        return wrapper
    return decorate


# --- the six calls -------------------------------------------------------------------------------

@open311("GET")
def discovery(request, data, fmt):
    return out.respond(fmt, "discovery", documents.discovery(request.build_absolute_uri(reverse("open311:root"))))


@open311("GET")
def services_list(request, data, fmt):
    return out.respond(fmt, "services", [documents.service(c) for c in selectors.services()])


@open311("GET")
def service_definition(request, data, fmt, code):
    category = selectors.service(code)
    if category is None:
        raise Refused(404, _("未知的服务类型：%(code)s") % {"code": code})
    return out.respond(fmt, "service_definition", documents.service_definition(category))


@open311("GET", "POST")
def requests(request, data, fmt):
    if request.method == "POST":
        return _create(request, data, fmt)
    return _list(request, data, fmt)


@open311("GET")
def request_detail(request, data, fmt, rid):
    appeal = selectors.by_request_id(rid)
    if appeal is None:
        raise Refused(404, _("未找到编号为 %(id)s 的公开诉求") % {"id": rid})
    return out.respond(fmt, "service_requests", _documents(request, [appeal]))


@open311("GET")
def token(request, data, fmt, token):
    sr = selectors.by_token(token)
    if sr is None:
        raise Refused(404, _("未知的 token：%(token)s") % {"token": token})
    return out.respond(fmt, "service_requests", [documents.token(sr)])


@csrf_exempt
def not_found(request, path=""):
    fmt = "json" if path.rstrip("/").endswith(".json") else "xml"
    return out.errors(fmt, 404, _("没有这个接口：%(path)s") % {"path": request.path})


# --- GET requests ---------------------------------------------------------------------------------

_LOOSE_OFFSET = re.compile(r"^(.*\d) (\d\d:?\d\d)$")  # "…T10:00:00 08:00": a "+" the client did not encode


def _moment(data, name, end_of_day=False):
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    raw = _LOOSE_OFFSET.sub(r"\1+\2", raw)
    moment = day = None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = parse_date(raw)
        else:
            moment = parse_datetime(raw)
    except ValueError:
        pass
    if moment is None and day is not None:
        moment = datetime.datetime.combine(day, datetime.time.max if end_of_day else datetime.time.min)
    if moment is None:
        raise Refused(400, _("%(name)s 不是有效的 ISO 8601 时间：%(value)s") % {"name": name, "value": raw})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, out.LOCAL)
    return _representable(moment)


# The widest moments the database can compare in UTC: 0001-01-01 in Shanghai or 9999-12-31 a day later do
# not exist in UTC. A client asking from the beginning of time or up to its end gets these bounds.
_EARLIEST = datetime.datetime(1, 1, 2, tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime(9999, 12, 30, tzinfo=datetime.timezone.utc)


def _representable(moment):
    try:
        in_utc = moment.astimezone(datetime.timezone.utc)
    except OverflowError:
        return _EARLIEST if moment.year < 5000 else _LATEST
    if in_utc < _EARLIEST:
        return _EARLIEST
    return _LATEST if in_utc > _LATEST else moment


def _int(data, name, default, lo, hi=None):
    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Refused(400, _("%(name)s 应为整数") % {"name": name})
    if value < lo:
        raise Refused(400, _("%(name)s 不能小于 %(n)d") % {"name": name, "n": lo})
    return min(value, hi) if hi else value


def _list_of(data, name):
    return [v.strip() for v in (data.get(name) or "").split(",") if v.strip()]


def _list(request, data, fmt):
    wanted = _list_of(data, "service_request_id")
    ids = None
    if wanted:
        ids = {pk_from_number(v) for v in wanted} - {None}
    statuses = {s.lower() for s in _list_of(data, "status")}
    if statuses - {"open", "closed"}:
        raise Refused(400, _("status 只能是 open 或 closed"))
    appeals = selectors.search(
        ids=ids, codes=_list_of(data, "service_code"), statuses=statuses,
        start=_moment(data, "start_date"), end=_moment(data, "end_date", end_of_day=True),
        updated_after=_moment(data, "updated_after"), updated_before=_moment(data, "updated_before", end_of_day=True),
        page=_int(data, "page", 1, 1, selectors.PAGE_MAX), page_size=_int(data, "page_size", selectors.PAGE_SIZE_MAX, 1, selectors.PAGE_SIZE_MAX),
        now=timezone.now())
    if wanted:  # a full number must match, not only its id part
        full = {v for v in wanted if "-" in v}
        bare = {pk_from_number(v) for v in wanted if "-" not in v}
        appeals = [a for a in appeals if a.number in full or a.pk in bare]
    return out.respond(fmt, "service_requests", _documents(request, appeals))


def _photo_url(request, photo):
    """Photos are served by the appeals app (to anyone, for a public appeal), never from a media URL."""
    if photo is None:
        return None
    from gongzhi.appeals.photos import photo_url

    try:
        return request.build_absolute_uri(photo_url(photo))
    except NoReverseMatch:
        return None


def _documents(request, appeals):
    extra = selectors.extras(appeals)
    return [documents.service_request(a, extra[a.pk], _photo_url(request, extra[a.pk]["photo"])) for a in appeals]


# --- POST requests ------------------------------------------------------------------------------

def _create(request, data, fmt):
    key = services.key_authenticate(data.get("api_key"))
    if key is None:
        raise Refused(403, _("api_key 缺失或无效") if data.get("api_key") else _("提交诉求需要 api_key"))
    once_key = _idempotency_key(request, data)

    def create():
        sr = services.request_create(
            key=key, service_code=data.get("service_code"), description=data.get("description"),
            lat=data.get("lat"), long=data.get("long") or data.get("lon") or data.get("lng"),
            address_string=data.get("address_string") or data.get("address") or "",
            address_id=data.get("address_id") or "", attributes=data["attributes"], email=data.get("email"),
            device_id=data.get("device_id") or data.get("deviceid"), account_id=data.get("account_id"),
            first_name=data.get("first_name"), last_name=data.get("last_name"), phone=data.get("phone"),
            media_url=data.get("media_url"), media=request.FILES.get("media"))
        return [documents.created(sr)]

    if once_key is None:
        return out.respond(fmt, "service_requests", create())
    # The document is kept, not its rendering: a request again gets it in the format it asks for.
    try:
        answer = idempotency.once(
            operation="open311.requests", owner=f"open311-client:{key.client_id}", key=once_key,
            content=_content(request, data), produce=lambda: idempotency.Answer(200, json.dumps(create())))
    except idempotency.InFlight:
        raise Refused(409, _("使用同一幂等键的请求正在处理中，请稍后重试"))
    except idempotency.Mismatch:
        raise Refused(422, _("该幂等键已用于内容不同的请求"))
    response = out.respond(fmt, "service_requests", json.loads(answer.body))
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _idempotency_key(request, data):
    """The Idempotency-Key header, or our `idempotency_key` parameter for clients that cannot set headers."""
    header = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    param = idempotency.parse_key(data.get(IDEMPOTENCY_PARAM), field=IDEMPOTENCY_PARAM)
    if header and param and header != param:
        raise Refused(400, _("Idempotency-Key 请求头与 idempotency_key 参数不一致"))
    return header or param


def _content(request, data):
    """What makes two requests the same request: every parameter but the key and the api_key, and the photo."""
    content = {k: v for k, v in data.items() if k not in ("api_key", IDEMPOTENCY_PARAM)}
    media = request.FILES.get("media")
    if media is not None:
        digest = hashlib.sha256()
        for chunk in media.chunks():
            digest.update(chunk)
        media.seek(0)
        content["media"] = [media.name, media.size, digest.hexdigest()]
    return content


# --- the keys page (CATEGORY_MANAGE) ----------------------------------------------------------

@login_required
@never_cache
def keys(request):
    if not can(request.user, CATEGORY_MANAGE):
        raise Http404
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                client = services.client_create(user=request.user, name=request.POST.get("name"),
                                                contact=request.POST.get("contact"), note=request.POST.get("note"))
                key, raw = services.key_issue(user=request.user, client=client)
                new_key = {"client": client, "raw": raw, "key": key}
            elif action == "issue":
                key, raw = services.key_issue(user=request.user, client=_pk(request.POST.get("client")))
                new_key = {"client": key.client, "raw": raw, "key": key}
            elif action == "revoke":
                key = services.key_revoke(user=request.user, key=_pk(request.POST.get("key")))
                messages.success(request, _("已吊销密钥 %(prefix)s…") % {"prefix": key.prefix})
                return redirect("open311:keys")
            else:
                messages.error(request, _("未知操作"))
                return redirect("open311:keys")
        except ValidationError as e:
            for line in _validation_descriptions(e):
                messages.error(request, line.split(": ", 1)[-1])
            return redirect("open311:keys")
    clients = ApiClient.objects.prefetch_related("keys").order_by("name")
    return render(request, "open311/keys.html", {  # never_cache: the page may hold a new key
        "clients": clients, "new_key": new_key,
        "endpoint": request.build_absolute_uri(reverse("open311:root")),
        "jurisdiction": settings.OPEN311_JURISDICTION,
    })


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0

