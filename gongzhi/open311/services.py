"""Writes of the Open311 adapter: clients and their keys (issued by admins), and requests filed by clients.

Keys are shown once, when issued; only their SHA-256 digest and first characters are stored.
A client files appeals through `appeal_submit` on the OPEN311 channel, as its own service
account: a user that cannot log in and holds no role.
"""
import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import require
from gongzhi.appeals.capability import CATEGORY_MANAGE
from gongzhi.appeals.models import Channel, PhotoKind
from gongzhi.appeals.services import appeal_submit
from gongzhi.core import crypto
from gongzhi.core.audit import audit
from gongzhi.core.reference import cached
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Compound

from . import selectors
from .models import KEY_PREFIX_LEN, ApiClient, ApiKey, ServiceRequest, key_digest

DEMO_CLIENT_NAME = "演示客户端"
DEMO_KEY = "demo-open311-key"
ID_MAX = 100  # account_id, device_id
LAST_USED_EVERY = datetime.timedelta(minutes=5)  # how stale last_used_at may get (saves a write per request)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never stored (PostgreSQL refuses NUL; XML can't carry them)


def _clean(value):
    return _CONTROL.sub("", str(value or "")).strip()


# --- clients and keys (admins) -----------------------------------------------------------------

@transaction.atomic
def client_create(*, user, name, contact="", note=""):
    require(user, CATEGORY_MANAGE)
    name, contact, note = (name or "").strip(), (contact or "").strip(), (note or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写客户端名称")})
    if len(name) > 100 or len(contact) > 200 or len(note) > 500:
        raise ValidationError({"name": _("名称、联系方式或备注过长")})
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError({"name": _("已有同名的客户端")})
    client = ApiClient.objects.create(name=name, contact=contact, note=note, created_by=user)
    audit(AuditAction.CREATE, user=user, obj=client, changes={"name": [None, name]})
    return client


def _store_key(client, raw, user):
    return ApiKey.objects.create(client=client, prefix=raw[:KEY_PREFIX_LEN], digest=key_digest(raw),
                                 created_by=user if getattr(user, "is_authenticated", False) else None)


@transaction.atomic
def key_issue(*, user, client):
    """A new key for the client: (ApiKey, the raw key). The raw key is never stored; show it once."""
    require(user, CATEGORY_MANAGE)
    client = ApiClient.objects.select_for_update().filter(pk=getattr(client, "pk", client)).first()
    if client is None:
        raise ValidationError({"client": _("客户端不存在")})
    if not client.is_active:
        raise ValidationError({"client": _("客户端已停用，不能签发密钥")})
    raw = ApiKey.new_raw()
    key = _store_key(client, raw, user)
    audit(AuditAction.CREATE, user=user, obj=key, detail=_("签发 Open311 密钥 %(prefix)s…") % {"prefix": key.prefix})
    return key, raw


@transaction.atomic
def key_revoke(*, user, key):
    require(user, CATEGORY_MANAGE)
    key = ApiKey.objects.select_for_update().select_related("client").filter(pk=getattr(key, "pk", key)).first()
    if key is None:
        raise ValidationError({"key": _("密钥不存在")})
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit(AuditAction.UPDATE, user=user, obj=key, detail=_("吊销 Open311 密钥 %(prefix)s…") % {"prefix": key.prefix},
              changes={"revoked": [False, True]})
    return key


@transaction.atomic
def ensure_demo_key():
    """The demo's client and its published key `demo-open311-key` (called by the demo loader only)."""
    client, _created = ApiClient.objects.get_or_create(
        name=DEMO_CLIENT_NAME, defaults={"note": "演示数据：公开的测试密钥 demo-open311-key，勿用于生产"})
    if not ApiKey.objects.filter(digest=key_digest(DEMO_KEY)).exists():
        _store_key(client, DEMO_KEY, None)
    return client


@cached
def _usable_keys():
    """{digest: key} of the keys that work: not revoked, of an active client (with its service account)."""
    keys = {k.digest: k for k in ApiKey.objects.select_related("client__user")
            .filter(revoked_at__isnull=True, client__is_active=True)}
    for k in keys.values():
        if k.client.user_id:
            k.client.user.open311_client = k.client  # the channel check asks; answer it without a query
    return keys


_use_recorded = {}  # digest → when this process last wrote last_used_at


def key_authenticate(raw):
    """The valid key for a raw api_key, with its active client; None otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    key = _usable_keys().get(key_digest(raw))
    if key is None:
        return None
    now = timezone.now()
    last = _use_recorded.get(key.digest) or key.last_used_at
    if last is None or now - last > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # an update sends no signal: the cache stays
        _use_recorded[key.digest] = now
    return key


def _service_user(client):
    """The client's service account, made on first use: no password, inactive, no role."""
    if client.user_id:
        return client.user
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.user_id is None:
        user = User(username=f"open311-client-{client.pk}", display_name=client.name[:50], is_active=False)
        user.set_unusable_password()
        user.save()
        client.user = user
        client.save(update_fields=["user"])
    return client.user


# --- requests filed by clients -------------------------------------------------------------------

def _compound_by_code(code):
    compound = Compound.objects.filter(code=code).first()
    if compound is None:
        raise ValidationError({"address_id": _("未知的小区编码：%(code)s") % {"code": code}})
    return compound


def _compound_in_address(address):
    """The compound whose name the address mentions (the longest name wins: 宁江新城一期 over 宁江新城)."""
    names = sorted(Compound.objects.values_list("name", "pk"), key=lambda t: -len(t[0]))
    for name, pk in names:
        if name and name in address:
            return pk
    raise ValidationError({"address_string": _("无法从地址中识别小区，请提供经纬度（lat/long），或在地址中写明小区名称")})


def _contact_name(first, last):
    first, last = (first or "").strip(), (last or "").strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"  # Chinese names: surname first, no space
    return " ".join(p for p in (first, last) if p)


def _optional_id(value, field):
    value = (value or "").strip()
    if len(value) > ID_MAX:
        raise ValidationError({field: _("%(field)s 不能超过 %(n)d 个字符") % {"field": field, "n": ID_MAX}})
    return value


def request_create(*, key, service_code, description="", lat=None, long=None, address_string="", address_id="",
                   attributes=None, email="", device_id="", account_id="", first_name="", last_name="", phone="",
                   media_url="", media=None):
    """File an appeal for the key's client. Raises ValidationError (→ 400) for bad input."""
    attributes = {k: _clean(v) for k, v in (attributes or {}).items()}
    description, address_string, address_id = _clean(description), _clean(address_string), _clean(address_id)
    first_name, last_name, phone, email = _clean(first_name), _clean(last_name), _clean(phone), _clean(email)
    device_id, account_id, media_url = _clean(device_id), _clean(account_id), _clean(media_url)
    category = selectors.service(_clean(service_code))
    if category is None:
        raise ValidationError({"service_code": _("未知或不公开的服务类型：%(code)s") % {"code": service_code or ""}})
    description = (description or "").strip()
    if len(description) > selectors.DESCRIPTION_MAX:
        raise ValidationError({"description": _("描述不能超过 %(n)d 个字") % {"n": selectors.DESCRIPTION_MAX}})
    email, account_id, device_id = (email or "").strip(), _optional_id(account_id, "account_id"), _optional_id(device_id, "device_id")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise ValidationError({"email": _("电子邮箱格式不正确")})
    media_url = (media_url or "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
            if len(media_url) > 500:
                raise ValidationError("")
        except ValidationError:
            raise ValidationError({"media_url": _("media_url 应为 http(s) 链接，且不超过 500 个字符")})

    place = {}
    lat, long = (str(lat).strip() if lat is not None else ""), (str(long).strip() if long is not None else "")
    compound_code = (attributes.get("compound") or "").strip()
    if lat or long:
        if not (lat and long):
            raise ValidationError({"lat": _("lat 和 long 需同时提供")})
        place = {"lat": lat, "lng": long}
    elif compound_code or (address_id or "").strip():
        place = {"compound": _compound_by_code(compound_code or address_id.strip())}
    elif (address_string or "").strip():
        place = {"compound": _compound_in_address(address_string.strip())}
    else:
        raise ValidationError({"location": _("请提供位置：lat 和 long，或 address_string，或 address_id")})

    with transaction.atomic():
        user = _service_user(key.client)
        appeal = appeal_submit(user=user, category=category, description=description, channel=Channel.OPEN311,
                               is_public=True, address=(address_string or "").strip(),
                               contact_name=_contact_name(first_name, last_name), contact_phone=(phone or "").strip(),
                               **place)
        sr = ServiceRequest.objects.create(
            appeal=appeal, client=key.client, token=ServiceRequest.new_token(), account_id=account_id,
            device_id=device_id, email_enc=crypto.encrypt(email) if email else "", media_url=media_url)
        if media is not None:  # checked, stripped of metadata and re-encoded; a bad file undoes the whole request
            from gongzhi.appeals.photos import photo_add

            photo_add(user=user, appeal=appeal, file=media, kind=PhotoKind.REPORT)
    sr.appeal = appeal
    return sr
