"""Check-in codes: what a station's, a room's or an activity's QR code carries.

A code is a signed token naming what it checks in to and until when it holds. The signature (the site's secret,
a salt of its own) means nobody can make a code for another station or stretch one's life by editing it; the
expiry means a poster photographed once does not check anybody in for ever — the keeper prints a new one. The
token goes in a URL (/stations/checkin/<token>/) which the QR image encodes, so any phone camera opens it.
"""
import datetime
import io

import segno
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SALT = "gongzhi.stations.checkin"
STATION = "station"
ROOM = "room"
ACTIVITY = "activity"
KINDS = (STATION, ROOM, ACTIVITY)
# A poster on a station's or a room's door is printed again each season.
POSTER_DAYS = 90


class CodeError(ValueError):
    """A code that checks nobody in: forged, damaged, or past its time. The message says which, for the reader."""


def make(kind, pk, *, expires_at):
    if kind not in KINDS:
        raise ValueError(kind)
    return signing.dumps({"k": kind, "id": int(pk), "exp": int(expires_at.timestamp())}, salt=SALT, compress=True)


def poster_expiry(now=None):
    return (now or timezone.now()) + datetime.timedelta(days=POSTER_DAYS)


def read(token, *, now=None):
    """(kind, id, expires_at) of a genuine code still in its time; CodeError otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
        kind, pk, exp = data["k"], int(data["id"]), int(data["exp"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise CodeError(_("二维码无效，请扫描驿站现场张贴的二维码。")) from None
    if kind not in KINDS:
        raise CodeError(_("二维码无效，请扫描驿站现场张贴的二维码。"))
    expires_at = datetime.datetime.fromtimestamp(exp, tz=datetime.UTC)
    if expires_at <= (now or timezone.now()):
        raise CodeError(_("二维码已过期，请联系驿站管理人员更换。"))
    return kind, pk, expires_at


def png(url, *, scale=8):
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg(url, *, scale=6):
    """Inline SVG markup for a printable page: sharp at any print size, no image request."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True,
                                    svgclass="qr", lineclass=None)
    return out.getvalue().decode()
