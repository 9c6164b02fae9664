"""The appeal loop on a phone (390×844), in Debian's Chromium driven by Playwright.

resident1 submits a lift breakdown → community_worker dispatches it from the
dispatch queue to the property company → property1 takes and resolves it with
a reply → resident1 confirms (verify) and rates it 满意. Each step leaves a
screenshot in var/screenshots/appeal-*.png and checks that nothing overflows
the phone's width.
"""
import re
from pathlib import Path

import pytest
from django.conf import settings

from gongzhi.appeals.models import Appeal, Status

from .phone import assert_fits_phone

pytestmark = pytest.mark.browser

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    return context, context.new_page()


def log_in(page, base, username, password, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_url}")


def shot(page, name):
    """Screenshot the whole page, and check the phone never scrolls sideways."""
    page.screenshot(path=str(SHOTS / f"appeal-{name}.png"), full_page=True)
    assert_fits_phone(page, name)


def open_appeal(page, appeal):
    page.locator(f"a.title[href='/appeals/{appeal.pk}/']").click()
    page.wait_for_url(f"**/appeals/{appeal.pk}/")


def test_appeal_loop_on_a_phone(live_server, appeal_cast, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, cast = live_server.url, appeal_cast

    # 1. resident1 submits from the phone: category, text; the compound is already chosen (their own).
    res_ctx, res = phone(browser)
    log_in(res, base, "resident1", cast.password, "/appeals/")
    assert res.locator("h1").inner_text() == "我的诉求"
    res.locator("a.btn", has_text="提交诉求").click()
    res.wait_for_url("**/appeals/new/")
    res.select_option("#id_category", label="电梯故障")
    res.fill("#id_description", "1栋电梯停在8楼不动，按钮没有反应，老人上下楼很困难。")
    assert res.locator("#id_compound").input_value() == str(cast.K1.pk)
    res.select_option("#id_building", label="1栋")
    res.fill("#id_address", "1栋1单元")
    shot(res, "1-resident-form")
    res.locator(".submit-bar button[type=submit]").click()
    res.wait_for_url(re.compile(r".*/appeals/\d+/$"))
    appeal = Appeal.objects.get()
    assert (appeal.reporter, appeal.compound, appeal.building, appeal.status) == (cast.resident1, cast.K1, cast.B1, Status.SUBMITTED)
    assert res.locator(".messages").inner_text().startswith("诉求已提交")
    assert res.locator(".appeal-head .badge").first.inner_text() == "已提交"
    shot(res, "2-resident-submitted")

    # 2. community_worker: the dispatch queue suggests the property company; dispatch it.
    cw_ctx, cw = phone(browser)
    log_in(cw, base, "community_worker", cast.password, "/appeals/")
    assert cw.locator(".tabs a[aria-current=page]").inner_text().split() == ["待派单", "1"]  # with its count
    row = cw.locator(".appeal-row", has_text=appeal.number)
    assert "建议派给：君胜物业" in row.inner_text()
    shot(cw, "3-dispatch-queue")
    open_appeal(cw, appeal)
    cw.locator("details[data-action=dispatch] > summary").click()
    assert cw.locator("#handler-dispatch option:checked").inner_text().startswith("君胜物业")
    cw.fill("#note-dispatch", "请今天安排维保人员到场")
    shot(cw, "4-dispatch-form")
    cw.locator("details[data-action=dispatch] button[type=submit]").click()
    cw.wait_for_load_state()
    assert cw.locator(".messages").inner_text() == "已完成：派单"
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED and appeal.handler == cast.property_co
    shot(cw, "5-dispatched")
    cw_ctx.close()

    # 3. property1 takes it from their queue and resolves it with a public reply.
    pr_ctx, pr = phone(browser)
    log_in(pr, base, "property1", cast.password, "/appeals/")
    assert pr.locator(".tabs a[aria-current=page]").inner_text().split() == ["待办理", "1"]
    open_appeal(pr, appeal)
    pr.locator(".act-buttons button", has_text="接单").click()
    pr.wait_for_load_state()
    assert pr.locator(".messages").inner_text() == "已完成：接单"
    pr.locator("details[data-action=resolve] > summary").click()
    pr.fill("#note-resolve", "已更换电梯控制板，电梯恢复正常运行。")
    shot(pr, "6-resolve-form")
    pr.locator("details[data-action=resolve] button[type=submit]").click()
    pr.wait_for_load_state()
    appeal.refresh_from_db()
    assert appeal.status == Status.RESOLVED and appeal.public_reply.startswith("已更换电梯控制板")
    shot(pr, "7-resolved")
    pr_ctx.close()

    # 4. resident1 confirms the result and rates it.
    res.goto(f"{base}/appeals/")
    open_appeal(res, appeal)
    assert "已更换电梯控制板" in res.locator(".reply").inner_text()
    shot(res, "8-resident-confirm")
    res.locator(".act-buttons button", has_text="确认已解决").click()
    res.wait_for_load_state()
    assert res.locator("details[data-action=rate]").get_attribute("open") is not None  # rating is what is left to do
    assert res.locator(".act-buttons").count() == 0  # no bare "结案" next to it: rating closes the appeal
    res.fill("#note-rate", "修得很快，谢谢！")
    shot(res, "9-rate-form")
    res.locator(".rating-buttons button[value=satisfied]").click()
    res.wait_for_load_state()
    appeal.refresh_from_db()
    assert (appeal.status, appeal.rating) == (Status.CLOSED, "satisfied")
    assert res.locator(".appeal-head .badge").first.inner_text() == "已结案"
    assert "居民评价：满意" in res.locator(".rated").inner_text()
    timeline = res.locator(".timeline").inner_text()
    for step in ("提交诉求", "派单", "接单", "办结", "确认已解决", "评价：满意"):
        assert step in timeline, step
    shot(res, "10-closed")
    res_ctx.close()


def test_staff_pages_fit_a_phone(live_server, appeal_cast, browser):
    """The hotline form, the rates and the settings pages on the same phone: readable, nothing sideways."""
    from gongzhi.appeals.services import appeal_act, appeal_submit

    SHOTS.mkdir(parents=True, exist_ok=True)
    base, cast = live_server.url, appeal_cast
    a = appeal_submit(user=cast.resident1, category="lift", description="1栋电梯停在8楼不动", compound=cast.K1)
    appeal_act(user=cast.community_worker, appeal=a, action="dispatch", handler=cast.property_co.pk)

    ctx, page = phone(browser)
    log_in(page, base, "street_admin", cast.password, "/appeals/new/")
    assert page.locator("#id_channel").is_visible() and page.locator("#id_contact_phone").is_visible()
    # Typing brings up the similar open appeal (htmx), linked for the staff member taking the call.
    page.fill("#id_description", "电梯停在8楼不动了")
    page.locator("#similar .box").wait_for()
    assert "1栋电梯停在8楼不动" in page.locator("#similar").inner_text()
    assert page.locator(f"#similar a[href='/appeals/{a.pk}/']").inner_text() == "查看"
    page.locator("input[name=place][value=location]").check()
    assert page.locator("[data-geolocate]").is_visible() and not page.locator("#id_compound").is_visible()
    # A category whose appeals are never public switches the checkbox off.
    from gongzhi.appeals.models import Category
    page.select_option("#id_category", value=str(Category.objects.get(code="hardship").pk))
    assert page.locator("#id_is_public").is_disabled() and page.locator("[data-private-note]").is_visible()
    shot(page, "11-hotline-form")
    for url, name in (("/appeals/rates/", "12-rates"), ("/appeals/categories/", "13-categories"),
                      ("/appeals/routing/", "14-routing"), ("/appeals/calendar/?year=2026", "15-calendar")):
        page.goto(f"{base}{url}")
        assert page.locator("h1").is_visible()
        shot(page, name)
    page.goto(f"{base}/appeals/categories/{a.category_id}/")
    shot(page, "16-category-edit")
    ctx.close()

    # A neighbour typing the same problem adds "me too" instead of filing it again.
    b = appeal_submit(user=cast.resident1, category="lighting", description="2期门口的路灯晚上不亮", compound=cast.K2,
                      is_public=True)
    ctx, page = phone(browser)
    log_in(page, base, "resident2", cast.password, "/appeals/new/")
    page.fill("#id_description", "门口路灯不亮，晚上很黑")
    page.locator("#similar .box").wait_for()
    page.locator(f"#similar form[action='/appeals/{b.pk}/metoo/'] button").click()
    page.locator("#similar .metoo-done").wait_for()
    assert page.locator("#similar .metoo-done").inner_text() == "已附议，共 1 人遇到同样的问题"
    shot(page, "17-me-too")
    b.refresh_from_db()
    assert b.me_too_count == 1
    ctx.close()


def test_resident_withdraws_from_their_home(live_server, appeal_cast, browser):
    """resident1 changes their mind about an appeal nobody has taken up: 撤回 on the home's row opens the
    warning and an optional reason, 确认撤回 ends it; an appeal the desk accepted offers no 撤回."""
    from gongzhi.appeals.services import appeal_act, appeal_submit

    SHOTS.mkdir(parents=True, exist_ok=True)
    base, cast = live_server.url, appeal_cast
    taken = appeal_submit(user=cast.resident1, category="lighting", description="2栋门口的路灯不亮", compound=cast.K1)
    appeal_act(user=cast.community_worker, appeal=taken, action="accept")
    mine = appeal_submit(user=cast.resident1, category="lift", description="1栋电梯停在8楼不动", compound=cast.K1)

    ctx, page = phone(browser)
    log_in(page, base, "resident1", cast.password, f"/appeals/{mine.pk}/")
    page.locator("details[data-action=withdraw] > summary").click()  # on the appeal's page too, last of its actions
    assert "撤回后社区不再受理此诉求" in page.locator("details[data-action=withdraw]").inner_text()
    shot(page, "18-detail-withdraw")
    page.goto(f"{base}/")
    assert page.locator("details.row-withdraw").count() == 1  # the accepted one has none
    row = page.locator(".home-rows li", has_text=mine.number)
    row.locator("details.row-withdraw > summary").click()
    assert "撤回后社区不再受理此诉求" in row.inner_text()
    box = row.locator("details.row-withdraw > summary").bounding_box()
    assert box["height"] >= 44 and row.locator("button", has_text="确认撤回").bounding_box()["height"] >= 44
    row.locator("textarea[name=note]").fill("电梯已经恢复了")
    shot(page, "19-home-withdraw")
    row.locator("button", has_text="确认撤回").click()
    page.wait_for_url(f"**/appeals/{mine.pk}/")
    assert page.locator(".messages").inner_text() == "已完成：撤回"
    assert page.locator(".appeal-head .badge").first.inner_text() == "已撤回"
    assert page.locator("#actions").count() == 0  # nothing left to do on it
    assert "电梯已经恢复了" in page.locator(".timeline").inner_text()
    shot(page, "20-withdrawn")
    mine.refresh_from_db()
    taken.refresh_from_db()
    assert (mine.status, taken.status) == (Status.WITHDRAWN, Status.ACCEPTED)
    ctx.close()
