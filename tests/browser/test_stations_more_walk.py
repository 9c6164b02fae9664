"""Stations on a phone (390×844), continued: rider1 reports a broken street light (随手拍) with a photo and the
phone's position from their home, and once it is verified sees the points it earned; the finder page draws the
nearest stations on a small map, and without script, or when the map's script never arrives, the list is the
whole page; resident1 books the chess room weekly, is shown the week that clashes and skips it.
Screenshots in var/screenshots/appeal-stations-*.png."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.appeals.models import Appeal, AppealPhoto
from gongzhi.appeals.services import appeal_act
from gongzhi.core.workdays import LOCAL
from gongzhi.lists.models import LedgerEntry
from gongzhi.stations import services
from gongzhi.stations.models import Booking

from .test_appeal_walk import SHOTS, log_in
from .test_stations_walk import HERE, cards, phone, shot, stations  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _photo(tmp_path):
    path = tmp_path / "street-light.jpg"
    Image.new("RGB", (640, 480), (40, 40, 60)).save(path, "JPEG")
    return str(path)


def test_rider_reports_a_broken_street_light_with_a_photo(live_server, appeal_cast, browser, tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, c = live_server.url, appeal_cast
    RoleAssignment.objects.filter(user=c.rider1, role=Role.OUTDOOR_WORKER).update(subdistrict=c.S)  # their beat
    ctx, page = phone(browser, located=True)
    log_in(page, base, "rider1", c.password, "/")
    panel = page.locator("section[aria-labelledby=home-reports]")
    assert "今年获得积分 0，已确认 0 件" in panel.inner_text()
    shot(page, "stations-10-rider-home")

    panel.locator("a", has_text="拍照上报").click()
    page.wait_for_url("**/appeals/new/?place=location")
    assert page.locator("input[name=place][value=location]").is_checked()
    assert page.locator("[data-geolocate]").is_visible() and not page.locator("#id_compound").is_visible()
    page.locator("[data-geolocate]").click()
    page.locator("[data-geo-status]", has_text="已获取位置").wait_for()
    page.select_option("#id_category", label="路灯照明")
    page.fill("#id_description", "福兴路口路灯不亮，晚上送餐看不清路")
    page.fill("#id_address", "福兴路与新城大道路口")
    page.set_input_files("#id_photos", _photo(tmp_path))
    shot(page, "stations-11-rider-report")
    page.locator("form.appeal-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/appeals/\d+/$"))
    a = Appeal.objects.get()
    assert (a.reporter, a.compound, float(a.lat), float(a.lng)) == (c.rider1, c.K1, HERE["latitude"],
                                                                   HERE["longitude"])
    assert AppealPhoto.objects.filter(appeal=a).count() == 1
    assert "已提交" in page.locator("main").inner_text()
    shot(page, "stations-12-rider-reported")

    # The handler fixes it, the grid worker confirms it: the report earns its points, once.
    a = appeal_act(user=c.community_worker, appeal=a, action="dispatch", handler=c.property_co.pk)
    a = appeal_act(user=c.property1, appeal=a, action="take")
    a = appeal_act(user=c.property1, appeal=a, action="resolve", note="已更换灯泡")
    appeal_act(user=c.grid_worker, appeal=a, action="verify")
    assert LedgerEntry.objects.get(person=c.rider1).source == f"appeals.report:{a.pk}"
    page.goto(base + "/")
    panel = page.locator("section[aria-labelledby=home-reports]")
    assert "今年获得积分 5，已确认 1 件" in panel.inner_text() and "+5 积分" in panel.inner_text()
    mine = page.locator("section[aria-labelledby=home-mine]").inner_text()
    assert "福兴路口路灯不亮" in mine and "已核查" in mine  # what came of it
    shot(page, "stations-13-rider-points")
    ctx.close()


def _map_drawn(page):
    page.wait_for_function("document.getElementById('st-map') && document.getElementById('st-map').dataset.drawn")


def test_finder_map_on_a_phone(live_server, stations, browser):  # noqa: F811 - the fixture
    base = live_server.url
    ctx, page = phone(browser, located=True)
    page.goto(base + "/stations/find/")
    page.locator("#st-locate").click()
    page.wait_for_url(re.compile(r".*lat=24\.14.*"))
    _map_drawn(page)
    box = page.locator("#st-map")
    assert box.is_visible() and box.locator("canvas").count() == 1
    assert page.evaluate("document.getElementById('st-results').classList.contains('st-numbered')")
    assert len(cards(page)) == 3
    page.locator("#st-map").scroll_into_view_if_needed()
    shot(page, "stations-14-map")
    ctx.close()


def test_finder_without_script_or_without_the_maps_script_is_the_list(live_server, stations, browser):  # noqa: F811
    base = live_server.url
    url = f"{base}/stations/find/?lat=24.140000&lng=115.730000&amenity=charging"
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
                              java_script_enabled=False)
    page = ctx.new_page()
    page.goto(url)
    assert cards(page) == [("暖锋驿站（福兴路）", "即将开放"), ("暖锋驿站（新城）", "正在开放")]
    assert not page.locator("#st-map").is_visible()
    shot(page, "stations-15-no-script")
    ctx.close()

    ctx, page = phone(browser, located=True)
    page.route("**/echarts.min.js", lambda route: route.abort())  # a connection that drops the big file
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert cards(page) == [("暖锋驿站（福兴路）", "即将开放"), ("暖锋驿站（新城）", "正在开放")]
    assert not page.locator("#st-map").is_visible()
    ctx.close()


def test_resident_books_weekly_and_skips_the_week_taken(live_server, stations, appeal_cast, browser):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, c, chess = live_server.url, appeal_cast, stations["chess"]
    day = timezone.now().astimezone(LOCAL).date() + datetime.timedelta(days=2)
    week = datetime.timedelta(weeks=1)
    taken_at = datetime.datetime.combine(day + week, datetime.time(19, 30), tzinfo=LOCAL)
    services.booking_create(user=c.community_worker, room_id=chess.pk, starts_at=taken_at,
                            ends_at=taken_at + datetime.timedelta(hours=1), attendees=2, purpose="下棋")
    ctx, page = phone(browser, located=False)
    log_in(page, base, "resident1", c.password, f"/stations/rooms/{chess.pk}/")
    page.locator(f".st-month a[href='?date={day:%Y-%m-%d}']").click()
    page.wait_for_url(re.compile(rf".*date={day:%Y-%m-%d}"))
    assert page.locator(".st-month td.on a").get_attribute("aria-current") == "date"
    shot(page, "stations-16-month")

    page.fill("#id_start", "19:00")
    page.select_option("#id_minutes", "120")
    page.fill("#id_attendees", "6")
    page.fill("#id_purpose", "每周象棋练习")
    page.select_option("#id_weeks", "4")
    page.locator("form.form button[type=submit]").click()
    conflicts = page.locator(".st-conflicts")
    conflicts.wait_for()
    assert f"第 2 周（{day + week:%Y-%m-%d} 19:00）：该时段已被预约" in conflicts.inner_text()
    assert not Booking.objects.filter(booked_by=c.resident1).exists()
    shot(page, "stations-17-conflict")

    conflicts.locator("button", has_text="预约其余 3 周").click()
    page.wait_for_url(re.compile(r".*/stations/bookings/\d+/$"))
    assert page.locator(".messages").inner_text().startswith("已预约每周重复 3 周")
    assert page.locator(".st-series li").count() == 3
    mine = Booking.objects.filter(booked_by=c.resident1).order_by("starts_at")
    assert [b.starts_at.astimezone(LOCAL).date() for b in mine] == [day, day + 2 * week, day + 3 * week]
    assert len({b.series for b in mine}) == 1
    shot(page, "stations-18-series")
    page.locator("button[value=cancel_series]").click()
    page.wait_for_url(re.compile(r".*/stations/bookings/\d+/$"))
    assert set(Booking.objects.filter(booked_by=c.resident1).values_list("status", flat=True)) == {"cancelled"}
    ctx.close()


def test_rider_home_fits_a_phone_with_a_beat(live_server, appeal_cast, browser):
    """The rider's whole home with its beat: the nearest stations, 随手拍 and their reports, nothing sideways."""
    base, c = live_server.url, appeal_cast
    RoleAssignment.objects.filter(user=c.rider1, role=Role.OUTDOOR_WORKER).update(subdistrict=c.S)
    services.station_create(user=c.community_worker, compound_id=c.K1.pk, name="暖锋驿站（新城）", kind="rest",
                            status="open", lat=Decimal("24.1450"), lng=Decimal("115.7300"),
                            hours=[(d, datetime.time(0), datetime.time(0)) for d in range(7)], amenities=("water",))
    ctx, page = phone(browser, located=False)
    log_in(page, base, "rider1", c.password, "/")
    text = page.locator("main").inner_text()
    assert "附近的暖锋驿站" in text and "随手拍" in text and "我的诉求" in text
    shot(page, "stations-19-rider-home-beat")
    ctx.close()


@pytest.mark.parametrize("elder", [False, True])
def test_new_station_pages_are_accessible(live_server, stations, appeal_cast, browser, elder):  # noqa: F811
    """axe and 44 px targets, in 长辈版 too: the finder with its map drawn, a room's month with a weekly booking's
    conflicts, a booking of a series, the rider's home with 随手拍."""
    from .test_accessibility import check, device, no_english, no_sideways_scroll

    base, c, chess = live_server.url, appeal_cast, stations["chess"]
    tag = "elder" if elder else "std"
    day = timezone.now().astimezone(LOCAL).date() + datetime.timedelta(days=2)
    taken_at = datetime.datetime.combine(day + datetime.timedelta(weeks=1), datetime.time(19), tzinfo=LOCAL)
    services.booking_create(user=c.community_worker, room_id=chess.pk, starts_at=taken_at,
                            ends_at=taken_at + datetime.timedelta(hours=1), attendees=2, purpose="下棋")
    RoleAssignment.objects.filter(user=c.rider1, role=Role.OUTDOOR_WORKER).update(subdistrict=c.S)
    User.objects.filter(username__in=["resident1", "rider1"]).update(elder_mode=elder)
    ctx, page = device(browser, base, elder=elder)
    page.goto(f"{base}/stations/find/?lat=24.140000&lng=115.730000")
    _map_drawn(page)
    check(page, f"stations-find-map-{tag}", elder=elder)
    no_english(page, "find-map")
    no_sideways_scroll(page, "find-map")
    log_in(page, base, "resident1", c.password, f"/stations/rooms/{chess.pk}/?date={day:%Y-%m-%d}")
    strip_scrolls = "document.querySelectorAll('.st-days').forEach(el => el.classList.add('tabs'))"
    page.evaluate(strip_scrolls)  # the strip of days scrolls sideways on its own (test_stations_walk.shot)
    no_sideways_scroll(page, "room-month")
    page.fill("#id_start", "19:00")
    page.select_option("#id_minutes", "60")
    page.fill("#id_purpose", "每周象棋练习")
    page.select_option("#id_weeks", "3")
    page.locator("form.form button[type=submit]").click()
    page.locator(".st-conflicts").wait_for()
    check(page, f"stations-room-conflict-{tag}", elder=elder)
    page.evaluate(strip_scrolls)
    no_sideways_scroll(page, "room-conflict")
    page.locator(".st-conflicts button").click()
    page.wait_for_url(re.compile(r".*/stations/bookings/\d+/$"))
    check(page, f"stations-series-{tag}", elder=elder)
    ctx.close()
    ctx, page = device(browser, base, elder=elder)
    log_in(page, base, "rider1", c.password, "/")
    check(page, f"home-rider1-beat-{tag}", elder=elder)
    no_english(page, "home-rider1-beat", allowed={"rider1"})
    ctx.close()
