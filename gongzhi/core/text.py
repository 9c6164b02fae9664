"""Text that comes in: what can be stored, and where it is checked.

Three things in incoming text cannot be stored or would store garbage:

* NUL (U+0000): PostgreSQL refuses it in text and JSON.
* a lone UTF-16 surrogate (U+D800–U+DFFF): JSON can carry one as an escape ("\\ud800"), and Python's
  json module turns CESU-8 bytes (ED A0 80) into one; neither database driver can encode it, so it was
  a 500 wherever it reached a query.
* U+FFFD, the replacement character: Django decodes invalid UTF-8 in query strings and form fields
  (and Open311 posts) to it without a word, so it stands for characters already lost.

Each kind of input is checked once, where it enters, and refused with 400 naming the field:
the JSON API in its parser (gongzhi.api.base.GongzhiParser: query, form and JSON body), Open311 in
its parameter reader (open311.views._params), pages and headers in InputTextMiddleware
(gongzhi.core.middleware), import files in their cell reader (people.imports.rows). The API answers NUL
with 422, as its schema documents (`Text`).
"""
import json
import re

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

_BAD = re.compile("[\x00\ud800-\udfff\ufffd]")
_MALFORMED = re.compile("[\ud800-\udfff\ufffd]")


def nul_message():
    return _("不能包含空字符（NUL）")


def malformed_message():
    return _("含有无效字符：不是有效的 UTF-8 文本（或含有不成对的代理项）")


def text_problem(value):
    """Why this text cannot be stored (a translated message), or None. NUL is named apart from malformed text."""
    if not isinstance(value, str) or _BAD.search(value) is None:
        return None
    return malformed_message() if _MALFORMED.search(value) else nul_message()


def is_malformed(value):
    return isinstance(value, str) and _MALFORMED.search(value) is not None


def shown(text):
    """A name or value fit to repeat in an answer or a stored message: bad characters become '?'."""
    return _BAD.sub("?", text)


class InputTextError(BadRequest):
    """A field whose text cannot be stored. `malformed`: undecodable text (400 everywhere); else NUL."""

    def __init__(self, field, message, malformed=True):
        self.field, self.message, self.malformed = shown(str(field)), str(message), malformed
        super().__init__(f"{self.field}: {self.message}")


def check_pairs(pairs):
    """Raise InputTextError for the first (name, value) whose name or text value cannot be stored."""
    for name, value in pairs:
        for text in (name, value):
            problem = text_problem(text)
            if problem is not None:
                raise InputTextError(name, problem, malformed=is_malformed(text))


def check_querydict(data):
    """Every name and value of a QueryDict or MultiValueDict (request.GET, request.POST, request.FILES)."""
    check_pairs((name, getattr(value, "name", value)) for name, values in data.lists() for value in values)


def check_json(data, field=""):
    """Every key and string value of parsed JSON, nested; a field is named by its keys ("contact.name")."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{field}.{key}" if field else str(key)
            check_pairs([(name, None)])
            check_json(value, name)
    elif isinstance(data, list):
        for value in data:
            check_json(value, field)
    elif isinstance(data, str):
        check_pairs([(field or "body", data)])


def json_text(body: bytes) -> str:
    """A JSON body as text for json.loads. Bytes that are not valid UTF-8 — CESU-8 surrogates such as
    ED A0 80 included, which json.loads(bytes) would let through as a lone surrogate — become lone
    surrogates here too, so that check_json names the field holding them instead of the whole body failing."""
    return body.decode(json.detect_encoding(body), "surrogateescape")


def checks_own_text(view):
    """Mark a view that checks its own query string and form fields (answering in its own format), so that
    InputTextMiddleware leaves them to it; headers are still checked. Like csrf_exempt."""
    view.checks_own_text = True
    return view
