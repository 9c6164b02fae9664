"""Feedback on a rest station: left on its public page or over the API by anyone (signed in: the author is
kept; not: nothing about them is), refused with a clear message when it is bad, listed for the station's keepers
on their home and their station's page, handled once with an optional reply, and seen handled by its author."""
import pytest
from django.core.cache import cache

from gongzhi.accounts import policy
from gongzhi.core.models import AuditEntry
from gongzhi.stations import services
from gongzhi.stations.capability import FEEDBACK_HANDLE, FEEDBACK_VIEW
from gongzhi.stations.models import Feedback, Kind, Status


@pytest.fixture
def rest(make_station):
    return make_station(name="一期暖锋驿站")


def leave(user=None, station=None, kind="water", note="饮水机没有水"):
    return services.feedback_create(user=user, station_id=station.pk, kind=kind, note=note)


def test_page_takes_anonymous_feedback_and_keeps_nothing_personal(client, rest):
    r = client.get(f"/stations/s/{rest.pk}/")
    assert r.status_code == 200 and "反馈问题" in r.content.decode() and "不记录您的任何个人信息" in r.content.decode()
    r = client.post(f"/stations/s/{rest.pk}/", {"kind": "charger", "note": "东侧插座没电"}, REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 302
    f = Feedback.objects.get()
    assert (f.station, f.kind, f.note, f.author, f.status) == (rest, "charger", "东侧插座没电", None, "open")
    entry = AuditEntry.objects.get(object_type="stations.feedback")
    assert (entry.user, entry.username, entry.ip, entry.detail) == (None, "", None, "feedback")


def test_page_keeps_the_signed_in_author_and_shows_them_the_reply(client, cast, rest):
    client.force_login(cast.rider1)
    client.post(f"/stations/s/{rest.pk}/", {"kind": "water", "note": "饮水机没有水"}, REMOTE_ADDR="10.1.2.3")
    f = Feedback.objects.get()
    assert f.author == cast.rider1
    assert AuditEntry.objects.get(object_type="stations.feedback").user == cast.rider1
    services.feedback_handle(user=cast.owners1, feedback_id=f.pk, reply="已换新水桶")
    body = client.get(f"/stations/s/{rest.pk}/").content.decode()
    assert "我在这里的反馈" in body and "已处理" in body and "已换新水桶" in body
    client.logout()
    assert "已换新水桶" not in client.get(f"/stations/s/{rest.pk}/").content.decode()


@pytest.mark.parametrize("form,message", [
    ({"kind": "water", "note": "  "}, "请简单说明情况"),
    ({"kind": "water", "note": "水" * 201}, "说明不能超过 200 个字"),
    ({"kind": "ufo", "note": "有外星人"}, "请选择问题类型"),
])
def test_page_refuses_bad_feedback_with_a_message(client, rest, form, message):
    r = client.post(f"/stations/s/{rest.pk}/", form)
    assert r.status_code == 400 and message in r.content.decode()
    assert not Feedback.objects.exists() and not AuditEntry.objects.filter(object_type="stations.feedback").exists()


def test_page_of_a_party_station_or_none_is_404(client, make_station):
    party = make_station(name="党群驿站", kind=Kind.PARTY)
    closed = make_station(name="已关闭的驿站", status=Status.CLOSED)
    for pk in (party.pk, closed.pk, 999999):
        assert client.post(f"/stations/s/{pk}/", {"kind": "water", "note": "没水"}).status_code == 404
    assert not Feedback.objects.exists()


def test_api_anonymous_and_signed_in(api, cast, rest):
    r = api.post(None, f"/api/v1/stations/{rest.pk}/feedback", {"kind": "dirty", "note": "地面很脏"})
    assert r.status_code == 201 and r.json()["status"] == "open" and r.json()["kind_display"] == "卫生不好"
    assert Feedback.objects.get(pk=r.json()["id"]).author is None
    r = api.post(cast.rider1, f"/api/v1/stations/{rest.pk}/feedback", {"kind": "closed", "note": "下午三点没开门"})
    assert r.status_code == 201 and Feedback.objects.get(pk=r.json()["id"]).author == cast.rider1
    mine = api.get(cast.rider1, "/api/v1/stations/feedback").json()
    assert [f["note"] for f in mine] == ["下午三点没开门"]


@pytest.mark.parametrize("payload,field,message", [
    ({"kind": "water", "note": ""}, "note", "请简单说明情况"),
    ({"kind": "water", "note": "水" * 201}, "note", "说明不能超过 200 个字"),
    ({"kind": "ufo", "note": "有外星人"}, "kind", "请选择问题类型"),
])
def test_api_refuses_bad_feedback(api, rest, payload, field, message):
    r = api.post(None, f"/api/v1/stations/{rest.pk}/feedback", payload)
    assert r.status_code == 400 and r.json()["field"] == field and message in r.json()["detail"]
    assert not Feedback.objects.exists()


def test_api_404_for_what_is_no_public_rest_station(api, make_station):
    party = make_station(name="党群驿站", kind=Kind.PARTY)
    for pk in (party.pk, 999999):
        assert api.post(None, f"/api/v1/stations/{pk}/feedback", {"kind": "water", "note": "没水"}).status_code == 404
    assert not Feedback.objects.exists()


def test_api_feedback_is_throttled(api, rest, settings):
    settings.API_THROTTLE_PUBLIC = "2/min"
    cache.clear()
    codes = [api.post(None, f"/api/v1/stations/{rest.pk}/feedback", {"kind": "water", "note": "没水"}).status_code
             for _ in range(3)]
    cache.clear()
    assert codes == [201, 201, 429] and Feedback.objects.count() == 2


def test_keepers_see_it_and_nobody_else(cast, rest):
    f = leave(station=rest)
    for keeper in (cast.owners1, cast.community_worker, cast.property1):
        assert policy.can(keeper, FEEDBACK_HANDLE, f)
    for outsider in (cast.resident1, cast.rider1, cast.grid_worker):
        assert not policy.can(outsider, FEEDBACK_VIEW, f)
    mine = leave(user=cast.rider1, station=rest)
    assert policy.can(cast.rider1, FEEDBACK_VIEW, mine) and not policy.can(cast.rider1, FEEDBACK_HANDLE, mine)


def test_open_feedback_on_the_keepers_home_and_station_page(client, cast, rest):
    leave(station=rest, kind="charger", note="插座坏了")
    client.force_login(cast.owners1)
    assert "插座坏了" in client.get("/").content.decode()
    assert "插座坏了" in client.get(f"/stations/kept/{rest.pk}/").content.decode()
    client.force_login(cast.resident1)
    assert "插座坏了" not in client.get("/").content.decode()


def test_page_handles_once_and_the_second_keeper_is_told(client, cast, rest):
    f = leave(station=rest)
    url = f"/stations/kept/{rest.pk}/"
    client.force_login(cast.owners1)
    assert client.post(url, {"act": "handle", "feedback": f.pk, "reply": "已送水"}).status_code == 302
    f.refresh_from_db()
    assert (f.status, f.reply, f.handled_by) == ("handled", "已送水", cast.owners1)
    body = client.get(url).content.decode()
    assert "饮水机没有水" not in body and "没有待处理的反馈" in body
    client.force_login(cast.community_worker)  # with the page opened before the first keeper acted
    r = client.post(url, {"act": "handle", "feedback": f.pk, "reply": "我来"})
    assert r.status_code == 400 and "已被他人处理" in r.content.decode()
    f.refresh_from_db()
    assert (f.reply, f.handled_by) == ("已送水", cast.owners1)
    entries = AuditEntry.objects.filter(object_type="stations.feedback", object_id=str(f.pk), detail="handle")
    assert [e.user for e in entries] == [cast.owners1]


def test_api_handles_once_409_for_the_second_404_for_outsiders(api, cast, rest):
    f = leave(user=cast.rider1, station=rest)
    path = f"/api/v1/stations/feedback/{f.pk}/handle"
    assert api.post(cast.grid_worker, path, {"reply": "x"}).status_code == 404
    assert api.post(cast.rider1, path, {}).status_code == 404  # the author reads it, may not handle it
    r = api.post(cast.property1, path, {"reply": "已修好"})
    assert r.status_code == 200 and r.json()["status"] == "handled" and r.json()["reply"] == "已修好"
    r = api.post(cast.owners1, path, {"reply": "我也修了"})
    assert r.status_code == 409 and "已被他人处理" in r.json()["detail"]
    seen = api.get(cast.rider1, f"/api/v1/stations/feedback/{f.pk}").json()
    assert (seen["status"], seen["reply"]) == ("handled", "已修好")
    assert api.get(cast.resident1, f"/api/v1/stations/feedback/{f.pk}").status_code == 404


def test_open_feedback_is_listed_for_keepers_over_the_api(api, cast, rest):
    f = leave(station=rest)
    assert [x["id"] for x in api.get(cast.owners1, "/api/v1/stations/feedback").json()] == [f.pk]
    assert api.get(cast.resident1, "/api/v1/stations/feedback").json() == []


def test_a_too_long_reply_is_refused(api, cast, rest):
    f = leave(station=rest)
    r = api.post(cast.owners1, f"/api/v1/stations/feedback/{f.pk}/handle", {"reply": "好" * 201})
    assert r.status_code == 400 and "回复不能超过 200 个字" in r.json()["detail"]
    f.refresh_from_db()
    assert f.status == "open"
