from django.conf import settings
from django.contrib.auth import authenticate
from ninja import Form, Router, Schema
from ninja.responses import Status

from gongzhi.api.base import ErrorOut, Text
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .models import ApiToken

router = Router()


class TokenIn(Schema):
    username: Text
    password: Text


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: str
    username: str


def _issue(request, username, password):
    username, password = (username or "").strip(), password or ""
    if not username or not password:
        return Status(400, {"detail": "用户名和密码必填 / username and password are required",
                     "field": "username" if not username else "password"})
    user = authenticate(request, username=username, password=password)
    if user is None:
        return Status(401, {"detail": "用户名或密码错误，或账号已锁定 / invalid credentials or account locked"})
    token, raw = ApiToken.issue(user, settings.API_TOKEN_HOURS)
    audit(AuditAction.LOGIN, user=user, request=request, obj=user, detail="api token")
    return Status(200, {"token": raw, "expires_at": token.expires_at.isoformat(), "username": user.username})


@router.post("/token", auth=None, response={200: TokenOut, 400: ErrorOut, 401: ErrorOut},
             summary="Exchange username (or mobile) and password for a bearer token")
def token(request, payload: TokenIn):
    return _issue(request, payload.username, payload.password)


@router.post("/token/form", auth=None, response={200: TokenOut, 400: ErrorOut, 401: ErrorOut},
             summary="The same, as an HTML form post", include_in_schema=False)
def token_form(request, username: Text = Form(""), password: Text = Form("")):
    return _issue(request, username, password)
