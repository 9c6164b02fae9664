"""Assistance for a family in hardship, end to end in Debian's Chromium driven by Playwright, on phones (390×844).

property1 refers a household → community_worker assigns itself, verifies and opens the case → the 低保 measure
goes through its civil-affairs stages to approved, and its public notice (公示, read by anyone, in Chinese and in
English) shows only what may be public → a scholarship application goes to 兴宁市善小助学协会, whose charity1
records the decision → the case's follow-up falls due and the deadline watch (the real reminder code) tells the
case worker, who records the visit → grid_worker1 records a home visit to an elderly resident living alone.
Each step leaves var/screenshots/care-*.png and checks nothing overflows the phone's width.
"""
import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.care.models import Case, CareEvent, CareVisit, FollowUp, Measure
from gongzhi.notifications.models import Notification
from gongzhi.orgs.models import Organisation, OrgKind

from .phone import assert_fits_phone
from .test_appeal_walk import PHONE, log_in, phone

pytestmark = pytest.mark.browser

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
HAN = re.compile(r"[\u3400-\u9fff]")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"care-{name}.png"), full_page=True)
    assert_fits_phone(page, name)


def message(page):
    return page.locator(".messages").inner_text()


def update_measure(page, m, **fields):
    form = page.locator(f"form[action='/care/measures/{m.pk}/update/']")
    for selector, value in fields.items():
        field = form.locator(f"#{selector}_{m.pk}")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/care/cases/{m.case_id}/")
    assert message(page).startswith("已更新措施"), message(page)


def test_a_family_in_hardship_from_referral_to_follow_up(live_server, cast_tx, browser):
    base, cast = live_server.url, cast_tx
    today = timezone.localdate()
    charity = Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="SX", name="兴宁市善小助学协会")
    charity1 = User.objects.create_user(username="charity1", password=cast.password)
    RoleAssignment.objects.create(user=charity1, role=Role.PARTY_MEMBER, organisation=charity)
    cast.R1c.tags.add(cast.tag_elderly)  # 王强 lives alone: grid_worker1 visits him

    # 1. property1 refers household 1栋 101 of 宁江新城一期 with what was seen, then follows its broad status only.
    prop_ctx, prop = phone(browser)
    log_in(prop, base, "property1", cast.password, "/care/refer/")
    assert prop.locator("#id_compound").input_value() == str(cast.K1.pk)
    prop.select_option("#id_household", value=str(cast.H1.pk))
    prop.fill("#id_note", "物业巡查时发现这户男主人去年病故，母亲失业，孩子上初中，家里常常欠电费。")
    shot(prop, "01-property-refers")
    prop.locator("button", has_text="提交转介").click()
    prop.wait_for_url("**/care/referrals/")
    case = Case.objects.get()
    assert (case.referred_by, case.household, case.stage) == (cast.property1, cast.H1, "referred")
    assert message(prop).startswith("转介已提交")
    assert prop.locator("[data-status]").inner_text() == "已接收"
    shot(prop, "02-property-referrals")

    # 2. community_worker finds it on the home, assigns itself, verifies at the home and opens the case.
    cw_ctx, cw = phone(browser)
    log_in(cw, base, "community_worker", cast.password, "/")
    cw.locator(f".home-panel a[href='/care/cases/{case.pk}/']").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    assert cw.locator("#id_worker").input_value() == str(cast.community_worker.pk)
    shot(cw, "03-worker-referral")
    cw.locator("#assign button[type=submit]").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    assert message(cw).startswith("已分派个案工作者")
    cw.fill("#id_visited_with", "网格员")
    cw.fill("#id_documents_seen", "户口簿、死亡证明、失业登记证")
    cw.fill("#id_findings", "家庭无固定收入，靠亲戚接济；孩子成绩好。")
    cw.fill("#id_health", "母亲腰椎间盘突出，不能干重活。")
    cw.fill("#id_finances", "月收入不足600元，欠电费约4000元。")
    cw.select_option("#id_applicant", value=str(cast.R1b.pk))
    cw.fill("#id_household_size", "3")
    cw.select_option("#id_case_type", value="low_income")
    shot(cw, "04-worker-verify")
    cw.locator("#verify button[type=submit]").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    assert message(cw).startswith("已记录核实结论")
    case.refresh_from_db()
    assert (case.stage, case.case_type, case.applicant) == ("open", "low_income", cast.R1b)
    assert cw.locator("[data-stage]").inner_text() == "帮扶中"
    # the sensitive details stay masked on the page until the audited reveal
    assert "腰椎间盘突出" not in cw.locator("main").inner_text()

    # 3. The 低保 application, the low-income template's first measure, goes through its stages.
    assert cw.locator("#id_kind").input_value() == "dibao"
    cw.fill("#id_title", "城乡低保")
    cw.locator("#measure-new button[type=submit]").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    dibao = Measure.objects.get(kind="dibao")
    update_measure(cw, dibao)  # 入户调查与评议, today
    update_measure(cw, dibao, id_nt=today.isoformat())  # 公示 from today to today
    dibao.refresh_from_db()
    assert dibao.dibao_stage == "public_notice" and dibao.notice_code
    shot(cw, "05-worker-dibao-on-notice")
    update_measure(cw, dibao, id_oc="approved", id_am="650")  # 审批决定: approved, 650 a month
    dibao.refresh_from_db()
    assert (dibao.outcome, dibao.amount, dibao.period) == ("approved", 650, "monthly")
    assert cw.locator(f"#measure-{dibao.pk} [data-outcome]").inner_text().startswith("已批准")

    # 4. Anyone reads its 公示, in Chinese and in English: the surname with the given name masked, the compound;
    # no address, ID, phone, account numbers, nor anything found.
    notice_url = cw.locator(f"#measure-{dibao.pk} a", has_text="公示页").get_attribute("href")
    assert notice_url == f"/care/notice/{dibao.notice_code}/"
    for language in ("zh-hans", "en"):
        ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        ctx.add_cookies([{"name": "django_language", "value": language, "url": base}])
        public = ctx.new_page()
        public.goto(base + notice_url)
        main = public.locator("main").inner_text()
        assert public.locator("[data-field=name]").inner_text() == "李*"
        assert public.locator("[data-field=compound]").inner_text() == "宁江新城一期"
        assert "650" in main
        for private in ("李娜", "1栋", "101", cast.R1b.id_number_clear(), cast.R1b.phone_clear(),
                        cast.R1b.phone_masked, cast.R1b.id_number_masked, "600", "4000", "失业", "腰椎"):
            assert private not in main, (language, private)
        if language == "en":
            assert "Public notice: minimum living allowance" in main and "Monthly allowance" in main
            words = main
            for data in ("李*", "宁江新城一期", "新城社区"):
                words = words.replace(data, "")
            assert not HAN.findall(words), words
        shot(public, f"06-public-notice-{language}")
        ctx.close()

    # 5. A scholarship application goes to the charity, which alone decides it.
    cw.select_option("#id_kind", value="scholarship")
    cw.fill("#id_title", "初中助学金")
    cw.select_option("#id_organisation", label="兴宁市善小助学协会")
    cw.fill("#id_beneficiary", "张小明")
    cw.fill("#id_application_note", "孩子就读初二，品学兼优，家庭低保，申请本学期助学金。")
    cw.locator("#measure-new button[type=submit]").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    scholarship = Measure.objects.get(kind="scholarship")
    assert scholarship.organisation == charity and scholarship.outcome == "in_progress"
    assert "等待兴宁市善小助学协会决定" in cw.locator(f"form[action='/care/measures/{scholarship.pk}/update/']").inner_text()
    shot(cw, "07-worker-plan")

    ch_ctx, ch = phone(browser)
    log_in(ch, base, "charity1", cast.password, "/")
    ch.locator(f".home-panel a[href='/care/measures/{scholarship.pk}/']").click()
    ch.wait_for_url(f"**/care/measures/{scholarship.pk}/")
    page = ch.locator("main").inner_text()
    assert "张小明" in page and "初二" in page
    for secret in ("李娜", "腰椎", "600", "低保申请", "1栋"):
        assert secret not in page, secret
    ch.fill("#id_amount", "1500")
    ch.select_option("#id_period", value="term")
    shot(ch, "08-charity-decides")
    ch.locator("button", has_text="提交决定").click()
    ch.wait_for_url(f"**/care/measures/{scholarship.pk}/")
    assert message(ch).startswith("已记录决定")
    assert ch.locator("[data-outcome]").inner_text() == "已批准"
    shot(ch, "09-charity-decided")
    scholarship.refresh_from_db()
    assert (scholarship.outcome, scholarship.amount, scholarship.decided_by) == ("approved", 1500, charity1)
    assert ch.goto(f"{base}/care/cases/{case.pk}/").status == 404  # the measure, and nothing else of the case

    # 6. The follow-up falls due (its date moved to today) and the deadline watch, the site's clock, tells the
    # case worker: a message in the inbox, and the case among those due on the home.
    cw.reload()
    assert cw.locator(f"#measure-{scholarship.pk} [data-outcome]").inner_text().startswith("已批准")
    assert not cw.locator(".home-panel .followup-due").count()
    FollowUp.objects.filter(case=case, done_on__isnull=True).update(due_on=today)
    Case.objects.filter(pk=case.pk).update(next_followup_on=today)
    call_command("watch_deadlines", stdout=open("/dev/null", "w"))
    assert CareEvent.objects.filter(case=case, action="followup_due").count() == 1
    told = Notification.objects.get(recipient=cast.community_worker, action="followup_due")
    assert told.url == f"/care/cases/{case.pk}/" and "李" not in told.title + told.body
    cw.goto(f"{base}/notifications/")
    assert "帮扶回访到期" in cw.locator("main").inner_text()
    shot(cw, "10-worker-reminder")
    cw.goto(f"{base}/")
    cw.locator(f".followup-due a[href='/care/cases/{case.pk}/']").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    cw.fill("#id_fnote", "母亲已在物业做保洁，孩子按时上学。")
    cw.locator("#followups button[type=submit]").click()
    cw.wait_for_url(f"**/care/cases/{case.pk}/")
    assert message(cw).startswith("已记录回访")
    case.refresh_from_db()
    assert case.next_followup_on == today + datetime.timedelta(days=30)
    shot(cw, "11-worker-followed-up")

    # property1 still reads only that its referral is in progress.
    prop.goto(f"{base}/care/referrals/")
    assert prop.locator("[data-status]").inner_text() == "处理中"
    prop.goto(f"{base}/care/cases/{case.pk}/")
    for secret in ("李娜", "帮扶计划", "低保", "腰椎"):
        assert secret not in prop.locator("main").inner_text(), secret

    # 7. grid_worker1, on a phone, sees whom to visit and records a visit to 王强.
    gw_ctx, gw = phone(browser)
    log_in(gw, base, "grid_worker1", cast.password, "/care/visits/")
    row = gw.locator(".visit-list li", has_text="王强")
    assert "尚未走访" in row.inner_text()
    shot(gw, "12-grid-visits")
    row.locator("a").click()
    gw.wait_for_url(f"**/care/visits/new/{cast.R1c.pk}/")
    gw.fill("#id_note", "身体尚好，已检查燃气阀门，叮嘱按时服药。")
    shot(gw, "13-grid-visit-form")
    gw.locator("button", has_text="保存走访").click()
    gw.wait_for_url("**/care/visits/")
    assert message(gw).startswith("走访已记录")
    visit = CareVisit.objects.get()
    assert (visit.resident, visit.visited_by, visit.visited_on) == (cast.R1c, cast.grid_worker, today)
    assert "尚未走访" not in gw.locator(".visit-list li", has_text="王强").inner_text()
    shot(gw, "14-grid-visited")

    for ctx in (prop_ctx, cw_ctx, ch_ctx, gw_ctx):
        ctx.close()
