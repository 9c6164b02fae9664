import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import Http404, HttpResponse
from ninja import Form, Router, Schema
from ninja.responses import Status

from gongzhi.api.base import ErrorOut, Id, Text
from gongzhi.api.throttles import LoginThrottle

from . import services
from .codes import TooMany, code_request
from .models import CodePurpose
from .views_recover import neutral_sent
from .selectors import live_tokens

router = Router()


class TokenIn(Schema):
    username: Text
    password: Text


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: str
    idle_minutes: int | None = None  # unused this long, it ends (None: no idle limit)
    username: str


def _issue(request, username, password):
    username, password = (username or "").strip(), password or ""
    if not username or not password:
        return Status(400, {"detail": "用户名和密码必填 / username and password are required",
                     "field": "username" if not username else "password"})
    user = authenticate(request, username=username, password=password)
    if user is None:
        return Status(401, {"detail": "用户名或密码错误，或账号已锁定 / invalid credentials or account locked"})
    if user.must_change_password:
        return Status(403, {"detail": "请先登录网页修改一次性密码 / choose your own password on the site first",
                            "field": "password"})
    token, raw = services.token_issue(user=user, request=request)
    return Status(200, {"token": raw, "expires_at": token.expires_at.isoformat(), "username": user.username,
                        "idle_minutes": settings.API_TOKEN_IDLE_MINUTES or None})


@router.post("/token", auth=None, throttle=LoginThrottle(), response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
             summary="Exchange username (or mobile) and password for a bearer token")
def token(request, payload: TokenIn):
    return _issue(request, payload.username, payload.password)


@router.post("/token/form", auth=None, throttle=LoginThrottle(), response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
             summary="The same, as an HTML form post", include_in_schema=False)
def token_form(request, username: Text = Form(""), password: Text = Form("")):
    return _issue(request, username, password)


class TokenInfoOut(Schema):
    id: int
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    expires_at: datetime.datetime
    idle_expires_at: datetime.datetime
    current: bool


@router.post("/logout", response={204: None},
             summary="Revoke the token this request presents (it is refused from then on)")
def logout(request):
    services.token_revoke(user=request.auth, token=request.api_token, request=request)
    return Status(204, None)


@router.get("/tokens", response=list[TokenInfoOut],
            summary="Your live tokens: when issued and last used, when they end (hard expiry, or unused until)")
def token_list(request):
    current = request.api_token.pk
    return [{"id": t.pk, "created_at": t.created_at, "last_used_at": t.last_used_at, "expires_at": t.expires_at,
             "idle_expires_at": t.idle_expires_at, "current": t.pk == current} for t in live_tokens(request.auth)]


@router.delete("/tokens/{pk}", response={204: None, 404: ErrorOut}, summary="Revoke one of your tokens")
def token_revoke(request, pk: Id):
    if not live_tokens(request.auth).filter(pk=pk).exists():  # not theirs, or ended already
        raise Http404
    services.token_revoke(user=request.auth, token=pk, request=request)
    return Status(204, None)


class MobileIn(Schema):
    mobile: Text


class RecoverIn(Schema):
    mobile: Text
    code: Text
    new_password: Text


class SentOut(Schema):
    detail: str


def too_many(exc, response):
    response["Retry-After"] = str(exc.retry_after)
    return Status(429, {"detail": exc.message})


@router.post("/recover", auth=None, throttle=LoginThrottle(), response={202: SentOut, 400: ErrorOut, 429: ErrorOut},
             summary="Ask for a password-recovery code for a mobile number (the same answer whether it has an account)")
def recover(request, response: HttpResponse, payload: MobileIn):
    try:
        code_request(purpose=CodePurpose.RECOVERY, mobile=payload.mobile, request=request)
    except TooMany as exc:
        return too_many(exc, response)
    return Status(202, {"detail": neutral_sent()})


@router.post("/recover/confirm", auth=None, throttle=LoginThrottle(), response={204: None, 400: ErrorOut},
             summary="Set a new password with the code; every session and token of the account ends")
def recover_confirm(request, payload: RecoverIn):
    services.password_recover(mobile=payload.mobile, code=payload.code, new_password=payload.new_password,
                              request=request)
    return Status(204, None)
