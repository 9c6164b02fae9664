"""The notice pages: a list and one notice for readers, the form and actions for editors, in Chinese by default
and in English on request; the body is text, never markup."""
import re

import pytest

from gongzhi.notices.models import Notice, Status

pytestmark = pytest.mark.django_db


def words(r):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.content.decode()))


def test_a_resident_reads_the_list_and_a_notice_in_chinese(client, grid, put_up):
    n = put_up(body="第一段。\n\n第二段 <script>alert(1)</script>")
    client.force_login(grid.resident1)
    r = client.get("/notices/")
    assert r.status_code == 200 and "社区公告" in words(r) and "停水通知" in words(r) and "起草公告" not in words(r)
    r = client.get(f"/notices/{n.pk}/")
    html = r.content.decode()
    assert r.status_code == 200 and "<p>第一段。</p>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "编辑" not in words(r) and "发布范围" in words(r) and "新城社区" in words(r)


def test_the_pages_speak_english_on_request(client, grid, put_up):
    n = put_up()
    client.force_login(grid.resident1)
    client.cookies["django_language"] = "en"
    r = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="en")
    body = words(r)
    assert "Community notices" in body and "社区公告" not in body
    r = client.get(f"/notices/{n.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Published by" in words(r) and "Places" in words(r) and "Manage" not in words(r)


def test_a_resident_elsewhere_gets_404(client, grid, put_up):
    n = put_up([grid.K1])
    client.force_login(grid.resident2)
    assert client.get(f"/notices/{n.pk}/").status_code == 404
    assert "停水通知" not in words(client.get("/notices/"))
    assert client.get(f"/notices/{n.pk}/edit/").status_code == 404


def test_visitors_are_sent_to_log_in(client, grid, put_up):
    n = put_up()
    r = client.get(f"/notices/{n.pk}/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_an_editor_drafts_and_publishes_on_the_pages(client, grid):
    g = grid
    client.force_login(g.community_worker)
    r = client.get("/notices/new/")
    assert r.status_code == 200 and "发布范围" in words(r) and "新城社区（全社区）" in words(r)
    assert "东风" not in words(r)  # another community is no choice
    r = client.post("/notices/new/", {"title": "", "kind": "notice", "body": "", "reach": []})
    assert r.status_code == 400 and "请填写标题" in words(r) and "请选择公告的发布范围" in words(r)
    r = client.post("/notices/new/", {"title": "消防演练", "kind": "activity", "body": "周五下午演练",
                                      "reach": [f"compound:{g.K1.pk}", f"compound:{g.K2.pk}"]})
    n = Notice.objects.get(title="消防演练")
    assert r.status_code == 302 and n.status == Status.DRAFT and n.reach.count() == 2
    r = client.post(f"/notices/{n.pk}/act/", {"action": "publish", "version": n.version})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == Status.PUBLISHED and n.published_by == g.community_worker


def test_a_stale_form_is_told_of_the_conflict(client, grid, put_up):
    g = grid
    n = put_up(publish=False)
    client.force_login(g.community_worker)
    form = {"title": "先到的", "kind": "notice", "body": "正文", "reach": [f"community:{g.C.pk}"],
            "version": n.version}
    assert client.post(f"/notices/{n.pk}/edit/", form).status_code == 302
    r = client.post(f"/notices/{n.pk}/edit/", {**form, "title": "后到的"})
    assert r.status_code == 409 and "已被他人修改" in words(r) and 'value="先到的"' in r.content.decode()
    r = client.post(f"/notices/{n.pk}/act/", {"action": "publish", "version": n.version})
    assert r.status_code == 409
    assert Notice.objects.get(pk=n.pk).status == Status.DRAFT


def test_the_home_shows_the_latest_three(client, grid, put_up):
    for i in range(4):
        put_up(title=f"公告{i}")
    put_up(publish=False, title="未发布的草稿")
    client.force_login(grid.resident1)
    body = words(client.get("/"))
    assert "社区公告" in body and "公告3" in body and "公告1" in body and "公告0" not in body
    assert "未发布的草稿" not in body and "全部公告" in body
    client.force_login(grid.rider1)
    assert "社区公告" not in words(client.get("/"))
