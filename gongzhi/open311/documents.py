"""The GeoReport v2 documents (neutral trees for `render`) built from our records.

Only public fields are read: never the reporter, contact name or phone, e-mail, internal notes.
"""
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gongzhi.appeals.models import AppealKind, Status, TimeUnit
from gongzhi.appeals.presenter import public_view
from gongzhi.grid.models import Compound

from .render import iso
from .selectors import CLOSED_STATUSES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00+08:00"  # when this endpoint's definitions last changed
FORMATS = ["text/xml", "application/json"]


def _english():
    return (get_language() or "").startswith("en")


def _name(category):
    return category.name_en if _english() and category.name_en else category.name


def discovery(url):
    return {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", "") or _("福兴街道新城社区 · 共治平台管理员"),
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
        or _("提交诉求需要 api_key：请向街道或社区的平台管理员申请，由管理员在“开放接口密钥”页面签发"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": list(FORMATS),
        }],
    }


def service_notice(category):
    if category.resolve_unit == TimeUnit.HOURS:
        return _("按时限应在 %(n)d 小时内办结") % {"n": category.resolve_amount}
    return _("按时限应在 %(n)d 个工作日内办结") % {"n": category.resolve_amount}


def service(category):
    keywords = [category.get_kind_display()]
    if category.name_en and category.name_en != _name(category):
        keywords.append(category.name_en)
    return {
        "service_code": category.code,
        "service_name": _name(category),
        "description": category.description or service_notice(category),
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": _name(category.parent) if category.parent_id else None,
    }


def service_definition(category):
    """Attributes: the compound (for clients without a position), and for emergencies a warning."""
    attributes = []
    if category.kind == AppealKind.EMERGENCY:
        attributes.append({
            "variable": False,
            "code": "emergency_notice",
            "datatype": "text",
            "required": False,
            "datatype_description": None,
            "order": len(attributes) + 1,
            "description": _("紧急情况（起火、燃气泄漏、有人受伤等）请先拨打 119、110 或 120，再在此上报。"),
        })
    attributes.append({
        "variable": True,
        "code": "compound",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": _("没有经纬度时请选择所在小区"),
        "order": len(attributes) + 1,
        "description": _("所在小区"),
        "values": [{"key": code, "name": name} for code, name in Compound.objects.order_by("code").values_list("code", "name")],
    })
    return {"service_code": category.code, "attributes": attributes}


def _address(appeal):
    compound = appeal.compound.name
    if appeal.address:
        return appeal.address if compound in appeal.address else f"{compound} {appeal.address}"
    if appeal.building_id:
        return f"{compound} {appeal.building.name}"
    return compound


def _coordinate(own, fallback):
    value = own if own is not None else fallback
    return float(value) if value is not None else None


def service_request(appeal, extra, media_url=None):
    """One public request, as anyone may read it (appeals.presenter.public_view): free text is written by
    people, and any personal identifier in it goes out masked."""
    view = public_view(appeal)
    closed = appeal.status in CLOSED_STATUSES
    if appeal.status == Status.REJECTED:
        notes = view.text(extra.get("reject_note"))
    elif appeal.status == Status.WITHDRAWN:  # the reporter's reason is theirs, not the public's
        notes = _("提交人已撤回该诉求")
    else:
        notes = view.public_reply
    return {
        "service_request_id": appeal.number,
        "status": "closed" if closed else "open",
        "status_notes": notes or None,
        "service_name": _name(appeal.category),
        "service_code": appeal.category.code,
        "description": view.description,
        "agency_responsible": appeal.handler.name if appeal.handler_id else None,
        "service_notice": service_notice(appeal.category),
        "requested_datetime": iso(appeal.created_at),
        "updated_datetime": iso(appeal.updated_at),
        "expected_datetime": iso(appeal.resolve_due),
        "address": view.text(_address(appeal)),
        "address_id": appeal.compound.code,
        "zipcode": "",
        "lat": _coordinate(appeal.lat, appeal.compound.center_lat),
        "long": _coordinate(appeal.lng, appeal.compound.center_lng),
        "media_url": media_url or extra.get("media_url") or None,
    }


def created(sr):
    """The answer to POST requests: the id at once (we create synchronously), and the token too."""
    return {
        "service_request_id": sr.appeal.number,
        "service_notice": service_notice(sr.appeal.category),
        "account_id": sr.account_id or None,
        "token": sr.token,
    }


def token(sr):
    return {"token": sr.token, "service_request_id": sr.appeal.number}
