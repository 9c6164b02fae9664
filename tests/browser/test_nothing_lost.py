"""Nothing typed is lost: a resident typing an appeal is warned before the idle timeout, may stay, and when the
session ends anyway, the text is kept in the browser, sent after logging in again, and then forgotten."""
import re

import pytest

from gongzhi.appeals.models import Appeal

from .test_appeal_walk import SHOTS, log_in, phone

pytestmark = pytest.mark.browser

TEXT = "3栋楼道的灯坏了一个星期，晚上老人上下楼看不见台阶。"
IDLE = 20  # seconds (room for a slow machine to log in and type); the warning comes at 80% of it


def test_a_typed_appeal_survives_the_idle_timeout(live_server, appeal_cast, browser, settings):
    settings.SESSION_COOKIE_AGE = IDLE
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, cast = live_server.url, appeal_cast
    ctx, page = phone(browser)
    log_in(page, base, "resident1", cast.password, "/appeals/new/")
    page.select_option("#id_category", label="电梯故障")
    page.fill("#id_description", TEXT)

    # Warned before the end; "继续使用" keeps the session (the server's idle clock starts again).
    page.wait_for_selector(".idle-warning button", timeout=IDLE * 1000)
    page.screenshot(path=str(SHOTS / "idle-1-warning.png"))
    page.locator(".idle-warning button").click()
    page.wait_for_selector(".idle-warning", state="detached", timeout=3000)

    # Away past the timeout this time: the page says the session ended and the text is kept here.
    page.wait_for_selector(".idle-warning:not(:has(button))", timeout=(IDLE + 3) * 1000)
    assert "已保存在本机" in page.locator(".idle-warning").inner_text()
    page.screenshot(path=str(SHOTS / "idle-2-expired.png"))
    page.locator(".submit-bar button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=/appeals/new/$"))
    assert not Appeal.objects.exists()

    settings.SESSION_COOKIE_AGE = 600
    page.fill("#id_username", "resident1")
    page.fill("#id_password", cast.password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{base}/appeals/new/")
    assert page.input_value("#id_description") == TEXT
    assert page.locator("#id_category option:checked").inner_text() == "电梯故障"
    assert "已恢复" in page.locator(".draft-note").inner_text()
    page.screenshot(path=str(SHOTS / "idle-3-restored.png"))

    page.locator(".submit-bar button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/appeals/\d+/$"))
    assert Appeal.objects.get().description == TEXT
    page.goto(f"{base}/appeals/new/")  # sent: the draft is gone
    assert page.input_value("#id_description") == ""
    assert page.locator(".draft-note").count() == 0
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('gongzhi:draft:')).length") == 0
    ctx.close()
