"""No personal identifier in any log line.

Searches are GET requests: the access log prints their query strings, Django logs the path of a page
not found and the host of a refused request, and an error's text may quote what a user typed. Every
handler the product configures carries `RedactIdentifiers` (settings.LOGGING for Django, runserver
and the task worker; gunicorn.conf.py for gunicorn's access and error logs), which masks identifiers
(identity.redact_identifiers) in the whole record: message, traceback and stack.

A log line is read as the server read the request in it: percent-decoded ("+" a space in a query),
Django's escapes ("\\uff11") resolved, and raw UTF-8 a client sent re-decoded from the Latin-1 that
WSGI hands it over as. A line holding an identifier in that reading is logged in that reading, masked.
"""
import logging
import re
from urllib.parse import unquote

from .identity import redact_identifiers

_QUERY = re.compile(r"\?[^\s\"']*")
_ESCAPED = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2}))")


def _unescaped(match):
    code = int(next(g for g in match.groups() if g), 16)
    # A surrogate or a number past Unicode stays as written: it could not be written out again.
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()


def _as_read(text):
    try:
        text = text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    # Django escapes what it logs of a request ("\uff11" for a full-width 1): read the characters.
    text = _ESCAPED.sub(_unescaped, text)
    # "+" is a space in a query string only: "+0800" in a timestamp stays.
    return unquote(_QUERY.sub(lambda m: m.group().replace("+", " "), text))


def redact_log_text(text):
    """A log line with every personal identifier masked, however the URLs in it were encoded."""
    if not text:
        return text
    decoded = _as_read(text)
    if decoded != text:
        masked = redact_identifiers(decoded)
        if masked != decoded:
            return masked
    return redact_identifiers(text)


class RedactIdentifiers(logging.Filter):
    """A handler's filter: the record's message, traceback and stack with identifiers masked."""

    def filter(self, record):
        message = record.getMessage()
        masked = redact_log_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True
