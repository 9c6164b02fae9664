"""Every role lands on its own home on a 390×844 phone, with what it must do next and nothing sideways."""
import pytest

from gongzhi.appeals.models import Category
from gongzhi.appeals.services import appeal_act, appeal_submit

from .test_appeal_walk import SHOTS, log_in, phone, shot

pytestmark = pytest.mark.browser

# Who, and the panel headings their home must show (and one it must not).
HOMES = [
    ("street_admin", ["各社区诉求办理", "诉求办理"], "我的网格员"),
    ("community_worker", ["诉求办理", "本月三率"], "各社区诉求办理"),
    ("grid_worker1", ["待核查 1 件", "我的巡查上报"], "本月三率"),
    ("property1", ["待办理", "先办这些"], "待派单"),
    ("owners1", ["物业办理情况"], "我的网格员"),
    ("resident1", ["我的诉求", "我的网格员"], "待派单"),
    ("rider1", ["怎样反映问题"], "我的诉求"),
]


def test_each_role_lands_on_its_home(live_server, appeal_cast, browser):
    c = appeal_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    lift = Category.objects.get(code="lift")
    a = appeal_submit(user=c.resident1, category=lift, description="1栋电梯停在8楼不动", compound=c.K1)
    b = appeal_act(user=c.community_worker, appeal=appeal_submit(user=c.resident1, category=lift,
                                                                 description="2栋电梯异响", compound=c.K1),
                   action="dispatch", handler=c.property_co.pk)
    b = appeal_act(user=c.property1, appeal=b, action="take")
    appeal_act(user=c.property1, appeal=b, action="resolve", note="已更换钢丝绳")
    for username, shown, absent in HOMES:
        ctx, page = phone(browser)
        log_in(page, live_server.url, username, c.password, "/")
        text = page.locator("main").inner_text()
        for heading in shown:
            assert heading in text, (username, heading)
        assert absent not in text, (username, absent)
        if username == "resident1":
            assert a.number in text
        shot(page, f"home-{username}")  # and nothing wider than the phone
        ctx.close()
