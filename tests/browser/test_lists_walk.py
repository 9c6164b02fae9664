"""The three lists on a phone (390×844), in Debian's Chromium driven by Playwright.

resident1 posts a need (点单) → community_worker makes a published project of it → member1 takes it (接单) and
records the service → resident1 rates it (评单) → community_worker confirms it → member1's hours go up and
their certificate lists the service. Each step leaves var/screenshots/lists-*.png and checks nothing overflows
the phone's width.
"""
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from gongzhi.lists.models import LedgerEntry, Need, NeedStatus, Project, ServiceRecord, ServiceStatus

from .phone import assert_fits_phone
from .test_appeal_walk import log_in, phone

pytestmark = pytest.mark.browser

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lists-{name}.png"), full_page=True)
    assert_fits_phone(page, name)


def test_three_lists_loop_on_a_phone(live_server, cast_tx, browser):
    base, cast = live_server.url, cast_tx

    # 1. resident1 orders: title, category, people; the compound is their own.
    res_ctx, res = phone(browser)
    log_in(res, base, "resident1", cast.password, "/lists/")
    res.locator("a.btn", has_text="我要点单").click()
    res.wait_for_url("**/lists/needs/new/")
    res.fill("#id_title", "三栋卧床老人上门理发")
    res.select_option("#id_category", label="助老服务")
    assert res.locator("#id_compound").input_value() == str(cast.K1.pk)
    res.fill("#id_people", "3")
    res.fill("#id_description", "三位老人行动不便，希望有人上门理发。")
    shot(res, "1-resident-need-form")
    res.locator("form.form button[type=submit]").click()
    res.wait_for_url(re.compile(r".*/lists/needs/\d+/$"))
    need = Need.objects.get()
    assert (need.poster, need.compound, need.people, need.status) == (cast.resident1, cast.K1, 3, NeedStatus.OPEN)
    assert res.locator(".messages").inner_text().startswith("需求已提交")
    shot(res, "2-resident-need")

    # 2. community_worker finds it on the needs list and publishes a project of it for one taker.
    cw_ctx, cw = phone(browser)
    log_in(cw, base, "community_worker", cast.password, "/lists/needs/")
    cw.locator(f"a.title[href='/lists/needs/{need.pk}/']").click()
    cw.wait_for_url(f"**/lists/needs/{need.pk}/")
    cw.fill("#id_ptitle", "上门理发")
    cw.select_option("#id_mode", value="publish")
    cw.fill("#id_places", "1")
    shot(cw, "3-desk-need")
    cw.locator("button", has_text="创建项目").click()
    cw.wait_for_url(re.compile(r".*/lists/projects/\d+/$"))
    project = Project.objects.get()
    assert (project.mode, project.places, project.taken) == ("publish", 1, 0)
    shot(cw, "4-desk-project")

    # 3. member1 takes it from the board and records two and a half hours.
    mem_ctx, mem = phone(browser)
    log_in(mem, base, "member1", cast.password, "/lists/board/")
    row = mem.locator(".take-row", has_text="上门理发")
    shot(mem, "5-member-board")
    row.locator("button", has_text="接单").click()
    mem.wait_for_url(f"**/lists/projects/{project.pk}/")
    assert mem.locator(".messages").inner_text().startswith("接单成功")
    project.refresh_from_db()
    assert project.taken == 1
    mem.fill("#id_hours", "2.5")
    mem.fill("#id_people", "3")
    mem.fill("#id_note", "为三位老人上门理发。")
    shot(mem, "6-member-record")
    mem.locator("button", has_text="提交服务记录").click()
    mem.wait_for_url(re.compile(r".*/lists/services/\d+/$"))
    service = ServiceRecord.objects.get()
    assert (service.provider, service.hours, service.status) == (cast.member1, Decimal("2.5"), ServiceStatus.RECORDED)
    shot(mem, "7-member-service")

    # 4. resident1 sees the service waiting for a rating and rates it 满意.
    res.goto(f"{base}/lists/")
    res.locator(f"a.title[href='/lists/services/{service.pk}/']").click()
    res.wait_for_url(f"**/lists/services/{service.pk}/")
    res.locator("label", has_text="满意").first.click()
    res.fill("#id_comment", "师傅很耐心。")
    shot(res, "8-resident-rate")
    res.locator("button", has_text="提交评价").click()
    res.wait_for_url(f"**/lists/services/{service.pk}/")
    assert res.locator(".messages").inner_text().startswith("感谢您的评价")
    assert service.served.get().rating == 3

    # 5. community_worker confirms; the service enters the ledger.
    cw.goto(f"{base}/lists/services/{service.pk}/")
    shot(cw, "9-desk-confirm")
    cw.locator("button", has_text="确认服务并计入台账").click()
    cw.wait_for_url(f"**/lists/services/{service.pk}/")
    assert LedgerEntry.objects.get().hours == Decimal("2.5")

    # 6. member1's hours went up, and the certificate lists the service.
    mem.goto(f"{base}/lists/hours/")
    assert mem.locator("[data-hours]").get_attribute("data-hours") == "2.5"
    assert "上门理发" in mem.locator(".ledger-lines").inner_text()
    shot(mem, "10-member-hours")
    with mem.expect_download() as download:
        mem.locator("a", has_text="下载服务证明").click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages)
    assert "上门理发" in text and "2.5" in text

    for ctx in (res_ctx, cw_ctx, mem_ctx):
        ctx.close()
