"""Checking in by QR code, on the page the code opens and over the API: a station's code records a visit (naming
nobody without signing in, once per person a half hour), a room's code checks its booker in to the booking on
now; a forged, expired or foreign code, a station not open, a booking too early, too late or someone else's:
a clear message and nothing written."""
import datetime

import pytest
from django.core import signing
from django.utils import timezone

from gongzhi.core.models import AuditEntry
from gongzhi.core.workdays import LOCAL
from gongzhi.stations import codes, services
from gongzhi.stations.models import Booking, BookingEvent, Feedback, Kind, Room, RoomReach, StationVisit, Status

from .conftest import ALL_DAY

LATER = datetime.timedelta(days=30)


def code(kind, pk, expires_at=None):
    return codes.make(kind, pk, expires_at=expires_at or timezone.now() + LATER)


def url(token):
    return f"/stations/checkin/{token}/"


@pytest.fixture
def rest(make_station):
    return make_station(name="暖锋驿站（新城）", amenities=("seats", "charging"))


@pytest.fixture
def party(cast, make_station):
    """A party-and-masses station open all day (so a booking may start a few minutes from the real now) with a
    chess room serving 一期 and 二期."""
    station = make_station(name="宁江新城一期二期党群驿站", kind=Kind.PARTY, hours=ALL_DAY)
    room = Room.objects.create(station=station, name="棋牌室", capacity=8, max_minutes=120, horizon_days=14)
    for k in (cast.K1, cast.K2):
        RoomReach.objects.create(room=room, compound=k)
    return room


def book(room, user, start, minutes=60, now=None):
    return services.booking_create(user=user, room_id=room.pk, starts_at=start,
                                   ends_at=start + datetime.timedelta(minutes=minutes), attendees=3,
                                   purpose="象棋对弈", now=now or start - datetime.timedelta(hours=1))


def soon(minutes=5):
    """A whole minute a few minutes from now: a booking there may be checked in to now."""
    return (timezone.now() + datetime.timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def nothing_written():
    assert not StationVisit.objects.exists()
    assert not Booking.objects.filter(checked_in_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(detail__in=("visit", "checkin")).exists()
    assert not BookingEvent.objects.filter(action="booking_checkin").exists()


# ---- codes that check nobody in ------------------------------------------------------------------------------

def forged(rest):
    """A genuine code's signature on another station's payload."""
    genuine = code(codes.STATION, rest.pk)
    payload = signing.dumps({"k": codes.STATION, "id": rest.pk + 1, "exp": int((timezone.now() + LATER).timestamp())},
                            salt=codes.SALT, compress=True)
    return payload.rsplit(":", 1)[0] + ":" + genuine.rsplit(":", 1)[1]


BAD_CODES = {
    "forged": (forged, "二维码无效"),
    "garbage": (lambda rest: "not-a-code", "二维码无效"),
    "expired": (lambda rest: code(codes.STATION, rest.pk, timezone.now() - datetime.timedelta(seconds=1)), "已过期"),
    "wrong kind": (lambda rest: code(codes.ACTIVITY, rest.pk), "不是驿站或活动室的签到码"),
}


@pytest.mark.parametrize("name", BAD_CODES)
def test_page_refuses_a_bad_code_and_writes_nothing(client, cast, rest, name):
    make, message = BAD_CODES[name]
    token = make(rest)
    for method in (client.get, client.post):
        r = method(url(token))
        assert r.status_code == 400 and message in r.content.decode(), name
        assert "没有记录任何签到" in r.content.decode()
    client.force_login(cast.rider1)
    assert client.post(url(token)).status_code == 400
    nothing_written()


@pytest.mark.parametrize("name", BAD_CODES)
def test_api_refuses_a_bad_code_and_writes_nothing(api, cast, rest, name):
    make, message = BAD_CODES[name]
    for user in (None, cast.rider1):
        r = api.post(user, "/api/v1/stations/checkin", {"code": make(rest)})
        assert r.status_code == 400 and r.json()["field"] == "code" and message in r.json()["detail"], name
    nothing_written()


def test_a_code_expiring_between_the_page_and_the_tap_is_refused_then(client, rest, monkeypatch):
    token = code(codes.STATION, rest.pk, timezone.now() + datetime.timedelta(minutes=5))
    assert client.get(url(token)).status_code == 200
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + datetime.timedelta(minutes=6))
    r = client.post(url(token))
    assert r.status_code == 400 and "已过期" in r.content.decode()
    nothing_written()


def test_a_room_code_of_a_room_gone_is_not_found(client, cast):
    client.force_login(cast.resident1)
    assert client.get(url(code(codes.ROOM, 999999))).status_code == 404


# ---- a station's code: a visit ---------------------------------------------------------------------------------

def test_anonymous_visit_names_nobody_and_a_second_tap_counts_nothing(client, rest):
    token = code(codes.STATION, rest.pk)
    r = client.get(url(token))
    body = r.content.decode()
    assert r.status_code == 200 and "暖锋驿站（新城）" in body and "不记录您的任何个人信息" in body
    assert not StationVisit.objects.exists()  # opening the page (a link preview, a prefetch) records nothing
    r = client.post(url(token), REMOTE_ADDR="10.9.8.7")
    assert r.status_code == 302 and r["Location"] == url(token)
    visit = StationVisit.objects.get()
    assert (visit.station, visit.user) == (rest, None)
    entry = AuditEntry.objects.get(object_type="stations.stationvisit")
    assert (entry.user, entry.username, entry.ip, entry.detail) == (None, "", None, "visit")
    body = client.get(url(token)).content.decode()
    assert "签到成功" in body and "您已在这里签到" in body
    # The feedback form is there, posting to the station's own page (the existing flow).
    assert f'action="/stations/s/{rest.pk}/"' in body and "充电设施坏了" in body
    client.post(url(token))  # the same phone again: its cookie says it was here a moment ago
    assert StationVisit.objects.count() == 1
    client.cookies.clear()  # another phone
    client.post(url(token))
    assert StationVisit.objects.count() == 2


def test_signed_in_visit_keeps_the_visitor_once_a_half_hour(client, cast, rest):
    client.force_login(cast.rider1)
    token = code(codes.STATION, rest.pk)
    client.post(url(token))
    client.post(url(token))
    visit = StationVisit.objects.get()
    assert visit.user == cast.rider1
    assert AuditEntry.objects.get(object_type="stations.stationvisit").user == cast.rider1
    later = visit.at + services.VISIT_AGAIN_AFTER + datetime.timedelta(seconds=1)
    again, created = services.visit_record(user=cast.rider1, station_id=rest.pk, now=later)
    assert created and StationVisit.objects.count() == 2
    same, created = services.visit_record(user=cast.rider1, station_id=rest.pk, now=later)
    assert (same, created) == (again, False)


def test_the_walk_check_in_then_report_a_broken_charger(client, cast, rest):
    client.force_login(cast.rider1)
    token = code(codes.STATION, rest.pk)
    client.post(url(token))
    r = client.post(f"/stations/s/{rest.pk}/", {"kind": "charger", "note": "插座没电"})
    assert r.status_code == 302
    f = Feedback.objects.get()
    assert (f.station, f.kind, f.author) == (rest, "charger", cast.rider1)


@pytest.mark.parametrize("status,message", [(Status.SOON, "尚未开放"), (Status.PLANNED, "尚未开放"),
                                            (Status.CLOSED, "已关闭")])
def test_no_visit_at_a_station_not_open(client, api, make_station, status, message):
    station = make_station(name="还没开的驿站", status=status)
    token = code(codes.STATION, station.pk)
    r = client.get(url(token))
    assert r.status_code == 200 and message in r.content.decode()
    assert '<form method="post" novalidate>' not in r.content.decode()  # no check-in button
    r = client.post(url(token))
    assert r.status_code == 400 and message in r.content.decode()
    r = api.post(None, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 400 and message in r.json()["detail"]
    nothing_written()


def test_a_party_station_is_visited_without_a_feedback_form(client, party):
    token = code(codes.STATION, party.station.pk)
    client.post(url(token))
    assert StationVisit.objects.get().station == party.station
    body = client.get(url(token)).content.decode()
    assert "您已在这里签到" in body and "反馈问题" not in body


def test_api_visit_anonymous_and_signed_in(api, cast, rest):
    token = code(codes.STATION, rest.pk)
    r = api.post(None, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 201
    data = r.json()
    assert (data["kind"], data["created"], data["station"], data["feedback"], data["booking"]) == \
        ("station", True, rest.pk, True, None)
    r = api.post(cast.rider1, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 201
    assert api.post(cast.rider1, "/api/v1/stations/checkin", {"code": token}).status_code == 200  # again: nothing new
    assert [v.user for v in StationVisit.objects.order_by("id")] == [None, cast.rider1]


# ---- a room's code: the booker checks in ----------------------------------------------------------------------

def test_booker_checks_in_on_the_page_once(client, cast, party):
    b = book(party, cast.resident1, soon(), now=timezone.now())
    token = code(codes.ROOM, party.pk)
    r = client.get(url(token))
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")  # a room's booker signs in
    client.force_login(cast.resident1)
    r = client.get(url(token))
    assert r.status_code == 200 and "棋牌室" in r.content.decode()
    assert Booking.objects.get(pk=b.pk).checked_in_at is None
    r = client.post(url(token))
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.checked_in_at is not None and b.status == "confirmed"
    assert BookingEvent.objects.filter(booking=b, action="booking_checkin", actor=cast.resident1).count() == 1
    assert AuditEntry.objects.filter(object_type="stations.booking", object_id=str(b.pk), detail="checkin").count() == 1
    first = b.checked_in_at
    assert "签到成功：棋牌室" in client.get(url(token)).content.decode()
    client.post(url(token))  # again: says so, changes nothing
    b.refresh_from_db()
    assert b.checked_in_at == first
    assert AuditEntry.objects.filter(detail="checkin").count() == 1
    assert "已签到" in client.get(f"/stations/bookings/{b.pk}/").content.decode()


def test_someone_else_or_nobody_booked_gets_a_clear_message(client, cast, party):
    b = book(party, cast.resident1, soon(), now=timezone.now())
    client.force_login(cast.resident2)
    r = client.post(url(code(codes.ROOM, party.pk)))
    assert r.status_code == 400 and "您在棋牌室现在没有可签到的预约" in r.content.decode()
    assert Booking.objects.get(pk=b.pk).checked_in_at is None
    nothing_written()


def test_api_room_checkin_needs_a_token_and_the_booking(api, cast, party):
    b = book(party, cast.resident1, soon(), now=timezone.now())
    token = code(codes.ROOM, party.pk)
    r = api.post(None, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 401 and "请先登录" in r.json()["detail"]
    r = api.post(cast.resident2, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 409 and "没有可签到的预约" in r.json()["detail"]
    nothing_written()
    r = api.post(cast.resident1, "/api/v1/stations/checkin", {"code": token})
    assert r.status_code == 201
    data = r.json()
    assert (data["kind"], data["room"], data["booking"]["id"], data["feedback"]) == ("room", party.pk, b.pk, False)
    assert data["booking"]["checked_in_at"] is not None
    assert api.post(cast.resident1, "/api/v1/stations/checkin", {"code": token}).status_code == 200


DAY = datetime.date(2026, 3, 3)


def at(hour, minute=0):
    return datetime.datetime.combine(DAY, datetime.time(hour, minute), tzinfo=LOCAL)


def test_the_window_opens_early_and_closes_with_the_grace_time(cast, party):
    b = book(party, cast.resident1, at(10))
    with pytest.raises(services.Conflict, match="下一个预约 03-03 10:00 开始，请在开始前 15 分钟内签到"):
        services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(9, 44))
    with pytest.raises(services.Conflict, match="已超过签到时间"):
        services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(10, 15))
    assert Booking.objects.get(pk=b.pk).checked_in_at is None
    checked, created = services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(9, 45))
    assert created and checked.checked_in_at == at(9, 45)


def test_last_minute_of_the_grace_time_still_checks_in(cast, party):
    book(party, cast.resident1, at(10))
    checked, created = services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(10, 14))
    assert created and checked.checked_in_at == at(10, 14)


def test_a_booking_waiting_for_approval_is_not_checked_in(cast, party):
    party.needs_approval = True
    party.save()
    b = book(party, cast.resident1, at(10))
    with pytest.raises(services.Conflict, match="尚未通过审核"):
        services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(10))
    assert Booking.objects.get(pk=b.pk).checked_in_at is None


def test_back_to_back_bookings_check_in_to_the_one_coming(cast, party):
    first = book(party, cast.resident1, at(9))
    second = book(party, cast.resident1, at(10))
    services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(9, 5))
    checked, created = services.booking_check_in(user=cast.resident1, room_id=party.pk, now=at(9, 50))
    assert created and checked == second
    assert Booking.objects.get(pk=first.pk).checked_in_at == at(9, 5)
