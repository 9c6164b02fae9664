"""GeoReport v2 documents as XML or JSON from one neutral tree.

A document is (root tag, value). Lists become top-level JSON arrays ("Spark" convention) and, in
XML, a root element holding one child per item (`services/service`, `service_requests/request`,
`errors/error`, …). Booleans are `true`/`false`, absent values are empty elements or JSON null.
"""
import json
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

LOCAL = ZoneInfo(settings.TIME_ZONE)

# The element name of one item in each list.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# Characters XML 1.0 cannot carry at all; stripped from text on the way out.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso(moment):
    """ISO 8601 in local time with its offset, whole seconds: 2026-11-28T09:30:00+08:00."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL).replace(microsecond=0).isoformat()


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _build(parent, tag, value):
    el = ET.SubElement(parent, tag) if parent is not None else ET.Element(tag)
    _fill(el, tag, value)
    return el


def _fill(el, tag, value):
    if isinstance(value, dict):
        for k, v in value.items():
            _build(el, k, v)
    elif isinstance(value, (list, tuple)):
        item = ITEM_TAGS.get(tag, "item")
        for v in value:
            _build(el, item, v)
    else:
        el.text = _text(value)


def to_xml(root, value) -> bytes:
    el = _build(None, root, value)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(el, encoding="unicode").encode("utf-8")


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def respond(fmt, root, value, status=200):
    body = to_json(value) if fmt == "json" else to_xml(root, value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES["json" if fmt == "json" else "xml"])


def errors(fmt, status, *descriptions):
    """The spec's error document: [{code, description}] / <errors><error>…</error></errors>."""
    return respond(fmt, "errors", [{"code": status, "description": str(d)} for d in descriptions], status=status)
