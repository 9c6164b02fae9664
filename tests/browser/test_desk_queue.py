"""The desk on a phone: its queue opens most urgent first, and the two most overdue appeals at the top are dispatched
to the handlers their routing suggested in one go."""
from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.appeals.models import Appeal, Status

from .test_appeal_walk import SHOTS, log_in, phone

pytestmark = pytest.mark.browser


def test_the_desk_dispatches_the_two_most_overdue_from_the_top(live_server, appeal_cast, browser):
    from gongzhi.appeals.services import appeal_submit

    SHOTS.mkdir(parents=True, exist_ok=True)
    base, cast = live_server.url, appeal_cast
    now = timezone.now()
    made = {}
    # Submitted in this order, so that newest-first would put the overdue ones at the bottom.
    for name, text, days in (("late_19", "5栋电梯停运快三周，老人上不了楼", -19), ("late_15", "2栋电梯困过人，至今没修好", -15),
                             ("late_2", "1栋电梯按钮失灵", -2), ("fresh_a", "4栋电梯有异响", 6), ("fresh_b", "3栋电梯门夹人", 9)):
        a = appeal_submit(user=cast.resident1, category="lift", description=text, compound=cast.K1)
        Appeal.objects.filter(pk=a.pk).update(resolve_due=now + timedelta(days=days))
        made[name] = Appeal.objects.get(pk=a.pk)

    ctx, page = phone(browser)
    log_in(page, base, "community_worker", cast.password, "/appeals/?tab=dispatch")
    rows = page.locator(".appeal-row")
    assert rows.count() == 5
    tops = [rows.nth(i).inner_text() for i in range(3)]
    assert made["late_19"].number in tops[0] and made["late_15"].number in tops[1] and made["late_2"].number in tops[2]
    assert "已超期" in tops[0] and "已超期" in tops[1]
    page.screenshot(path=str(SHOTS / "desk-1-queue-by-urgency.png"), full_page=True)

    for i in range(2):
        rows.nth(i).locator("input.pick").check()
    page.locator(".bulk-bar button[type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "desk-2-dispatched.png"), full_page=True)
    status = {n: Appeal.objects.get(pk=a.pk) for n, a in made.items()}
    assert {n for n, a in status.items() if a.status == Status.DISPATCHED} == {"late_19", "late_15"}
    assert all(status[n].handler_id == status[n].suggested_handler_id is not None for n in ("late_19", "late_15"))
    left = page.locator(".appeal-row")
    assert left.count() == 3 and made["late_2"].number in left.nth(0).inner_text()
    ctx.close()
