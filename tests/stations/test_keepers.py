"""Keepers run their station: status and amenities, weekly hours and temporary closures, from the page and the
API; every change audited; a stale form loses with a conflict; a keeper of another place sees nothing (404)."""
import datetime

import pytest
from django.utils import timezone

from django.http import Http404

from gongzhi.core.models import AuditEntry
from gongzhi.core.workdays import LOCAL
from gongzhi.stations import selectors, services
from gongzhi.stations.models import Closure, Station

T = datetime.time


@pytest.fixture
def k1_station(make_station):
    return make_station(name="一期暖锋驿站", amenities=("seats",))


@pytest.fixture
def k2_station(make_station, cast):
    return make_station(name="二期暖锋驿站", compound=cast.K2)


def audits(station, detail):
    return AuditEntry.objects.filter(object_type="stations.station", object_id=str(station.pk), detail=detail).count()


def test_keepers_of_the_place_and_nobody_else(cast, k1_station, k2_station):
    assert list(selectors.kept_stations(cast.owners1)) == [k1_station]  # the K1 committee: its own compound only
    assert set(selectors.kept_stations(cast.property1)) == {k1_station, k2_station}
    for outsider in (cast.resident1, cast.rider1, cast.grid_worker):
        assert not selectors.kept_stations(outsider).exists()


def test_page_saves_settings_and_a_stale_form_loses(client, cast, k1_station):
    client.force_login(cast.owners1)
    url = f"/stations/kept/{k1_station.pk}/"
    assert client.get(url).status_code == 200
    form = {"act": "settings", "version": k1_station.version, "status": "closed", "amenity": ["water", "charging"],
            "closed_on_holidays": "1"}
    r = client.post(url, form)
    assert r.status_code == 302
    s = Station.objects.get(pk=k1_station.pk)
    assert (s.status, s.amenities(), s.closed_on_holidays) == ("closed", ["water", "charging"], True)
    assert audits(s, "settings") == 1
    r = client.post(url, {**form, "status": "open"})  # the same, older version: someone saved in between
    assert r.status_code == 400 and "已被他人修改" in r.content.decode()
    assert Station.objects.get(pk=k1_station.pk).status == "closed"
    r = client.post(url, {**form, "version": s.version, "status": "gone"})
    assert r.status_code == 400 and "状态无效" in r.content.decode()


def test_page_sets_hours_across_midnight_and_refuses_bad_ones(client, cast, k1_station):
    client.force_login(cast.community_worker)
    url = f"/stations/kept/{k1_station.pk}/"
    form = {"act": "hours", "version": k1_station.version, "open_0": "1", "opens_0": "22:00", "closes_0": "06:00",
            "open_5": "1", "opens_5": "00:00", "closes_5": "00:00", "opens_3": "09:00", "closes_3": "10:00"}
    assert client.post(url, form).status_code == 302
    s = Station.objects.get(pk=k1_station.pk)
    assert [(h.weekday, h.opens, h.closes) for h in s.hours.all()] == [(0, T(22), T(6)), (5, T(0), T(0))]
    assert audits(s, "hours") == 1
    sunday_night = datetime.datetime(2026, 3, 3, 1, 0, tzinfo=LOCAL)  # Tuesday 01:00, within Monday's night
    assert selectors.open_now([s], sunday_night)[s.pk] is True
    r = client.post(url, {**form, "version": s.version, "closes_0": "25:00"})
    assert r.status_code == 400 and "周一的开门或关门时间无效" in r.content.decode()
    r = client.post(url, {**form, "version": s.version, "closes_0": "22:00"})
    assert r.status_code == 400 and "全天开放请填 00:00 至 00:00" in r.content.decode()
    assert Station.objects.get(pk=s.pk).hours.count() == 2


def test_page_adds_and_removes_closures(client, cast, k1_station):
    client.force_login(cast.property1)
    url = f"/stations/kept/{k1_station.pk}/"
    now = timezone.now().astimezone(LOCAL).replace(second=0, microsecond=0, tzinfo=None)
    start, end = now + datetime.timedelta(hours=1), now + datetime.timedelta(hours=5)
    r = client.post(url, {"act": "close", "starts_at": f"{start:%Y-%m-%dT%H:%M}", "ends_at": f"{end:%Y-%m-%dT%H:%M}",
                          "reason": "设备检修"})
    assert r.status_code == 302
    c = Closure.objects.get(station=k1_station)
    assert (c.starts_at, c.reason) == (start.replace(tzinfo=LOCAL), "设备检修")
    assert "设备检修" in client.get(url).content.decode()
    for bad, message in (({"reason": ""}, "请填写闭站原因"), ({"ends_at": ""}, "请填写闭站的开始和结束时间"),
                         ({"ends_at": f"{start:%Y-%m-%dT%H:%M}"}, "结束时间应晚于开始时间"),
                         ({"starts_at": "2020-01-01T08:00", "ends_at": "2020-01-01T09:00"}, "已经过去")):
        r = client.post(url, {"act": "close", "starts_at": f"{start:%Y-%m-%dT%H:%M}",
                              "ends_at": f"{end:%Y-%m-%dT%H:%M}", "reason": "检修", **bad})
        assert r.status_code == 400 and message in r.content.decode(), message
    assert Closure.objects.count() == 1
    assert client.post(url, {"act": "reopen", "closure": c.pk}).status_code == 302
    assert not Closure.objects.exists()
    assert audits(k1_station, "close") == 1 and audits(k1_station, "reopen") == 1
    r = client.post(url, {"act": "reopen", "closure": c.pk})  # removed already, e.g. in another tab
    assert r.status_code == 400 and "已被删除" in r.content.decode()


def test_keeper_of_another_place_gets_404(client, cast, k2_station):
    client.force_login(cast.owners1)  # keeps K1's stations, not K2's
    url = f"/stations/kept/{k2_station.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"act": "settings", "version": k2_station.version, "status": "closed"}).status_code == 404
    assert Station.objects.get(pk=k2_station.pk).status == "open"
    client.force_login(cast.resident1)
    assert client.get("/stations/kept/").status_code == 404


def test_api_keeps_a_station(client, api, cast, k1_station, k2_station):
    base = f"/api/v1/stations/kept/{k1_station.pk}"
    headers = api._headers(cast.owners1)
    r = api.get(cast.owners1, "/api/v1/stations/kept")
    assert [s["id"] for s in r.json()] == [k1_station.pk]
    version = api.get(cast.owners1, base).json()["version"]
    r = client.put(f"{base}/settings", {"version": version, "status": "soon", "amenities": ["charging"]},
                   content_type="application/json", **headers)
    assert r.status_code == 200 and (r.json()["status"], r.json()["amenities"]) == ("soon", ["charging"])
    r = client.put(f"{base}/settings", {"version": version, "status": "open"}, content_type="application/json",
                   **headers)
    assert r.status_code == 409 and "已被他人修改" in r.json()["detail"]
    r = client.put(f"{base}/hours", {"version": version + 1, "hours": [{"weekday": 7, "opens": "08:00",
                                                                        "closes": "20:00"}]},
                   content_type="application/json", **headers)
    assert r.status_code == 400 and r.json()["field"] == "hours" and "星期无效" in r.json()["detail"]
    r = client.put(f"{base}/hours", {"version": version + 1, "hours": [{"weekday": 2, "opens": "08:00",
                                                                        "closes": "20:00"}]},
                   content_type="application/json", **headers)
    assert r.status_code == 200 and r.json()["hours"] == [{"weekday": 2, "opens": "08:00:00", "closes": "20:00:00"}]
    start = timezone.now() + datetime.timedelta(days=1)
    r = api.post(cast.owners1, f"{base}/closures", {"starts_at": start.isoformat(), "reason": "台风",
                                                    "ends_at": (start + datetime.timedelta(hours=3)).isoformat()})
    assert r.status_code == 200 and [c["reason"] for c in r.json()["closures"]] == ["台风"]
    r = api.post(cast.owners1, f"{base}/closures", {"starts_at": start.isoformat(), "reason": " ",
                                                    "ends_at": (start + datetime.timedelta(hours=3)).isoformat()})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    closure = r.json() and Closure.objects.get()
    assert api.delete(cast.owners1, f"{base}/closures/{closure.pk}").json()["closures"] == []
    # Another place's station, and a caller who keeps none: 404, nothing changed.
    other = f"/api/v1/stations/kept/{k2_station.pk}"
    assert api.get(cast.owners1, other).status_code == 404
    r = client.put(f"{other}/settings", {"version": k2_station.version, "status": "closed"},
                   content_type="application/json", **headers)
    assert r.status_code == 404 and Station.objects.get(pk=k2_station.pk).status == "open"
    assert api.get(cast.resident1, "/api/v1/stations/kept").json() == []


def test_services_refuse_a_non_keeper(cast, k2_station):
    with pytest.raises(Http404):
        services.station_update(user=cast.owners1, station_id=k2_station.pk, version=k2_station.version,
                                status="closed", amenities=[], closed_on_holidays=False)
    with pytest.raises(Http404):
        services.hours_set(user=cast.owners1, station_id=k2_station.pk, patterns=[])
    assert Station.objects.get(pk=k2_station.pk).status == "open" and k2_station.hours.count() == 7
