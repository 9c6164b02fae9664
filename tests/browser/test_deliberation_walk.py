"""Deliberation end to end on phones (390×844): resident1 raises a topic; two neighbours support it and it reaches
the threshold; the owners' committee's meeting decides to put it to the owners; both owners of the compound vote
on their phones; the result page shows the participation and pass tests; the resolution is tracked to done and
resident1 sees it so. Screenshots in var/screenshots/appeal-deliberation-*.png."""
import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.deliberation import services
from gongzhi.deliberation.models import Meeting, Resolution, Topic, Vote

from .test_appeal_walk import PHONE, log_in, shot

pytestmark = pytest.mark.browser


def phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    return ctx, ctx.new_page()


@override_settings(DELIBERATION_TOPIC_THRESHOLD=2)
def test_a_topic_goes_to_the_owners_and_its_resolution_to_done(cast_tx, live_server, browser):
    c = cast_tx
    base = live_server.url
    # 王强 (102) gets an account: the compound's second owner.
    owner2 = User.objects.create_user(username="owner2", password=c.password, resident=c.R1c)
    ra = RoleAssignment(user=owner2, role=Role.RESIDENT)
    ra.set_node(c.H1b)
    ra.save()
    services.ownership_record(user=c.community_worker, household=c.H1, owner_name="张伟", owner_resident=c.R1)
    services.ownership_record(user=c.community_worker, household=c.H1b, owner_name="王强", owner_resident=c.R1c)

    # 1. resident1 raises the topic on a phone.
    ctx, page = phone(browser)
    log_in(page, base, "resident1", c.password, "/deliberation/topics/new/")
    page.fill("#id_title", "增设电动车充电桩")
    page.fill("#id_body", "楼道充电有火灾隐患。")
    shot(page, "deliberation-1-raise")
    page.locator("form.form button[type=submit]").click()
    topic = Topic.objects.get(title="增设电动车充电桩")
    page.wait_for_url(f"**/deliberation/topics/{topic.pk}/")
    assert "支持 0/2" in page.content()
    ctx.close()

    # 2. Two neighbours support it; the second support puts it on the agenda.
    for username in ("owner2", "member1"):
        ctx, page = phone(browser)
        log_in(page, base, username, c.password, f"/deliberation/topics/{topic.pk}/")
        page.get_by_role("button", name="支持该议题").click()
        page.wait_for_url(f"**/deliberation/topics/{topic.pk}/")
        ctx.close()
    topic.refresh_from_db()
    assert topic.status == "agenda" and topic.supporters == 2

    # 3. The meeting (held an hour ago) decides to put it to the owners.
    now = timezone.now()
    meeting = services.meeting_schedule(user=c.owners1, compound=c.K1.pk, title="宁江新城一期党群议事会",
                                        starts_at=now - datetime.timedelta(hours=2),
                                        ends_at=now - datetime.timedelta(hours=1), topics=[topic.pk],
                                        place_note="小区广场凉亭")
    ctx, page = phone(browser)
    log_in(page, base, "owners1", c.password, f"/deliberation/meetings/{meeting.pk}/")
    page.fill("#id_attendance", "业委会3人、物业2人、党支部书记、业主代表4人")
    page.fill("#id_count", "10")
    page.fill("#id_minutes", "物业介绍充电桩方案，业主代表关注消防和收费。")
    page.fill("#id_decisions", "充电桩方案提交业主大会表决。")
    page.locator("input[name=to_vote]").check()
    shot(page, "deliberation-2-minutes")
    page.get_by_role("button", name="保存会议纪要").click()
    page.wait_for_url(f"**/deliberation/meetings/{meeting.pk}/")
    assert Meeting.objects.get(pk=meeting.pk).status == "held"
    topic.refresh_from_db()
    assert topic.status == "to_vote"
    ctx.close()

    # 4. The committee puts it to the owners (an item of art. 278 (8): three quarters).
    vote = services.vote_create(user=c.owners1, compound=c.K1.pk, title="增设电动车充电桩", topic=topic.pk,
                                opens_at=now - datetime.timedelta(minutes=5), closes_at=now + datetime.timedelta(days=7),
                                items=[{"text": "同意在非机动车棚增设充电桩，由物业统一运营", "item_kind": "special"}])
    services.vote_open(user=c.owners1, vote=vote)

    # 5. Both owners vote on their phones.
    for username, n in (("resident1", 1), ("owner2", 2)):
        ctx, page = phone(browser)
        log_in(page, base, username, c.password, f"/deliberation/votes/{vote.pk}/")
        page.locator("input[type=radio][value=yes]").check()
        shot(page, f"deliberation-3-ballot-{username}")
        page.get_by_role("button", name="提交选票").click()
        page.wait_for_url(f"**/deliberation/votes/{vote.pk}/")
        assert "您的选票已提交" in page.content()
        ctx.close()
        assert vote.ballots.count() == n

    # 6. The period ends; the committee closes the vote and the result is announced.
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    ctx, page = phone(browser)
    log_in(page, base, "owners1", c.password, f"/deliberation/votes/{vote.pk}/")
    page.get_by_role("button", name="结束表决并公告结果").click()
    page.wait_for_url(f"**/deliberation/votes/{vote.pk}/")
    assert Vote.objects.get(pk=vote.pk).status == "closed"
    ctx.close()

    # 7. resident1 reads the result: the participation tests and the pass tests, every figure explained.
    ctx, page = phone(browser)
    log_in(page, base, "resident1", c.password, f"/deliberation/votes/{vote.pk}/result/")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "结论：表决通过。" in text
    assert "218.50" in text and "参与表决的业主：2 人" in text
    assert "2/3" in text and "3/4" in text
    shot(page, "deliberation-4-result")
    ctx.close()

    # 8. The resolution is tracked to done, and resident1 sees it done.
    res = services.resolution_create(user=c.owners1, compound=c.K1.pk, title="非机动车棚增设充电桩",
                                     due_on=timezone.localdate() + datetime.timedelta(days=30),
                                     responsible_user=c.owners1, topic=topic.pk, vote=vote.pk)
    ctx, page = phone(browser)
    log_in(page, base, "owners1", c.password, f"/deliberation/resolutions/{res.pk}/")
    for progress, note in (("50", "已完成招标"), ("100", "充电桩已安装并通电")):
        page.fill("#id_progress", progress)
        page.fill("#id_note", note)
        page.get_by_role("button", name="提交进展").click()
        page.wait_for_url(f"**/deliberation/resolutions/{res.pk}/")
    assert Resolution.objects.get(pk=res.pk).status == "done"
    ctx.close()
    ctx, page = phone(browser)
    log_in(page, base, "resident1", c.password, f"/deliberation/resolutions/{res.pk}/")
    assert "已完成" in page.content() and "充电桩已安装并通电" in page.content()
    shot(page, "deliberation-5-done")
    ctx.close()


def test_a_mediation_record_on_a_phone(cast_tx, live_server, browser):
    """The community worker opens a dispute on a phone, records a session, and reveals the parties' names (masked
    until then)."""
    c = cast_tx
    base = live_server.url
    ctx, page = phone(browser)
    log_in(page, base, "community_worker", c.password, "/deliberation/mediations/new/")
    page.select_option("#id_dispute_type", "noise")
    page.fill("#id_summary", "楼上夜间拖动家具")
    page.locator("input[name=party_name]").nth(0).fill("周桂芳")
    page.locator("input[name=party_phone]").nth(0).fill("13912340001")
    page.locator("input[name=party_name]").nth(1).fill("吴国华")
    page.select_option("#id_mediators", str(c.grid_worker.pk))
    shot(page, "deliberation-6-mediation-new")
    page.get_by_role("button", name="建立调解记录").click()
    page.wait_for_url("**/deliberation/mediations/*/")
    assert "周**" in page.content() and "周桂芳" not in page.content()
    page.fill("#id_s_notes", "双方陈述；楼上同意晚十点后不再拖动家具。")
    page.get_by_role("button", name="保存调解记录").click()
    page.wait_for_url("**/deliberation/mediations/*/")
    assert "调解中" in page.content()
    page.get_by_role("button", name="查看完整姓名和电话（将记录审计日志）").click()
    page.wait_for_load_state()
    assert "周桂芳" in page.content() and "13912340001" in page.content()
    shot(page, "deliberation-7-mediation")
    ctx.close()
