"""Activities end to end through the pages and the JSON API: publishing, signing up and the waitlist, the
keepers' roster and printed code, checking in by scanning it; outsiders get 404; English throughout."""
import datetime
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from conftest import scan_qr  # tests/conftest.py
from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.stations import activities, codes, services
from gongzhi.stations.models import Activity, ActivitySignup, Kind, Room, RoomReach

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(cast, make_station):
    """A room open round the clock, so that pages run at any hour of the real day."""
    station = make_station(name="宁江新城党群驿站", kind=Kind.PARTY)
    room = Room.objects.create(station=station, name="活动室", capacity=40)
    for k in (cast.K1, cast.K2):
        RoomReach.objects.create(room=room, compound=k)
    return room


@pytest.fixture
def outsider(cast):
    u = User.objects.create_user(username="dongfeng_resident", password=cast.password)
    RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=cast.H3)
    return u


def publish(cast, hall, *, start=None, capacity=2, room=True, **kw):
    start = start or timezone.now() + datetime.timedelta(days=2)
    return activities.activity_publish(
        user=cast.community_worker, station_id=hall.station_id, title=kw.pop("title", "党的知识讲座"),
        kind=kw.pop("kind", "lecture"), starts_at=start, ends_at=start + datetime.timedelta(hours=1),
        capacity=capacity, room_id=hall.pk if room else None, now=kw.pop("now", None), **kw)


def ongoing(cast, hall, **kw):
    """An activity that began ten minutes ago (published the day before)."""
    now = timezone.now()
    return publish(cast, hall, start=now - datetime.timedelta(minutes=10), now=now - datetime.timedelta(days=1), **kw)


@pytest.fixture
def api(api, client):
    """The shared JSON client, and PUT."""
    from gongzhi.accounts.models import ApiToken

    def put(user, path, data):
        _token, raw = ApiToken.issue(user, 1)
        return client.put(path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")

    api.put = put
    return api


def text(response):
    return response.content.decode()


# ---- pages ------------------------------------------------------------------------------------------------

def test_residents_list_and_sign_up_outsiders_get_404(client, cast, hall, outsider):
    a = publish(cast, hall)
    client.force_login(cast.resident1)
    assert "党的知识讲座" in text(client.get("/stations/activities/"))
    r = client.get(f"/stations/activities/{a.pk}/")
    assert r.status_code == 200 and "报名" in text(r)
    r = client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"}, follow=True)
    assert "报名成功" in text(r) and "您已报名" in text(r)
    r = client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"}, follow=True)
    assert "不能重复报名" in text(r) and ActivitySignup.objects.filter(activity=a).count() == 1
    client.force_login(outsider)
    assert "党的知识讲座" not in text(client.get("/stations/activities/"))
    assert client.get(f"/stations/activities/{a.pk}/").status_code == 404
    assert client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"}).status_code == 404
    client.force_login(cast.rider1)
    assert client.get("/stations/activities/").status_code == 404
    assert ActivitySignup.objects.filter(activity=a).count() == 1


def test_the_waitlist_on_the_page_and_moving_up(client, cast, hall):
    a = publish(cast, hall, capacity=1)
    services_order = (cast.resident1, cast.resident2)
    for u in services_order:
        client.force_login(u)
        client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"})
    r = client.get(f"/stations/activities/{a.pk}/")
    assert "您在候补名单第 1 位" in text(r) and "退出候补" in text(r)
    client.force_login(cast.resident1)
    r = client.post(f"/stations/activities/{a.pk}/act/", {"act": "leave"}, follow=True)
    assert "已取消报名" in text(r)
    assert ActivitySignup.objects.get(person=cast.resident2, activity=a).status == "confirmed"


def test_keepers_publish_edit_and_cancel_from_the_pages(client, cast, hall):
    client.force_login(cast.property1)
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    form = {"station": hall.station_id, "room": hall.pk, "title": "象棋擂台赛", "kind": "chess",
            "starts_at": f"{start:%Y-%m-%dT%H:%M}", "ends_at": f"{start + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M}",
            "capacity": "8"}
    assert client.get("/stations/activities/new/").status_code == 200
    r = client.post("/stations/activities/new/", {**form, "title": ""})
    assert r.status_code == 400 and "请填写活动名称" in text(r) and not Activity.objects.exists()
    r = client.post("/stations/activities/new/", {**form, "capacity": "41"})
    assert r.status_code == 400 and "活动室的容量" in text(r)
    r = client.post("/stations/activities/new/", form)
    a = Activity.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/stations/activities/{a.pk}/"
    assert a.booking.room == hall and a.organiser_id is None
    url = f"/stations/activities/{a.pk}/edit/"
    r = client.get(url)
    assert r.status_code == 200 and 'value="象棋擂台赛"' in text(r)
    r = client.post(url, {**form, "title": "象棋擂台赛（决赛）", "version": a.version})
    assert r.status_code == 302 and Activity.objects.get().title == "象棋擂台赛（决赛）"
    r = client.post(url, {**form, "title": "又一个名字", "version": a.version})  # read before the last save
    assert r.status_code == 400 and "已被他人修改" in text(r)
    r = client.post(f"/stations/activities/{a.pk}/act/", {"act": "cancel", "reason": "场地维修"}, follow=True)
    assert "活动已取消" in text(r) and Activity.objects.get().status == "cancelled"
    client.force_login(cast.resident1)
    assert client.get("/stations/activities/new/").status_code == 404
    assert client.get(url).status_code == 404
    assert client.post(f"/stations/activities/{a.pk}/act/", {"act": "cancel"}).status_code == 404
    assert not ActivitySignup.objects.exists()


def test_the_roster_and_attendance_by_hand(client, cast, hall):
    a = ongoing(cast, hall, capacity=1, room=False)
    ActivitySignup.objects.create(activity=a, person=cast.resident1, status="confirmed")
    Activity.objects.filter(pk=a.pk).update(seats_taken=1)
    ActivitySignup.objects.create(activity=a, person=cast.resident2, status="waiting")
    client.force_login(cast.community_worker)
    r = client.get(f"/stations/activities/{a.pk}/")
    assert "报名名单" in text(r) and "resident1" in text(r) and "候补名单" in text(r) and "resident2" in text(r)
    s = ActivitySignup.objects.get(person=cast.resident1)
    r = client.post(f"/stations/activities/{a.pk}/act/", {"act": "attend", "signup": s.pk}, follow=True)
    assert "已登记签到" in text(r) and ActivitySignup.objects.get(pk=s.pk).attended_via == "keeper"
    client.force_login(cast.resident1)
    assert "报名名单" not in text(client.get(f"/stations/activities/{a.pk}/"))


def test_keepers_print_the_code_and_its_png_scans_to_the_check_in_page(client, cast, hall):
    a = publish(cast, hall)
    client.force_login(cast.community_worker)
    r = client.get(f"/stations/activities/{a.pk}/code/")
    assert r.status_code == 200 and "<svg" in text(r) and "/stations/activities/checkin/" in text(r)
    r = client.get(f"/stations/activities/{a.pk}/code.png")
    assert r["Content-Type"] == "image/png"
    path = urlparse(scan_qr(r.content)).path
    assert path.startswith("/stations/activities/checkin/")
    assert codes.read(path.split("/")[-2])[:2] == (codes.ACTIVITY, a.pk)
    client.force_login(cast.resident1)
    assert client.get(f"/stations/activities/{a.pk}/code/").status_code == 404
    assert client.get(f"/stations/activities/{a.pk}/code.png").status_code == 404


def test_checking_in_by_scanning(client, cast, hall, outsider):
    a = ongoing(cast, hall, room=False)
    ActivitySignup.objects.create(activity=a, person=cast.resident1, status="confirmed")
    Activity.objects.filter(pk=a.pk).update(seats_taken=1)
    url = f"/stations/activities/checkin/{activities.code_for(a)}/"
    assert client.get(url).status_code == 302  # to the login, then back here
    client.force_login(cast.resident1)
    r = client.get(url)
    assert r.status_code == 200 and a.title in text(r) and ActivitySignup.objects.get().attended_at is None
    r = client.post(url, follow=True)
    assert "签到成功" in text(r) and ActivitySignup.objects.get().attended_via == "code"
    r = client.post(url, follow=True)
    assert "您已签到过了" in text(r)
    for token, why in ((activities.code_for(a)[:-2] + "zz", "二维码无效"),
                       (codes.make(codes.ROOM, hall.pk, expires_at=a.ends_at), "不是活动签到码"),
                       (codes.make(codes.ACTIVITY, a.pk, expires_at=timezone.now() - datetime.timedelta(seconds=5)),
                        "已过期")):
        r = client.get(f"/stations/activities/checkin/{token}/")
        assert r.status_code == 400 and why in text(r)
    client.force_login(outsider)
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404


def test_a_full_activity_refuses_a_walk_in_on_the_page(client, cast, hall):
    a = ongoing(cast, hall, capacity=1, room=False)
    ActivitySignup.objects.create(activity=a, person=cast.resident2, status="confirmed")
    Activity.objects.filter(pk=a.pk).update(seats_taken=1)
    client.force_login(cast.resident1)
    r = client.post(f"/stations/activities/checkin/{activities.code_for(a)}/")
    assert r.status_code == 400 and "名额已满" in text(r)
    assert not ActivitySignup.objects.filter(person=cast.resident1).exists()


def test_the_residents_home_shows_their_sign_ups_and_place_in_the_queue(client, cast, hall):
    a = publish(cast, hall, capacity=1, title="象棋擂台赛·挑战席")
    b = publish(cast, hall, title="太极晨练", start=timezone.now() + datetime.timedelta(days=4))
    activities.signup_create(user=cast.resident2, activity_id=a.pk)
    activities.signup_create(user=cast.resident1, activity_id=a.pk)
    client.force_login(cast.resident1)
    r = text(client.get("/"))
    assert "驿站活动" in r and "象棋擂台赛·挑战席" in r and "候补第 1 位" in r
    assert "可以报名的活动" in r and "太极晨练" in r
    client.force_login(cast.rider1)
    assert "候补第" not in text(client.get("/")) and b.title not in text(client.get("/"))


def test_the_pages_speak_english(client, cast, hall):
    a = publish(cast, hall, capacity=1)
    client.force_login(cast.resident1)
    client.cookies.load({"django_language": "en"})
    r = text(client.get(f"/stations/activities/{a.pk}/"))
    assert "Sign up" in r and "Party knowledge lecture" in r and "报名" not in r
    r = text(client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"}, follow=True))
    assert "You have signed up" in r
    client.force_login(cast.resident2)
    client.cookies.load({"django_language": "en"})
    r = text(client.post(f"/stations/activities/{a.pk}/act/", {"act": "signup"}, follow=True))
    assert "waitlist" in r and "No. 1" in r


# ---- the JSON API ----------------------------------------------------------------------------------------

def test_api_sign_up_waitlist_leave_and_outsiders(api, cast, hall, outsider):
    a = publish(cast, hall, capacity=1)
    base = f"/api/v1/stations/activities/{a.pk}"
    r = api.post(cast.resident1, f"{base}/signup")
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    r = api.post(cast.resident1, f"{base}/signup")
    assert r.status_code == 409 and "不能重复报名" in r.json()["detail"]
    r = api.post(cast.resident2, f"{base}/signup")
    assert r.status_code == 201 and (r.json()["status"], r.json()["position"]) == ("waiting", 1)
    r = api.get(cast.resident2, base)
    assert r.json()["mine"]["position"] == 1 and r.json()["waiting"] == 1 and r.json()["seats_left"] == 0
    assert [(i["activity"]["id"], i["position"]) for i in api.get(cast.resident2, "/api/v1/stations/activities/mine")
            .json()] == [(a.pk, 1)]
    r = api.post(cast.resident1, f"{base}/leave")
    assert r.status_code == 200 and r.json()["mine"] is None
    assert api.get(cast.resident2, base).json()["mine"]["status"] == "confirmed"
    assert api.post(cast.resident1, f"{base}/leave").status_code == 409
    for user in (outsider, cast.rider1):
        assert api.get(user, base).status_code == 404
        assert api.post(user, f"{base}/signup").status_code == 404
        assert [i["id"] for i in api.get(user, "/api/v1/stations/activities").json()] == []
    assert api.post(cast.resident1, "/api/v1/stations/activities/999999/signup").status_code == 404


def test_api_keepers_publish_read_the_roster_and_record_attendance(api, cast, hall):
    start = timezone.now() + datetime.timedelta(days=5)
    body = {"station": hall.station_id, "room": hall.pk, "title": "志愿服务日", "kind": "volunteer",
            "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "capacity": 10, "volunteer_hours": True}
    r = api.post(cast.community_worker, "/api/v1/stations/activities", body)
    assert r.status_code == 201, r.content
    a = r.json()
    assert (a["room_name"], a["capacity"], a["volunteer_hours"]) == ("活动室", 10, True)
    r = api.post(cast.community_worker, "/api/v1/stations/activities", body)
    assert r.status_code == 409 and r.json()["field"] == "starts_at"  # the room is the first one's at that time
    r = api.post(cast.community_worker, "/api/v1/stations/activities", {**body, "capacity": 0, "room": None})
    assert r.status_code == 400 and r.json()["field"] == "capacity"
    assert api.post(cast.resident1, "/api/v1/stations/activities", {**body, "room": None}).status_code == 404
    assert Activity.objects.count() == 1
    api.post(cast.resident1, f"/api/v1/stations/activities/{a['id']}/signup")
    roster = api.get(cast.community_worker, f"/api/v1/stations/activities/{a['id']}/signups")
    assert [row["person"] for row in roster.json()["confirmed"]] == ["resident1"]
    assert api.get(cast.resident1, f"/api/v1/stations/activities/{a['id']}/signups").status_code == 404
    r = api.put(cast.community_worker, f"/api/v1/stations/activities/{a['id']}",
                {**body, "version": a["version"], "capacity": 12})
    assert r.status_code == 200 and r.json()["capacity"] == 12
    r = api.put(cast.community_worker, f"/api/v1/stations/activities/{a['id']}", {**body, "version": a["version"]})
    assert r.status_code == 409 and r.json()["field"] == "version"
    signup_id = roster.json()["confirmed"][0]["id"]
    r = api.post(cast.community_worker, f"/api/v1/stations/activities/{a['id']}/signups/{signup_id}/attend")
    assert r.status_code == 400  # not begun yet
    r = api.post(cast.community_worker, f"/api/v1/stations/activities/{a['id']}/cancel", {"reason": "台风"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.post(cast.community_worker, f"/api/v1/stations/activities/{a['id']}/cancel").status_code == 409


def test_api_checks_in_by_the_code_and_refuses_the_wrong_ones(api, cast, hall):
    a = ongoing(cast, hall, room=False, title="志愿服务日", kind="volunteer", volunteer_hours=True)
    ActivitySignup.objects.create(activity=a, person=cast.member1, status="confirmed")
    Activity.objects.filter(pk=a.pk).update(seats_taken=1)
    r = api.get(cast.community_worker, f"/api/v1/stations/activities/{a.pk}/code")
    assert r.status_code == 200 and "/stations/activities/checkin/" in r.json()["url"]
    token = r.json()["token"]
    assert api.get(cast.member1, f"/api/v1/stations/activities/{a.pk}/code").status_code == 404
    for bad, why in ((token[:-2] + "zz", "无效"), (codes.make(codes.STATION, hall.station_id, expires_at=a.ends_at),
                                                  "不是活动签到码")):
        r = api.post(cast.member1, "/api/v1/stations/activities/checkin", {"token": bad})
        assert r.status_code == 400 and r.json()["field"] == "code" and why in r.json()["detail"]
    r = api.post(cast.member1, "/api/v1/stations/activities/checkin", {"token": token})
    assert r.status_code == 200 and r.json()["newly"] and r.json()["signup"]["attended_at"]
    r = api.post(cast.member1, "/api/v1/stations/activities/checkin", {"token": token})
    assert r.status_code == 200 and not r.json()["newly"]
    from gongzhi.lists.models import LedgerEntry

    assert LedgerEntry.objects.filter(person=cast.member1, source__startswith="stations.activity:").count() == 1


def test_api_conflict_when_the_room_is_booked(api, cast, hall):
    start = timezone.now() + datetime.timedelta(days=1)
    services.booking_create(user=cast.resident1, room_id=hall.pk, starts_at=start,
                            ends_at=start + datetime.timedelta(hours=1), attendees=3, purpose="议事")
    a = publish(cast, hall, start=start + datetime.timedelta(hours=1))
    r = api.put(cast.community_worker, f"/api/v1/stations/activities/{a.pk}",
                {"title": a.title, "kind": a.kind, "starts_at": start.isoformat(), "capacity": 2, "room": hall.pk,
                 "ends_at": (start + datetime.timedelta(hours=1)).isoformat(), "version": a.version})
    assert r.status_code == 409
    assert Activity.objects.get(pk=a.pk).starts_at == start + datetime.timedelta(hours=1)
