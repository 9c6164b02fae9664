"""On a 390×844 phone: the community worker finds the day's escalations as one digest, opens it, and switches
escalations off in the notification settings; every choice a finger-sized target."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.appeals.models import Category, HandlerLevel
from gongzhi.appeals.services import _event, appeal_act, appeal_submit
from gongzhi.notifications import digest, tasks
from gongzhi.notifications.models import NotificationPreference

from .test_appeal_walk import SHOTS, log_in, phone, shot

pytestmark = pytest.mark.browser


def test_digest_and_settings_on_a_phone(live_server, appeal_cast, browser):
    c = appeal_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    lift = Category.objects.get(code="lift")
    for i in range(4):
        a = appeal_submit(user=c.resident1, category=lift, description=f"{i + 1}栋电梯停在8楼不动", compound=c.K1)
        a = appeal_act(user=c.community_worker, appeal=a, action="dispatch", handler=c.property_co.pk)
        _event(a, None, "escalate", "", "", note="升级至社区督办", data={"level": HandlerLevel.COMMUNITY})
    tasks.drain_notifications.call()
    digest.build_digests(now=timezone.now() + datetime.timedelta(days=1))

    ctx, page = phone(browser)
    log_in(page, live_server.url, "community_worker", c.password, "/notifications/")
    first = page.locator(".inbox li").first
    assert "每日汇总：4 件诉求超期升级" in first.inner_text()
    shot(page, "notifications-inbox")
    first.locator("a").first.click()
    page.wait_for_url("**/digest/")
    assert page.locator(".digest-items li").count() == 4
    shot(page, "notifications-digest")

    page.goto(f"{live_server.url}/notifications/preferences/")
    escalate = page.locator(".prefs li", has_text="诉求已超期，升级督办").locator("select")
    assert escalate.input_value() == "digest"
    small = page.evaluate("""() => [...document.querySelectorAll('.prefs select, .prefs-actions .btn')]
        .filter(el => el.getBoundingClientRect().height < 44).length""")
    assert small == 0
    shot(page, "notifications-preferences")
    escalate.select_option("off")
    page.locator(".prefs-actions button[type=submit]").click()
    page.wait_for_url("**/notifications/preferences/")
    assert "通知设置已保存" in page.locator(".messages").inner_text()
    assert NotificationPreference.objects.get(user=c.community_worker, action="escalate").delivery == "off"
    ctx.close()
