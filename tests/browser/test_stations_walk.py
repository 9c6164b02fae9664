"""Stations on a phone (390×844): an anonymous rider finds the nearest open rest station with a charger (by the
phone's position, or by a chosen place when the position is refused) and never takes an "opening soon" station
for an open one; resident1 books the chess room of the 一期二期 station and finds it among their bookings.
Screenshots in var/screenshots/appeal-stations-*.png."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.core.workdays import LOCAL
from gongzhi.stations import services
from gongzhi.stations.models import Booking, BookingStatus, Kind, Room, RoomReach, Status

from .test_appeal_walk import PHONE, SHOTS, log_in
from .test_appeal_walk import shot as phone_shot

pytestmark = pytest.mark.browser

T = datetime.time
ALL_DAY = [(d, T(0), T(0)) for d in range(7)]
# The rider stands at the 一期 compound's centre (24.140, 115.730).
HERE = {"latitude": 24.140, "longitude": 115.730}


@pytest.fixture
def stations(appeal_cast):
    c = appeal_cast

    def make(name, lat, lng, *, kind=Kind.REST, status=Status.OPEN, amenities=("seats", "water"), hours=ALL_DAY):
        return services.station_create(user=c.community_worker, compound_id=c.K1.pk, name=name, kind=kind,
                                       status=status, lat=Decimal(lat), lng=Decimal(lng), hours=hours,
                                       amenities=amenities)

    # Nearest first: a "soon" one with a charger, an open one without, then the open one with a charger.
    soon = make("暖锋驿站（福兴路）", "24.1405", "115.7300", status=Status.SOON, amenities=("seats", "charging"))
    plain = make("银行网点暖心驿站", "24.1420", "115.7300")
    charger = make("暖锋驿站（新城）", "24.1450", "115.7300", amenities=("seats", "water", "charging"))
    party = make("宁江新城一期二期党群驿站", "24.1410", "115.7310", kind=Kind.PARTY,
                 hours=[(d, T(8), T(22)) for d in range(7)])
    chess = Room.objects.create(station=party, name="棋牌室", capacity=8, max_minutes=120, horizon_days=14)
    RoomReach.objects.create(room=chess, compound=c.K1)
    return {"soon": soon, "plain": plain, "charger": charger, "chess": chess}


def phone(browser, *, located):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                              locale="zh-CN", geolocation=HERE, permissions=["geolocation"] if located else [])
    return ctx, ctx.new_page()


def shot(page, name):
    """The appeal walk's check, but the room's strip of days scrolls sideways on its own, as it should: it must
    itself fit the phone."""
    page.evaluate("document.querySelectorAll('.st-days').forEach(el => el.classList.add('tabs'))")
    assert page.evaluate("[...document.querySelectorAll('.st-days')].every(el => el.getBoundingClientRect().right"
                         " <= document.documentElement.clientWidth && getComputedStyle(el).overflowX === 'auto')")
    phone_shot(page, name)


def cards(page):
    return [(li.locator(".st-name").inner_text(), li.locator(".st-badge").inner_text())
            for li in page.locator("#st-results .st-card").all()]


def test_rider_finds_the_nearest_open_station_with_a_charger(live_server, stations, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    ctx, page = phone(browser, located=True)
    page.goto(base + "/")
    page.locator("a", has_text="找附近的驿站").click()
    page.wait_for_url("**/stations/find/")
    shot(page, "stations-1-find")

    page.locator("input[name=amenity][value=charging]").check()
    page.locator("#st-locate").click()
    page.wait_for_url(re.compile(r".*/stations/find/\?.*lat=24\.14.*"))
    found = cards(page)
    # The "soon" station is nearer but says so; the nearest one to use is the open one with a charger.
    assert found == [("暖锋驿站（福兴路）", "即将开放"), ("暖锋驿站（新城）", "正在开放")], found
    assert page.locator("input[name=amenity][value=charging]").is_checked()
    shot(page, "stations-2-charger")

    # Narrowing the search keeps the phone's position: only open stations now.
    page.locator("input[name=open_only]").check()
    page.locator("#st-find button[type=submit]").click()
    page.wait_for_url(re.compile(r".*open_only=1.*"))
    assert cards(page) == [("暖锋驿站（新城）", "正在开放")]
    ctx.close()


def test_rider_with_open_only_sees_no_soon_station(live_server, stations, browser):
    base = live_server.url
    ctx, page = phone(browser, located=True)
    page.goto(base + "/stations/find/")
    page.locator("input[name=amenity][value=charging]").check()
    page.locator("input[name=open_only]").check()
    page.locator("#st-locate").click()
    page.wait_for_url(re.compile(r".*lat=24\.14.*"))
    assert cards(page) == [("暖锋驿站（新城）", "正在开放")]
    page.locator("#st-results .st-name").first.click()
    page.wait_for_url(f"**/stations/s/{stations['charger'].pk}/")
    assert page.locator(".st-badge").inner_text() == "正在开放"
    shot(page, "stations-3-station")

    page.goto(f"{base}/stations/s/{stations['soon'].pk}/")
    assert page.locator(".st-badge").inner_text() == "即将开放"
    assert "正在开放" not in page.locator("main").inner_text()
    assert "即将开放，暂不能使用" in page.locator("main").inner_text()
    shot(page, "stations-4-soon")
    ctx.close()


def test_rider_who_refuses_location_chooses_a_place(live_server, stations, appeal_cast, browser):
    base = live_server.url
    ctx, page = phone(browser, located=False)
    page.goto(base + "/stations/find/")
    page.locator("#st-locate").click()
    refused = page.locator("#st-locate-msg")
    refused.filter(has_text="无法获取位置").wait_for()
    assert page.evaluate("document.activeElement.id") == "st-place"
    shot(page, "stations-5-refused")
    page.select_option("#st-place", label="宁江新城一期")
    page.locator("input[name=amenity][value=charging]").check()
    page.locator("#st-find button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*place={appeal_cast.K1.pk}.*"))
    assert cards(page) == [("暖锋驿站（福兴路）", "即将开放"), ("暖锋驿站（新城）", "正在开放")]
    assert page.locator("#st-place").input_value() == str(appeal_cast.K1.pk)
    shot(page, "stations-6-place")
    ctx.close()


def test_resident_books_the_chess_room(live_server, stations, appeal_cast, browser):
    base, c = live_server.url, appeal_cast
    ctx, page = phone(browser, located=False)
    log_in(page, base, "resident1", c.password, "/stations/rooms/")
    page.locator("a", has_text="棋牌室").click()
    page.wait_for_url(f"**/stations/rooms/{stations['chess'].pk}/")
    tomorrow = timezone.now().astimezone(LOCAL).date() + datetime.timedelta(days=1)
    page.locator(f".st-days a[href='?date={tomorrow:%Y-%m-%d}']").click()
    page.wait_for_url(re.compile(rf".*date={tomorrow:%Y-%m-%d}"))
    assert page.locator(".st-free li").first.inner_text() == "08:00–22:00"
    shot(page, "stations-7-room")

    page.fill("#id_start", "10:00")
    page.select_option("#id_minutes", "60")
    page.fill("#id_attendees", "4")
    page.fill("#id_purpose", "周末象棋练习")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/stations/bookings/\d+/$"))
    assert page.locator(".messages").inner_text().startswith("已预约")
    b = Booking.objects.get()
    assert (b.booked_by, b.room, b.status) == (c.resident1, stations["chess"], BookingStatus.CONFIRMED)
    assert b.starts_at == datetime.datetime.combine(tomorrow, T(10), tzinfo=LOCAL)
    shot(page, "stations-8-booked")

    page.goto(base + "/stations/bookings/")
    row = page.locator(".st-card", has_text="棋牌室")
    assert row.locator(".st-meta span").first.inner_text() == f"{tomorrow:%m-%d} 10:00–11:00"
    assert row.locator(".st-badge").inner_text() == "已确认"
    shot(page, "stations-9-mine")

    # The slot is gone from the day's free time.
    page.goto(f"{base}/stations/rooms/{stations['chess'].pk}/?date={tomorrow:%Y-%m-%d}")
    assert page.locator(".st-free:not(.taken) li").all_inner_texts() == ["08:00–10:00", "11:00–22:00"]
    ctx.close()
