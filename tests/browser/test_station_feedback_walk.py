"""Station feedback on a phone (390×844): a rider who has not signed in tells the station there is no water;
the K1 owners' committee finds it on its home, answers and marks it handled, and it leaves their list.
Every button and choice of the form is at least 44 px tall. Screenshots in var/screenshots/appeal-feedback-*.png."""
from decimal import Decimal

import pytest

from gongzhi.stations import services
from gongzhi.stations.models import Feedback, Kind, Status

from .test_appeal_walk import SHOTS, log_in, phone, shot
from .test_stations_walk import ALL_DAY

pytestmark = pytest.mark.browser


def test_anonymous_feedback_reaches_the_keepers_and_is_handled(live_server, appeal_cast, browser):
    c = appeal_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    station = services.station_create(user=c.community_worker, compound_id=c.K1.pk, name="暖锋驿站（新城）",
                                      kind=Kind.REST, status=Status.OPEN, lat=Decimal("24.1450"),
                                      lng=Decimal("115.7300"), hours=ALL_DAY, amenities=("water",))
    base = live_server.url
    ctx, page = phone(browser)
    page.goto(f"{base}/stations/s/{station.pk}/")
    page.locator("label", has_text="没有饮用水").click()
    heights = page.evaluate("[...document.querySelectorAll('form[aria-labelledby=st-feedback] :is(.st-check, button, textarea)')]"
                            ".map(el => el.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44, heights
    page.fill("#st-feedback-note", "饮水机空了")
    shot(page, "feedback-1-form")
    page.locator("button", has_text="提交反馈").click()
    page.wait_for_selector("text=已收到您的反馈")
    shot(page, "feedback-2-sent")
    assert Feedback.objects.get().author is None
    ctx.close()

    ctx, page = phone(browser)
    log_in(page, base, c.owners1.username, c.password, "/")
    page.locator("a", has_text="暖锋驿站（新城） · 没有饮用水").click()
    page.fill("input[name=reply]", "已送来新水桶")
    shot(page, "feedback-3-keeper")
    page.locator("button", has_text="标记为已处理").click()
    page.wait_for_selector("text=反馈已标记为处理")
    assert page.locator("text=没有待处理的反馈。").count() == 1
    f = Feedback.objects.get()
    assert (f.status, f.reply, f.handled_by) == ("handled", "已送来新水桶", c.owners1)
    ctx.close()
