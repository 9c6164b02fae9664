"""Organisation pages, the audit log page, login, layout and language."""
import datetime
import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.grid.models import Household
from gongzhi.orgs.models import Membership, Organisation, OrgKind


def get(client, who, url, **params):
    client.force_login(who)
    return client.get(url, params)


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def words(response):
    """The page's text as read, tags removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# ---- organisations --------------------------------------------------------------------------------


def test_org_list_grouped_by_kind_and_scoped(client, cast):
    body = text(get(client, cast.property1, "/orgs/"))
    assert "物业服务企业" in body and "业主委员会" in body and "社区党委" in body
    assert "君胜物业" in body and "宁江新城一期业委会" in body and "新城社区党委" in body
    assert "东风物业" not in body
    # Groups come in the order of the kinds: the party committee before the property companies.
    assert body.index("社区党委</h2>") < body.index("物业服务企业</h2>") < body.index("业主委员会</h2>")
    body = text(get(client, cast.resident2, "/orgs/"))  # compound 2: no owners' committee of compound 1
    assert "君胜物业" in body and "宁江新城一期业委会" not in body


def test_org_list_refused_without_org_view(client, cast):
    assert get(client, cast.rider1, "/orgs/").status_code == 404
    assert get(client, cast.nobody, "/orgs/").status_code == 404


@pytest.mark.parametrize("who,org,status", [
    ("property1", "property_co", 200), ("property1", "other_property", 404), ("owners1", "owners_k1", 200),
    ("member1", "party", 200), ("resident2", "owners_k1", 404), ("street_admin", "other_property", 200),
    ("nobody", "party", 404),
])
def test_org_page_scoping(client, cast, who, org, status):
    assert get(client, getattr(cast, who), f"/orgs/{getattr(cast, org).pk}/").status_code == status


def test_org_page_bad_id(client, cast):
    assert get(client, cast.street_admin, "/orgs/abc/").status_code == 404
    assert get(client, cast.street_admin, "/orgs/99999/").status_code == 404


def test_org_page_members_terms_and_cross_appointments(client, cast):
    manager = cast.R1c
    Membership.objects.create(organisation=cast.property_co, resident=manager, person_name="王强", position="项目经理",
                              term_start=datetime.date(2023, 1, 1))
    Membership.objects.create(organisation=cast.party, resident=manager, person_name="王强", position="兼职委员",
                              term_start=datetime.date(2023, 3, 1), term_end=datetime.date(2026, 2, 28))
    Membership.objects.create(organisation=cast.other_property, resident=manager, person_name="王强", position="顾问")
    body = text(get(client, cast.community_worker, f"/orgs/{cast.party.pk}/"))
    assert "党员甲" in body and "委员" in body
    assert "兼职委员" in body and "2023-03-01 — 2026-02-28" in body
    # The property manager's other post is shown; the post in an organisation outside the scope is not.
    assert re.search(r'王强</a></td>.*?君胜物业</a> · 项目经理', body)
    assert "顾问" not in body and "东风物业" not in body
    assert f'href="/grid/community/{cast.C.pk}/"' in body  # coverage links to the grid
    body = text(get(client, cast.property1, f"/orgs/{cast.property_co.pk}/"))
    assert "项目经理" in body and "2023-01-01 — 至今" in body and "新城社区党委</a> · 兼职委员" in body
    assert "宁江新城一期" in body and "宁江新城二期" in body


def test_resident_page_lists_posts(client, cast):
    Membership.objects.create(organisation=cast.party, resident=cast.R1, person_name="张伟", position="网格党小组长")
    body = text(get(client, cast.community_worker, f"/people/resident/{cast.R1.pk}/"))
    assert "所任职务" in body and "网格党小组长" in body


# ---- audit log --------------------------------------------------------------------------------------


def test_audit_page_only_for_auditors(client, cast):
    assert get(client, cast.street_admin, "/audit/").status_code == 200
    for user in (cast.community_worker, cast.grid_worker, cast.resident1, cast.nobody):
        assert get(client, user, "/audit/").status_code == 404


def test_audit_page_filters(client, cast):
    audit(AuditAction.REVEAL, user=cast.community_worker, obj=cast.R1, changes={"field": "phone"})
    audit(AuditAction.UPDATE, user=cast.grid_worker, obj=cast.H1, changes={"floor_area": ["98.50", "99.00"]})
    then = datetime.datetime(2024, 1, 2, 3, 0, tzinfo=datetime.timezone.utc)
    with mock.patch("django.utils.timezone.now", return_value=then):  # entries are append-only: made in the past
        audit(AuditAction.LOGIN, user=cast.grid_worker, obj=cast.grid_worker)

    body = words(get(client, cast.street_admin, "/audit/"))
    area = str(Household._meta.get_field("floor_area").verbose_name)
    assert f"community_worker 查看明文 居民 {cast.R1.name}" in body and "查看的字段 手机号" in body
    assert f"grid_worker1 修改 户 {cast.H1}" in body and f"{area} 98.50 → 99.00" in body
    body = words(get(client, cast.street_admin, "/audit/", user="grid_worker"))
    assert "98.50 → 99.00" in body and "查看的字段" not in body
    body = words(get(client, cast.street_admin, "/audit/", action="reveal"))
    assert "查看的字段 手机号" in body and "98.50" not in body
    body = words(get(client, cast.street_admin, "/audit/", object_type="grid.household"))
    assert "98.50" in body and "查看的字段" not in body
    body = words(get(client, cast.street_admin, "/audit/", obj=cast.R1.name))
    assert "查看的字段 手机号" in body and "98.50" not in body
    body = words(get(client, cast.street_admin, "/audit/", date_from="2024-01-01", date_to="2024-01-31"))
    assert "2024-01-02 11:00:00" in body and "98.50" not in body  # shown in Asia/Shanghai time
    assert "1 条记录" in body


def test_audit_page_bad_filters_are_form_errors(client, cast):
    for params in ({"date_from": "yesterday"}, {"action": "steal"}, {"date_from": "2024-02-01", "date_to": "2024-01-01"},
                   {"page": "x"}):
        r = get(client, cast.street_admin, "/audit/", **params)
        assert r.status_code == 200
    assert "结束日期不能早于开始日期" in get(client, cast.street_admin, "/audit/", date_from="2024-02-01",
                                          date_to="2024-01-01").content.decode()


def test_audit_page_paginates_and_is_read_only(client, cast):
    for i in range(60):
        audit(AuditAction.UPDATE, user=cast.street_admin, object_type="x.y", object_id=str(i))
    body = words(get(client, cast.street_admin, "/audit/", object_type="x.y"))
    assert "第 1 / 2 页" in body and body.count("x.y #") == 50
    client.force_login(cast.street_admin)
    before = AuditEntry.objects.count()
    assert client.post("/audit/", {"action": "delete"}).status_code == 405
    assert AuditEntry.objects.count() == before


# ---- login, layout, language ------------------------------------------------------------------------


def test_login_page(client, db):
    r = client.get("/accounts/login/")
    body = r.content.decode()
    assert r.status_code == 200 and "登录" in body and "用户名或手机号" in body
    assert 'name="csrfmiddlewaretoken"' in body and 'lang="zh-CN"' in body


def test_login_with_username_or_mobile_and_errors(client, cast):
    cast.community_worker.set_phone("13912345678")
    cast.community_worker.save()
    r = client.post("/accounts/login/", {"username": "community_worker", "password": "wrong"})
    assert r.status_code == 200 and "用户名或密码错误" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "", "password": ""})
    assert r.status_code == 200 and "这个字段是必填项" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "13912345678", "password": cast.password})
    assert r.status_code == 302
    r = client.get("/")  # the desk's home
    assert r.status_code == 200 and "待派单" in r.content.decode()


def test_logout_is_a_post(client, cast):
    client.force_login(cast.grid_worker)
    body = client.get("/grid/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/" data-logout>', body)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/grid/").status_code == 302


def test_nav_follows_the_policy(client, cast):
    body = text(get(client, cast.street_admin, "/grid/"))
    for label in ("网格", "居民搜索", "组织", "审计日志", "导入导出", "关注标签"):
        assert f">{label}</a>" in body
    assert "街道管理员" in body  # the role is shown by the user name
    body = text(get(client, cast.community_worker, "/grid/"))
    assert ">导入导出</a>" in body and ">审计日志</a>" not in body and "社区工作者" in body
    body = text(get(client, cast.grid_worker, "/grid/"))
    assert ">导入导出</a>" not in body and ">审计日志</a>" not in body and ">居民搜索</a>" in body
    body = text(get(client, cast.owners1, "/grid/"))
    assert ">居民搜索</a>" not in body and ">组织</a>" in body


def test_layout_is_responsive_and_loads_htmx(client, cast):
    body = get(client, cast.grid_worker, "/grid/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "/static/vendor/htmx/htmx.min.js" in body and "/static/css/gongzhi.css" in body
    css = (Path(settings.BASE_DIR) / "gongzhi/static/css/gongzhi.css").read_text()
    assert '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif' in css
    assert "@media (max-width: 699px)" in css and "td::before" in css


def test_language_switch_form(client, cast):
    body = get(client, cast.grid_worker, "/grid/").content.decode()
    assert 'action="/i18n/setlang/"' in body and 'value="en"' in body and 'value="zh-hans"' in body
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/grid/"})
    assert r.status_code == 302 and r["Location"] == "/grid/"
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


ENGLISH_CATALOGUE = Path(settings.BASE_DIR) / "gongzhi/locale/en/LC_MESSAGES/django.mo"


@pytest.mark.skipif(not ENGLISH_CATALOGUE.exists(),
                    reason="the English catalogue (gongzhi/locale/en/LC_MESSAGES/django.mo) is not compiled yet")
def test_login_page_in_english(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in body and "登录</h1>" not in body
    assert re.search(r"<h1>\s*(Log in|Sign in|Login)\s*</h1>", body, re.I)
    client.cookies.clear()
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in body and "登录</h1>" not in body


def test_chinese_is_the_default_even_for_english_browsers_without_choice(client, db):
    # Accept-Language picks English only when the catalogue exists; the page always renders.
    r = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert r.status_code == 200 and "登录" in r.content.decode()


def test_pages_never_500_on_odd_input(client, cast):
    client.force_login(cast.street_admin)
    # An unknown tag, an impossible date or page are read as no filter / the first page (200); an id past any
    # row is an unknown compound (404).
    for url, status in (("/people/search/?tag=%27", 200), ("/audit/?date_from=2024-13-45", 200),
                        ("/people/search/?page=-1&q=a", 200), ("/grid/compound/99999999999999999999999/", 404)):
        assert client.get(url).status_code == status, url
    assert client.get("/people/search/?q=%00").status_code == 400  # text that cannot be stored (test_input_text)
    assert Organisation.objects.filter(kind=OrgKind.PARTY_COMMITTEE).exists()
