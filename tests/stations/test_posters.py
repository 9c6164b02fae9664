"""Printing a station's codes is one click for its keepers: a page with the station's code and one per room, inline
SVG with a print style sheet and its validity, each also as a PNG that scans to the check-in URL; nobody else gets
a code (the page, the PNGs and the API answer 404), and each issue is in the audit log."""
import datetime
import re

import pytest
from django.utils import timezone

from conftest import scan_qr  # tests/conftest.py
from gongzhi.core.models import AuditEntry
from gongzhi.core.workdays import LOCAL
from gongzhi.stations import codes
from gongzhi.stations.models import Kind, Room, Station


@pytest.fixture
def station(cast, make_station):
    s = make_station(name="宁江新城一期二期党群驿站", kind=Kind.PARTY)
    for name in ("活动室", "棋牌室"):
        Room.objects.create(station=s, name=name, capacity=8)
    return s


def read_url(url):
    match = re.fullmatch(r"(https?://[^/]+)/stations/checkin/([^/]+)/", url)
    assert match, url
    kind, pk, expires_at = codes.read(match.group(2))
    return match.group(1), kind, pk, expires_at


def test_keeper_prints_the_station_and_each_room(client, cast, station):
    client.force_login(cast.owners1)
    keep = client.get(f"/stations/kept/{station.pk}/").content.decode()
    assert f'href="/stations/kept/{station.pk}/codes/"' in keep  # one click from the station's page
    r = client.get(f"/stations/kept/{station.pk}/codes/")
    body = r.content.decode()
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    assert body.count("<svg") == 3 and "@media print" not in body  # the print rules live in stations.css
    urls = re.findall(r'data-checkin-url="([^"]+)"', body)
    rooms = list(station.rooms.order_by("id").values_list("pk", flat=True))
    found = [read_url(u) for u in urls]
    assert [(site, kind, pk) for site, kind, pk, _e in found] == \
        [("http://testserver", "station", station.pk)] + [("http://testserver", "room", pk) for pk in rooms]
    until = found[0][3].astimezone(LOCAL).date()
    assert until == (timezone.now() + datetime.timedelta(days=codes.POSTER_DAYS)).astimezone(LOCAL).date()
    assert f"有效期至 {until:%Y-%m-%d}" in body
    assert body.count('download>') == 3
    entry = AuditEntry.objects.get(object_type="stations.station", detail="codes")
    assert (entry.user, entry.action) == (cast.owners1, "export")


def test_the_poster_uses_the_public_site_address_when_set(client, cast, station, settings):
    settings.SITE_URL = "https://gongzhi.example/"
    client.force_login(cast.community_worker)
    body = client.get(f"/stations/kept/{station.pk}/codes/").content.decode()
    assert read_url(re.findall(r'data-checkin-url="([^"]+)"', body)[0])[0] == "https://gongzhi.example"


def test_png_scans_to_the_code_of_its_station_or_room(client, cast, station):
    client.force_login(cast.property1)
    room = station.rooms.order_by("id").last()
    for path, kind, pk in ((f"/stations/kept/{station.pk}/codes/station.png", "station", station.pk),
                           (f"/stations/kept/{station.pk}/codes/room-{room.pk}.png", "room", room.pk)):
        r = client.get(path)
        assert r.status_code == 200 and r["Content-Type"] == "image/png"
        assert r["Content-Disposition"] == f'attachment; filename="{kind}-{pk}-checkin.png"'
        assert read_url(scan_qr(r.content))[1:3] == (kind, pk)
    assert AuditEntry.objects.filter(object_type="stations.station", detail="codes").count() == 2


def test_nobody_but_the_keepers_gets_a_code(client, cast, station):
    room = station.rooms.first()
    elsewhere = Station.objects.create(name="东风花园党群驿站", kind=Kind.PARTY, status="open", compound=cast.K3)
    other_room = Room.objects.create(station=elsewhere, name="议事厅", capacity=10)
    paths = [f"/stations/kept/{station.pk}/codes/", f"/stations/kept/{station.pk}/codes/station.png",
             f"/stations/kept/{station.pk}/codes/room-{room.pk}.png"]
    assert client.get(paths[1]).status_code == 302  # not signed in: the login page
    for outsider in (cast.resident1, cast.rider1, cast.grid_worker, cast.member1):
        client.force_login(outsider)
        assert [client.get(p).status_code for p in paths] == [404, 404, 404], outsider
    client.force_login(cast.property1)  # keeps 一期 and 二期, not 东风花园
    assert client.get(f"/stations/kept/{elsewhere.pk}/codes/").status_code == 404
    assert client.get(f"/stations/kept/{station.pk}/codes/room-{other_room.pk}.png").status_code == 404
    assert not AuditEntry.objects.filter(detail="codes").exists()


def test_api_gives_keepers_the_codes(api, cast, station):
    r = api.get(cast.property1, f"/api/v1/stations/kept/{station.pk}/codes")
    assert r.status_code == 200
    data = r.json()
    assert [(i["kind"], i["name"]) for i in data["items"]] == [("station", "宁江新城一期二期党群驿站"),
                                                              ("room", "活动室"), ("room", "棋牌室")]
    assert read_url(data["items"][0]["url"])[1:3] == ("station", station.pk)
    assert api.get(cast.resident1, f"/api/v1/stations/kept/{station.pk}/codes").status_code == 404
    assert AuditEntry.objects.filter(detail="codes").count() == 1
