"""Assistance end to end through the pages and the JSON API: the walk from referral to closing, the audited
reads, the public notice, and bad input answered with the field at fault and nothing changed."""
import datetime
import re

import pytest

from gongzhi.care import services
from gongzhi.care.models import Case, Measure
from gongzhi.core.models import AuditEntry

from .conftest import TODAY

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def login(client, user):
    client.force_login(user)
    return client


def test_refer_page_and_the_referrer_sees_only_the_broad_status(care, client):
    c = login(client, care.property1)
    page = c.get("/care/refer/")
    assert page.status_code == 200 and "宁江新城一期" in page.content.decode() and "东风花园" not in page.content.decode()
    r = c.post("/care/refer/", {"compound": care.K1.pk, "household": care.H1.pk, "note": "孩子常在门口等到很晚"})
    assert r.status_code == 302
    case = Case.objects.get()
    page = c.get(f"/care/cases/{case.pk}/").content.decode()
    assert "已接收" in page and "孩子常在门口" not in page
    services.assign(user=care.community_worker, case=case, worker=care.community_worker.pk)
    services.verify(user=care.community_worker, case=case.pk, visited_on=TODAY, findings="母亲失业", decision="open",
                    case_type="low_income", health="奶奶透析", finances="月收入800元")
    page = c.get(f"/care/cases/{case.pk}/").content.decode()
    for secret in ("奶奶透析", "800", "母亲失业", "生活困难", "帮扶中"):
        assert secret not in page
    assert "处理中" in page
    assert AuditEntry.objects.filter(object_type="care.case", object_id=str(case.pk), detail="view",
                                     user=care.property1).count() == 2


def test_out_of_scope_referral_page_says_why_and_changes_nothing(care, client):
    c = login(client, care.property1)
    r = c.post("/care/refer/", {"compound": care.K3.pk, "household": care.H3.pk, "note": "看到困难"})
    assert r.status_code == 400 and "该户不在您可以转介的范围内" in r.content.decode()
    assert not Case.objects.exists()


def test_case_page_masks_until_the_audited_reveal(care, opened, client):
    c = login(client, care.community_worker)
    page = c.get(f"/care/cases/{opened.pk}/").content.decode()
    assert "奶奶慢性肾病" not in page and "800" not in page and "••••••" in page
    assert AuditEntry.objects.filter(object_type="care.case", detail="view").count() == 1
    page = c.post(f"/care/cases/{opened.pk}/reveal/").content.decode()
    assert "奶奶慢性肾病" in page and "月收入约800元" in page
    assert AuditEntry.objects.filter(object_type="care.case", detail="reveal", user=care.community_worker).count() == 1


def test_outsiders_get_404_on_every_case_page(care, opened, client):
    for user in (care.grid_worker, care.owners1, care.member1, care.resident1, care.charity1, care.rider1,
                 care.nobody):
        c = login(client, user)
        assert c.get(f"/care/cases/{opened.pk}/").status_code == 404, user
        assert c.post(f"/care/cases/{opened.pk}/reveal/").status_code == 404, user
        assert c.post(f"/care/cases/{opened.pk}/close/", {"review": "x", "confirm_open": "1"}).status_code in (302, 404)
    opened.refresh_from_db()
    assert opened.stage == "open"


def test_dibao_public_notice_shows_only_what_may_be_public(care, opened, client):
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="dibao", started_on=TODAY)
    services.measure_update(user=w, measure=m.pk, dibao_stage="assessment", on=TODAY)
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="public_notice", on=TODAY, notice_to=TODAY)
    client.logout()
    page = client.get(f"/care/notice/{m.notice_code}/").content.decode()
    main = page.split("<main")[1]
    assert "李*" in main and "李娜" not in main and "宁江新城一期" in main
    for private in ("1栋101", "宁江新城一期1栋", care.R1b.id_number_clear(), care.R1b.phone_clear(),
                    care.R1b.phone_masked, care.R1b.id_number_masked, "透析", "800", "失业"):
        assert private not in main, private
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="decision", on=TODAY, outcome="approved", amount="650")
    main = client.get(f"/care/notice/{m.notice_code}/").content.decode().split("<main")[1]
    assert "650" in main and "李娜" not in main
    assert client.get("/care/notice/nope/").status_code == 404


def test_dibao_public_notice_in_english_shows_only_what_may_be_public(care, opened, client):
    """The same notice read in English: every word of the page is English; the only Chinese left is the data
    a notice may show (the masked surname, the compound, the community), and nothing private."""
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="dibao", started_on=TODAY)
    services.measure_update(user=w, measure=m.pk, dibao_stage="assessment", on=TODAY)
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="public_notice", on=TODAY, notice_to=TODAY)
    client.logout()
    client.cookies["django_language"] = "en"
    for step in ("notice", "approved"):
        r = client.get(f"/care/notice/{m.notice_code}/", HTTP_ACCEPT_LANGUAGE="en")
        page = r.content.decode()
        assert r.status_code == 200 and '<html lang="en"' in page
        main = page.split("<main")[1].split("</main>")[0]
        assert "Public notice: minimum living allowance" in main and "Applicant" in main and "Notice period" in main
        assert "李*" in main and "宁江新城一期" in main and "新城社区" in main
        for private in ("李娜", "1栋101", "宁江新城一期1栋", care.R1b.id_number_clear(), care.R1b.phone_clear(),
                        care.R1b.phone_masked, care.R1b.id_number_masked, "透析", "800", "失业", "张伟"):
            assert private not in page, (step, private)
        # no Chinese fallback anywhere on the page: what is left once the notice's data is taken out is English
        rest = page
        for data in ("李*", "宁江新城一期", "新城社区", "共治", "中文"):  # 中文: the language switch
            rest = rest.replace(data, "")
        assert not HAN.findall(rest), (step, sorted(set(HAN.findall(rest))))
        if step == "notice":
            assert "Monthly allowance" not in main
            m = services.measure_update(user=w, measure=m.pk, dibao_stage="decision", on=TODAY, outcome="approved",
                                        amount="650")
        else:
            assert "650" in main and "Monthly allowance" in main and "Approved on" in main


def test_refused_dibao_has_no_notice(care, opened, client):
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="dibao", started_on=TODAY)
    services.measure_update(user=w, measure=m.pk, dibao_stage="assessment", on=TODAY)
    m = services.measure_update(user=w, measure=m.pk, dibao_stage="public_notice", on=TODAY, notice_to=TODAY)
    services.measure_update(user=w, measure=m.pk, dibao_stage="decision", on=TODAY, outcome="refused", note="收入超标")
    assert client.get(f"/care/notice/{m.notice_code}/").status_code == 404


def test_charity_decides_through_its_page_and_sees_nothing_else(care, opened, client):
    m = services.measure_add(user=care.community_worker, case=opened.pk, kind="scholarship", started_on=TODAY,
                             organisation=care.charity.pk, beneficiary_name="张小明", application_note="初二学生")
    c = login(client, care.charity1)
    home = c.get("/").content.decode()
    assert f"/care/measures/{m.pk}/" in home
    page = c.get(f"/care/measures/{m.pk}/").content.decode()
    assert "张小明" in page and "初二学生" in page and "透析" not in page and "800" not in page
    r = c.post(f"/care/measures/{m.pk}/", {"approved": "yes", "amount": "-1", "decided_on": TODAY.isoformat()})
    assert r.status_code == 400 and "金额不能为负数" in r.content.decode()
    r = c.post(f"/care/measures/{m.pk}/", {"approved": "yes", "amount": "2000", "period": "term",
                                          "decided_on": TODAY.isoformat(), "version": m.version})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.outcome == "approved" and m.amount == 2000
    assert c.get(f"/care/cases/{opened.pk}/").status_code == 404
    c = login(client, care.charity2)
    assert c.get(f"/care/measures/{m.pk}/").status_code == 404


# ---- the API ----

def test_api_walk_referral_to_close(care, api):
    r = api.post(care.property1, "/api/v1/care/referrals", {"household": care.H1.pk, "note": "母亲失业，孩子无人照看"})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert set(r.json()) == {"id", "number", "compound", "household", "referred_at", "status", "status_label"}
    assert api.get(care.property1, f"/api/v1/care/cases/{pk}").status_code == 404
    assert api.get(care.property1, f"/api/v1/care/referrals/{pk}").json()["status"] == "received"
    assert api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/assign", {"worker": care.grid_worker.pk}).status_code == 404
    assert api.post(care.community_worker, f"/api/v1/care/cases/{pk}/assign",
                    {"worker": care.grid_worker.pk}).status_code == 200
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/verify",
                 {"visited_on": (TODAY - datetime.timedelta(days=5)).isoformat(), "findings": "x", "decision": "open",
                  "case_type": "low_income"})
    assert r.status_code == 400 and r.json()["field"] == "visited_on"
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/verify",
                 {"visited_on": TODAY.isoformat(), "findings": "母亲失业", "decision": "open", "case_type": "child",
                  "health": "孩子哮喘", "applicant": care.R1.pk, "household_size": 3})
    assert r.status_code == 200 and r.json()["stage"] == "open"
    assert "哮喘" not in r.content.decode()
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/measures",
                 {"kind": "relief", "started_on": TODAY.isoformat(), "amount": -5})
    assert r.status_code == 400 and r.json()["field"] == "amount"
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/measures",
                 {"kind": "scholarship", "started_on": TODAY.isoformat(), "organisation": care.charity.pk,
                  "beneficiary_name": "张小明", "application_note": "初二"})
    mid = r.json()["id"]
    assert api.get(care.charity1, "/api/v1/care/org-measures").json()["count"] == 1
    assert api.get(care.charity2, "/api/v1/care/org-measures").json()["count"] == 0
    r = api.post(care.charity2, f"/api/v1/care/org-measures/{mid}/decision",
                 {"approved": True, "decided_on": TODAY.isoformat(), "amount": 2000})
    assert r.status_code == 404
    r = api.post(care.charity1, f"/api/v1/care/org-measures/{mid}/decision",
                 {"approved": True, "decided_on": TODAY.isoformat(), "amount": 2000})
    assert r.status_code == 200 and r.json()["outcome"] == "approved"
    api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/measures", {"kind": "relief", "started_on": TODAY.isoformat()})
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/close", {"review": "已稳定"})
    assert r.status_code == 400 and r.json()["field"] == "confirm_open"
    assert Case.objects.get(pk=pk).stage == "open"
    r = api.post(care.grid_worker, f"/api/v1/care/cases/{pk}/close", {"review": "已稳定", "confirm_open": True})
    assert r.status_code == 200 and r.json()["stage"] == "closed"
    assert api.get(care.property1, f"/api/v1/care/referrals/{pk}").json()["status"] == "concluded"
    r = api.post(care.community_worker, f"/api/v1/care/cases/{pk}/reveal")
    assert r.json()["health"] == "孩子哮喘"
    assert Measure.objects.filter(case_id=pk, outcome="cancelled").count() == 1


def test_api_export_needs_a_reason(care, opened, api):
    r = api.post(care.community_worker, "/api/v1/care/export", {"reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = api.post(care.community_worker, "/api/v1/care/export", {"reason": "民政季度统计"})
    assert r.json()["count"] == 1 and "透析" not in r.content.decode()
    assert api.post(care.grid_worker, "/api/v1/care/export", {"reason": "民政季度统计"}).status_code == 404


def test_a_hardship_appeal_becomes_a_referral_linked_both_ways(care, client):
    from gongzhi.appeals.models import Appeal

    appeal = Appeal.objects.create(category=care.hardship, title="家里困难", description="母亲失业，孩子上学没钱",
                                   compound=care.K1, building=care.B1, household=care.H1, reporter=care.resident1)
    c = login(client, care.community_worker)
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "转为帮扶转介" in page
    r = c.post(f"/care/from-appeal/{appeal.pk}/")
    case = Case.objects.get(appeal=appeal)
    assert r.status_code == 302 and case.referred_by == care.community_worker and "母亲失业" in case.referral_note_clear()
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/care/cases/{case.pk}/" in page and "转为帮扶转介</button>" not in page
    # once only; and not for other categories, nor by those who do not dispatch
    r = c.post(f"/care/from-appeal/{appeal.pk}/")
    assert Case.objects.filter(appeal=appeal).count() == 1
    page = login(client, care.resident1).get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/care/cases/{case.pk}/" not in page and "转为帮扶转介</button>" not in page
    assert login(client, care.grid_worker).post(f"/care/from-appeal/{appeal.pk}/").status_code == 404
    assert Case.objects.count() == 1


def test_the_pages_in_english_leave_no_chinese_but_the_data(care, opened, client):
    """Every product word of the assistance pages is English once English is chosen, punctuation included; what
    Chinese is left is the data (names, places, what the worker typed)."""
    w = care.community_worker
    m = services.measure_add(user=w, case=opened.pk, kind="scholarship", started_on=TODAY,
                             organisation=care.charity.pk, beneficiary_name="张小明", application_note="初二学生")
    data = ("兴宁市善小助学协会", "另一个基金会", "宁江新城一期", "宁江新城二期", "户口簿、失业证", "李娜", "李*", "1栋",
            "网格员", "张小明", "初二学生")
    client.cookies["django_language"] = "en"
    pages = {w: [f"/care/cases/{opened.pk}/", "/care/", "/care/visits/", "/care/export/", "/care/refer/", "/"],
             care.charity1: ["/care/measures/", f"/care/measures/{m.pk}/", "/"],
             care.property1: ["/care/referrals/", f"/care/cases/{opened.pk}/", "/care/refer/"],
             care.grid_worker: ["/care/", "/care/visits/", "/"]}
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200, (user.username, url)
            main = r.content.decode().split("<main")[1].split("</main>")[0]
            for word in data:
                main = main.replace(word, "")
            assert not HAN.findall(main) and not re.findall("[：（）、]", main), (user.username, url, main[:3000])
