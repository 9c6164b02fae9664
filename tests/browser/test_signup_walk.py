"""On a 390×844 phone: a new resident signs up, grid_worker1 confirms them, and their home then shows their
household's side (their grid worker)."""
import re

import pytest

from gongzhi.accounts.sms import MemorySender

from .test_appeal_walk import SHOTS, log_in, phone, shot

pytestmark = pytest.mark.browser

MOBILE = "13912345678"
PASSWORD = "Qingshan-2026"


def test_a_resident_signs_up_and_grid_worker1_confirms(live_server, appeal_cast, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, c = live_server.url, appeal_cast

    ctx, page = phone(browser)
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="居民注册").click()
    page.fill("#id_mobile", MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(f"{base}/signup/details/")
    code = re.search(r"\d{6}", MemorySender.outbox[-1][1]).group(0)
    page.fill("#id_code", code)
    page.fill("#id_name", "赵敏")
    page.select_option("#id_compound", str(c.K1.pk))
    page.wait_for_selector(f"#id_building option[value='{c.B1.pk}']", state="attached")
    page.select_option("#id_building", str(c.B1.pk))
    page.wait_for_selector(f"#id_household option[value='{c.H1.pk}']", state="attached")
    page.select_option("#id_household", str(c.H1.pk))
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    shot(page, "signup-details")
    page.get_by_role("button", name="提交注册").click()
    page.wait_for_url(f"{base}/")
    assert "正在等待网格员或社区确认" in page.locator("main").inner_text()
    assert "我的网格员" not in page.locator("main").inner_text()
    shot(page, "signup-pending-home")
    ctx.close()

    gctx, grid = phone(browser)
    log_in(grid, base, "grid_worker1", c.password, "/")
    grid.get_by_role("link", name="宁江新城一期1栋101").click()
    text = grid.locator("main").inner_text()
    assert "张伟" in text and "139****5678" in text
    shot(grid, "signup-review")
    grid.get_by_role("button", name="确认是本户居民").click()
    grid.wait_for_url(f"{base}/signup/requests/")
    gctx.close()

    ctx, page = phone(browser)
    log_in(page, base, MOBILE, PASSWORD, "/")
    text = page.locator("main").inner_text()
    assert "我的网格员" in text and "正在等待" not in text
    shot(page, "signup-confirmed-home")
    ctx.close()
