"""Check-in codes: genuine ones read back, forged, edited and expired ones are refused, the PNG scans."""
import datetime

import pytest
from django.core import signing
from django.utils import timezone

from conftest import scan_qr  # tests/conftest.py
from gongzhi.stations import codes

NOW = timezone.now()


def test_a_code_reads_back_what_it_was_made_for():
    expires = NOW + datetime.timedelta(hours=2)
    kind, pk, until = codes.read(codes.make(codes.ROOM, 42, expires_at=expires), now=NOW)
    assert (kind, pk, int(until.timestamp())) == (codes.ROOM, 42, int(expires.timestamp()))


def test_an_expired_code_is_refused_saying_so():
    token = codes.make(codes.STATION, 1, expires_at=NOW + datetime.timedelta(minutes=1))
    codes.read(token, now=NOW)
    with pytest.raises(codes.CodeError, match="过期"):
        codes.read(token, now=NOW + datetime.timedelta(minutes=1))


def test_a_code_edited_to_another_station_or_a_longer_life_is_refused():
    token = codes.make(codes.STATION, 1, expires_at=NOW + datetime.timedelta(minutes=1))
    payload, rest = token.split(":", 1)
    data = signing.loads(token, salt=codes.SALT)
    for forged in ({**data, "id": 2}, {**data, "exp": data["exp"] + 86400}):
        other = signing.dumps(forged, salt=codes.SALT, compress=True).split(":", 1)[0]
        with pytest.raises(codes.CodeError, match="无效"):
            codes.read(f"{other}:{rest}", now=NOW)


def test_a_code_signed_for_something_else_is_refused():
    token = signing.dumps({"k": "station", "id": 1, "exp": int(NOW.timestamp()) + 60}, salt="another.salt")
    with pytest.raises(codes.CodeError, match="无效"):
        codes.read(token, now=NOW)
    with pytest.raises(codes.CodeError, match="无效"):
        codes.read(signing.dumps({"k": "locker", "id": 1, "exp": int(NOW.timestamp()) + 60}, salt=codes.SALT),
                   now=NOW)
    with pytest.raises(codes.CodeError, match="无效"):
        codes.read("not-a-code", now=NOW)


def test_the_png_scans_to_the_url_it_was_made_from():
    url = "https://gongzhi.example/stations/checkin/" + codes.make(codes.ACTIVITY, 7, expires_at=codes.poster_expiry())
    assert scan_qr(codes.png(url)) == url
