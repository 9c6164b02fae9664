"""Checking in by QR code on a phone (390×844). The keeper property1 prints the codes of a rest station and of the
一期二期 station's rooms; what their PNGs scan to is what the phones open. rider1 checks in at the rest station and
reports a broken charger, which property1 then finds on their home and the station's page; resident1 books the
chess room for a few minutes from now and checks in by the room's code. Screenshots in
var/screenshots/appeal-checkin-*.png."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import scan_qr  # tests/conftest.py
from gongzhi.core.workdays import LOCAL
from gongzhi.stations import services
from gongzhi.stations.models import Booking, Feedback, Kind, Room, RoomReach, StationVisit, Status

from .test_appeal_walk import SHOTS, log_in, phone, shot

pytestmark = pytest.mark.browser

T = datetime.time
ALL_DAY = [(d, T(0), T(0)) for d in range(7)]


@pytest.fixture
def stations(appeal_cast):
    c = appeal_cast
    rest = services.station_create(user=c.community_worker, compound_id=c.K1.pk, name="暖锋驿站（新城）",
                                   kind=Kind.REST, status=Status.OPEN, lat=Decimal("24.1450"), lng=Decimal("115.7300"),
                                   hours=ALL_DAY, amenities=("seats", "water", "charging"))
    # Open all day, so that a booking may start a few minutes from now whenever the test runs.
    party = services.station_create(user=c.community_worker, compound_id=c.K1.pk, name="宁江新城一期二期党群驿站",
                                    kind=Kind.PARTY, status=Status.OPEN, lat=Decimal("24.1410"),
                                    lng=Decimal("115.7310"), hours=ALL_DAY)
    rooms = {}
    for name, capacity in (("活动室", 40), ("棋牌室", 8), ("阅览室", 20), ("议事厅", 15)):
        rooms[name] = Room.objects.create(station=party, name=name, capacity=capacity, max_minutes=120)
        for k in (c.K1, c.K2):
            RoomReach.objects.create(room=rooms[name], compound=k)
    return {"rest": rest, "party": party, "chess": rooms["棋牌室"]}


def scanned(ctx, base, station, sheet):
    """What a phone camera reads off the PNG of one sheet of the station's poster page."""
    page = ctx.new_page()
    page.goto(f"{base}/stations/kept/{station.pk}/codes/")
    href = page.locator(".st-sheet", has=page.locator(".st-sheet-title", has_text=sheet)).locator("a[download]") \
        .get_attribute("href")
    png = ctx.request.get(base + href)
    assert png.ok and png.headers["content-type"] == "image/png"
    text = scan_qr(png.body())
    page.close()
    return text


def test_rider_checks_in_and_reports_a_broken_charger_which_the_keeper_sees(live_server, appeal_cast, stations,
                                                                            browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, c = live_server.url, appeal_cast
    keeper, page = phone(browser)
    log_in(page, base, "property1", c.password, f"/stations/kept/{stations['rest'].pk}/")
    page.locator("a", has_text="打印签到二维码").click()
    page.wait_for_url(f"**/stations/kept/{stations['rest'].pk}/codes/")
    assert page.locator(".st-sheet svg").count() == 1
    shot(page, "checkin-1-poster")
    url = scanned(keeper, base, stations["rest"], "扫码签到")
    assert url.startswith(f"{base}/stations/checkin/")

    ctx, page = phone(browser)
    log_in(page, base, "rider1", c.password, "/")
    page.goto(url)
    assert page.locator("h1").inner_text() == "暖锋驿站（新城）"
    shot(page, "checkin-2-station")
    page.locator(".st-checkin button", has_text="签到").click()
    page.wait_for_selector("text=签到成功，欢迎来到暖锋驿站（新城）")
    assert page.locator(".st-checked").inner_text().strip().endswith("您已在这里签到。")
    visit = StationVisit.objects.get()
    assert (visit.station, visit.user) == (stations["rest"], c.rider1)

    page.locator("label", has_text="充电设施坏了").click()
    page.fill("#st-feedback-note", "东侧充电插座没电")
    shot(page, "checkin-3-report")
    page.locator("button", has_text="提交反馈").click()
    page.wait_for_selector("text=已收到您的反馈")
    f = Feedback.objects.get()
    assert (f.station, f.kind, f.author, f.status) == (stations["rest"], "charger", c.rider1, "open")
    ctx.close()

    page = keeper.new_page()
    page.goto(base + "/")
    page.locator("a", has_text="暖锋驿站（新城） · 充电设施坏了").click()
    page.wait_for_selector("input[name=reply]")
    assert "东侧充电插座没电" in page.locator("#st-open-feedback").locator("..").inner_text()
    assert page.locator(".st-usage-totals").inner_text().startswith("扫码签到 1")
    shot(page, "checkin-4-keeper")
    keeper.close()


def test_resident_books_the_chess_room_and_checks_in_by_its_code(live_server, appeal_cast, stations, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, c = live_server.url, appeal_cast
    keeper, page = phone(browser)
    log_in(page, base, "property1", c.password, f"/stations/kept/{stations['party'].pk}/codes/")
    assert page.locator(".st-sheet svg").count() == 5  # the station and its four rooms
    url = scanned(keeper, base, stations["party"], "棋牌室")
    keeper.close()

    ctx, page = phone(browser)
    page.goto(url)  # not signed in: a room's code asks who is checking in
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    page.fill("#id_username", "resident1")
    page.fill("#id_password", c.password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(url)
    assert "您今天在这里没有预约" in page.locator("main").inner_text()

    # A booking a few minutes from now: within the check-in window as soon as it is made.
    start = (timezone.now() + datetime.timedelta(minutes=3)).astimezone(LOCAL).replace(second=0, microsecond=0)
    page.goto(f"{base}/stations/rooms/")
    page.locator("a", has_text="棋牌室").click()
    page.wait_for_url(f"**/stations/rooms/{stations['chess'].pk}/")
    page.goto(f"{base}/stations/rooms/{stations['chess'].pk}/?date={start:%Y-%m-%d}")
    page.fill("#id_start", f"{start:%H:%M}")
    page.select_option("#id_minutes", "60")
    page.fill("#id_attendees", "4")
    page.fill("#id_purpose", "象棋对弈")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/stations/bookings/\d+/$"))
    b = Booking.objects.get()
    assert (b.booked_by, b.room, b.status, b.starts_at) == (c.resident1, stations["chess"], "confirmed", start)
    assert "到场后请扫描活动室门口的二维码签到" in page.locator("main").inner_text()

    page.goto(url)  # at the door: the room's code
    assert page.locator("h1").inner_text() == "宁江新城一期二期党群驿站 · 棋牌室"
    shot(page, "checkin-5-room")
    page.locator(".st-checkin button", has_text="签到").click()
    page.wait_for_selector("text=签到成功：棋牌室")
    b.refresh_from_db()
    assert b.checked_in_at is not None and b.status == "confirmed"
    shot(page, "checkin-6-room-done")
    page.goto(f"{base}/stations/bookings/{b.pk}/")
    assert "已签到" in page.locator(".st-booking-checkin").inner_text()
    ctx.close()


@pytest.mark.parametrize("elder,english", [(False, False), (True, False), (False, True)])
def test_checkin_pages_are_accessible(live_server, appeal_cast, stations, browser, elder, english):
    """The check-in pages (a station's, a refused code's, a room's), the poster and the keeper's page with its
    figures pass axe and the 44 px targets, in 长辈版 and in English too."""
    from django.contrib.auth import get_user_model

    from gongzhi.stations import codes

    from .test_accessibility import check, device

    base, c = live_server.url, appeal_cast
    tag = f"{'elder' if elder else 'std'}-{'en' if english else 'zh'}"
    until = codes.poster_expiry()
    station_url = f"/stations/checkin/{codes.make(codes.STATION, stations['rest'].pk, expires_at=until)}/"
    room_url = f"/stations/checkin/{codes.make(codes.ROOM, stations['chess'].pk, expires_at=until)}/"
    get_user_model().objects.filter(username__in=["resident1", "property1"]).update(elder_mode=elder)
    ctx, page = device(browser, base, elder=elder, english=english)
    for path, name in ((station_url, "station"), ("/stations/checkin/not-a-code/", "refused")):
        page.goto(base + path)
        check(page, f"checkin-{name}-{tag}", elder=elder, english=english)
    page.goto(base + station_url)
    page.locator(".st-checkin button").click()
    page.wait_for_selector(".st-checked")
    check(page, f"checkin-station-done-{tag}", elder=elder, english=english)
    log_in(page, base, "resident1", c.password, room_url)
    page.locator(".st-checkin button").click()
    page.wait_for_selector(".st-checkin-error")  # no booking on now: the message, read out
    check(page, f"checkin-room-refused-{tag}", elder=elder, english=english)
    ctx.close()
    ctx, page = device(browser, base, elder=elder, english=english)
    log_in(page, base, "property1", c.password, f"/stations/kept/{stations['party'].pk}/codes/")
    check(page, f"checkin-poster-{tag}", elder=elder, english=english)
    page.goto(f"{base}/stations/kept/{stations['party'].pk}/#st-usage")
    check(page, f"checkin-keep-{tag}", elder=elder, english=english)
    ctx.close()
