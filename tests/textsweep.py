"""Shared by the sweeps of bad text (tests/test_input_text.py, tests/open311/test_input_text.py)."""
from django.apps import apps

from gongzhi.core.text import malformed_message, nul_message

# Each kind of bad text: how it is written percent-encoded (query strings, urlencoded forms), as raw bytes
# (inside a JSON string or a multipart field) and as a JSON escape where JSON can carry it.
VARIANTS = {
    "lone surrogate": {"percent": "%ED%A0%80", "raw": b"\xed\xa0\x80", "escape": "\\ud800", "nul": False},
    "invalid UTF-8": {"percent": "%FF", "raw": b"\xff", "escape": None, "nul": False},
    "NUL": {"percent": "%00", "raw": None, "escape": "\\u0000", "nul": True},
}

# Tables that change on every request whatever it carries: sessions, token use, axes' login records.
_VOLATILE = {"sessions.session", "accounts.apitoken", "axes.accessattempt", "axes.accesslog",
             "axes.accessfailurelog", "axes.accessattemptexpiration"}


def database_state():
    """Every row of every table but the volatile ones: equal before and after means nothing was written."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label not in _VOLATILE and not model._meta.proxy:
            state[label] = list(model._default_manager.order_by("pk").values_list())
    return state


def expected(name, nul):
    message = nul_message() if nul else malformed_message()
    return {"detail": f"{name}: {message}", "field": name, "errors": {name: [message]}}


def answer(response, name):
    """(status, the field named, the messages for `name`) of an API answer. Path parameters are checked by
    the schema (`Text`), which also lists whatever else is missing: only the field swept is compared."""
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    return response.status_code, body.get("field"), (body.get("errors") or {}).get(name)


def multipart(fields, boundary="sweep"):
    """A multipart body from (name, raw value bytes, file name bytes or None)."""
    body = b""
    for name, value, filename in fields:
        disposition = b'form-data; name="%s"' % name.encode()
        if filename is not None:  # a name, or *=charset''percent-encoded name (RFC 5987)
            disposition += b"; filename" + (filename if filename.startswith(b"*=") else b'="%s"' % filename)
        body += b"--%s\r\nContent-Disposition: %s\r\n\r\n%s\r\n" % (boundary.encode(), disposition, value)
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"
