"""Household, resident, search and tag pages: scoping, masking, reveal, forms that refuse bad input."""
import re

import pytest

from conftest import make_id
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.people.models import Resident, Tag

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def post(client, user, url, data, **headers):
    client.force_login(user)
    return client.post(url, data, **headers)


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


# ---- scoping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who,where,status", [
    ("community_worker", "H1", 200), ("grid_worker", "H1b", 200), ("grid_worker", "H2", 404),
    ("property1", "H2", 200), ("property1", "H3", 404), ("owners1", "H1", 200), ("owners1", "H2", 404),
    ("resident1", "H1", 200), ("resident1", "H1b", 404), ("resident2", "H1", 404),
    ("member1", "H1", 404), ("rider1", "H1", 404), ("nobody", "H1", 404), ("street_admin", "H3", 200),
])
def test_household_page_scoping(client, cast, who, where, status):
    assert get(client, getattr(cast, who), f"/people/household/{getattr(cast, where).pk}/").status_code == status


@pytest.mark.parametrize("who,where,status", [
    ("community_worker", "R1", 200), ("grid_worker", "R1c", 200), ("grid_worker", "R2", 404),
    ("property1", "R2", 200), ("property1", "R3", 404), ("owners1", "R1", 404),
    ("resident1", "R1b", 200), ("resident1", "R1c", 404), ("nobody", "R1", 404),
])
def test_resident_page_scoping(client, cast, who, where, status):
    assert get(client, getattr(cast, who), f"/people/resident/{getattr(cast, where).pk}/").status_code == status


@pytest.mark.parametrize("url", ["/people/household/x/", "/people/resident/1e3/", "/people/household/0/",
                                 "/people/resident/999999/", "/people/tags/abc/"])
def test_bad_ids_are_404(client, cast, url):
    assert get(client, cast.street_admin, url).status_code == 404


def test_household_page_shows_members_masked(client, cast):
    r = get(client, cast.community_worker, f"/people/household/{cast.H1.pk}/")
    body = text(r)
    assert "张伟" in body and "李娜" in body and "户主" in body and "配偶" in body
    assert "138****5678" in body and "441481********" in body
    assert "王强" not in body  # H1b's member
    assert not FULL_ID.search(body) and not FULL_PHONE.search(body)
    assert body.count(">显示</button>") == 4  # phone and ID for each of two members


def test_owners_committee_sees_the_household_but_not_its_members(client, cast):
    body = text(get(client, cast.owners1, f"/people/household/{cast.H1.pk}/"))
    assert "宁江新城一期1栋101" in body and "张伟" not in body and "无权查看居民信息" in body


def test_reveal_buttons_follow_the_policy(client, cast):
    # A grid worker may reveal phones, not ID numbers; a resident neither.
    body = text(get(client, cast.grid_worker, f"/people/resident/{cast.R1.pk}/"))
    assert 'name="field" value="phone"' in body and 'name="field" value="id_number"' not in body
    body = text(get(client, cast.resident1, f"/people/resident/{cast.R1.pk}/"))
    assert 'name="field"' not in body and "显示</button>" not in body


# ---- reveal -------------------------------------------------------------------------------------


def test_reveal_shows_the_clear_value_and_is_audited(client, cast):
    url = f"/people/resident/{cast.R1.pk}/reveal/"
    r = post(client, cast.community_worker, url, {"field": "id_number"})
    assert r.status_code == 200
    body = r.content.decode()
    assert cast.R1.id_number_clear() in body and "已记入审计日志" in body
    assert "tel:" not in body  # an ID number is not a number to call
    assert "no-store" in r["Cache-Control"] or "no-cache" in r["Cache-Control"]
    entry = AuditEntry.objects.filter(action=AuditAction.REVEAL).get()
    assert entry.username == "community_worker" and entry.object_id == str(cast.R1.pk)
    assert entry.changes == {"field": "id_number"}
    assert cast.R1.id_number_clear() not in str(entry.changes)


def test_reveal_with_htmx_returns_only_the_value(client, cast):
    r = post(client, cast.grid_worker, f"/people/resident/{cast.R1.pk}/reveal/", {"field": "phone"},
             HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "13800135678" in body and "<html" not in body
    assert 'href="tel:13800135678"' in body  # a tap calls the resident
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, username="grid_worker1").count() == 1


def test_reveal_refused_is_404_and_not_a_reveal(client, cast):
    # Grid worker may not see ID numbers; resident1 may see their household but reveal nothing.
    assert post(client, cast.grid_worker, f"/people/resident/{cast.R1.pk}/reveal/",
                {"field": "id_number"}).status_code == 404
    assert post(client, cast.resident1, f"/people/resident/{cast.R1.pk}/reveal/",
                {"field": "phone"}).status_code == 404
    assert post(client, cast.grid_worker, f"/people/resident/{cast.R2.pk}/reveal/",
                {"field": "phone"}).status_code == 404
    assert post(client, cast.community_worker, f"/people/resident/{cast.R1.pk}/reveal/",
                {"field": "note"}).status_code == 400
    assert get(client, cast.community_worker, f"/people/resident/{cast.R1.pk}/reveal/").status_code == 405
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() >= 3


# ---- no full identifiers anywhere -----------------------------------------------------------------


# What each user may not open among the pages below (404, as anything outside one's scope): a sweep that
# accepted 404 anywhere would pass over pages that stopped rendering.
_STAFF_OUT = {"h3", "r3", "audit", "tags"}
_SEARCH = {"search_name", "search_phone", "search_tag"}
_NO_GRID_ROLE = {"community", "compound", "building", "h1", "h3", "r1", "r3", "orgs", "party", "audit", "tags"} | _SEARCH
PAGES_NOT_THEIRS = {
    "street_admin": set(),
    "community_worker": _STAFF_OUT,
    "grid_worker1": _STAFF_OUT,
    "property1": _STAFF_OUT,
    "owners1": _STAFF_OUT | {"r1"} | _SEARCH,  # households of their compound, not the people in them
    "member1": _STAFF_OUT | {"h1", "r1"} | _SEARCH,
    "resident1": _STAFF_OUT | _SEARCH,  # their household's page, no search box over the people
    "resident2": _STAFF_OUT | {"compound", "building", "h1", "r1"} | _SEARCH,
    "rider1": _NO_GRID_ROLE,
    "nobody": _NO_GRID_ROLE,
}


def test_no_full_id_number_in_any_page_for_any_user(client, cast):
    cast.R1.tags.add(cast.tag_elderly, cast.tag_dibao)
    users = [cast.street_admin, cast.community_worker, cast.grid_worker, cast.property1, cast.owners1,
             cast.member1, cast.resident1, cast.resident2, cast.rider1, cast.nobody]
    urls = {"grid": "/grid/", "community": f"/grid/community/{cast.C.pk}/", "compound": f"/grid/compound/{cast.K1.pk}/",
            "building": f"/grid/building/{cast.B1.pk}/", "h1": f"/people/household/{cast.H1.pk}/",
            "h3": f"/people/household/{cast.H3.pk}/", "r1": f"/people/resident/{cast.R1.pk}/",
            "r3": f"/people/resident/{cast.R3.pk}/", "search_name": "/people/search/?q=宁江",
            "search_phone": "/people/search/?q=13800135678", "search_tag": "/people/search/?tag=dibao",
            "orgs": "/orgs/", "party": f"/orgs/{cast.party.pk}/", "audit": "/audit/", "tags": "/people/tags/"}
    seen = 0
    for user in users:
        client.force_login(user)
        for key, url in urls.items():
            r = client.get(url)
            expected = 404 if key in PAGES_NOT_THEIRS[user.username] else 200
            assert r.status_code == expected, (user.username, url, r.status_code)
            seen += r.status_code == 200
            assert not FULL_ID.search(r.content.decode()), (user.username, url)
    assert seen == len(users) * len(urls) - sum(map(len, PAGES_NOT_THEIRS.values()))


# ---- search ---------------------------------------------------------------------------------------


def test_search_by_exact_phone_and_id(client, cast):
    body = text(get(client, cast.community_worker, "/people/search/", q="138 0013 5678"))
    assert "张伟" in body and "找到 1 位居民" in body and "138****5678" in body
    body = text(get(client, cast.community_worker, "/people/search/", q=cast.R2.id_number_clear()))
    assert "陈静" in body and "找到 1 位居民" in body
    assert not FULL_ID.search(body)  # the number searched for is not echoed back
    # A partial phone number finds nothing: identifiers match exactly.
    body = text(get(client, cast.community_worker, "/people/search/", q="1380013"))
    assert "张伟" not in body


def test_search_by_name_address_and_tag(client, cast):
    cast.R1c.tags.add(cast.tag_elderly)
    body = text(get(client, cast.community_worker, "/people/search/", q="李"))
    assert "李娜" in body and "张伟" not in body
    body = text(get(client, cast.community_worker, "/people/search/", q="一期1栋101"))
    assert "张伟" in body and "李娜" in body and "王强" not in body
    body = text(get(client, cast.community_worker, "/people/search/", tag="elderly_alone"))
    assert "王强" in body and "张伟" not in body and "独居老人" in body


def test_search_is_scoped(client, cast):
    body = text(get(client, cast.grid_worker, "/people/search/", q="13600003333"))  # R2 lives in K2
    assert "陈静" not in body and "找到 0 位居民" in body
    assert get(client, cast.owners1, "/people/search/", q="张").status_code == 404  # no resident view at all


def test_search_sensitive_tag_only_for_who_may_see_it(client, cast):
    cast.R1.tags.add(cast.tag_dibao)
    body = text(get(client, cast.community_worker, "/people/search/", tag="dibao"))
    assert "张伟" in body and "低保户" in body
    # The grid worker is not offered the sensitive tag, and asking for it is a form error, not a result.
    r = get(client, cast.grid_worker, "/people/search/", tag="dibao")
    body = text(r)
    assert r.status_code == 200 and "张伟" not in body and "低保户" not in body
    assert 'class="errorlist' in body


def test_search_paginates(client, cast):
    for i in range(25):
        Resident.objects.create(name=f"测试{i:02d}", household=cast.H1b)
    body = text(get(client, cast.community_worker, "/people/search/", q="测试"))
    assert "找到 25 位居民" in body and "第 1 / 2 页" in body and body.count('href="/people/resident/') == 20
    assert 'href="?q=%E6%B5%8B%E8%AF%95&amp;page=2"' in body
    body = text(get(client, cast.community_worker, "/people/search/", q="测试", page="2"))
    assert "第 2 / 2 页" in body and body.count('href="/people/resident/') == 5
    body = text(get(client, cast.community_worker, "/people/search/", q="测试", page="abc"))
    assert "第 1 / 2 页" in body


def test_search_htmx_returns_the_results_fragment(client, cast):
    client.force_login(cast.community_worker)
    r = client.get("/people/search/", {"q": "张伟"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body and 'id="results"' in body and "张伟" in body


def test_search_with_a_very_long_query_is_a_form_error(client, cast):
    r = get(client, cast.community_worker, "/people/search/", q="张" * 500)
    assert r.status_code == 200 and 'class="errorlist' in r.content.decode()


# ---- household edit and new resident --------------------------------------------------------------


def test_household_edit(client, cast):
    url = f"/people/household/{cast.H1.pk}/edit/"
    data = {"code": "101", "address": "宁江新城一期1栋101室", "floor_area": "99.5", "tenure": "tenant"}
    r = post(client, cast.grid_worker, url, data)
    assert r.status_code == 302
    cast.H1.refresh_from_db()
    assert cast.H1.address == "宁江新城一期1栋101室" and str(cast.H1.floor_area) == "99.50" and cast.H1.tenure == "tenant"
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="grid.household").exists()


@pytest.mark.parametrize("change,message", [
    ({"floor_area": "abc"}, "专有面积应为数字"),
    ({"floor_area": "-3"}, "专有面积应大于0"),
    ({"address": ""}, "这个字段是必填项"),
    ({"tenure": "castle"}, "选择一个有效的选项"),
    ({"code": "102"}, "该楼栋已有此房号"),
])
def test_household_edit_bad_input_shows_error_and_changes_nothing(client, cast, change, message):
    data = {"code": "101", "address": "新地址", "floor_area": "50", "tenure": "owner", **change}
    r = post(client, cast.community_worker, f"/people/household/{cast.H1.pk}/edit/", data)
    assert r.status_code == 200
    assert message in r.content.decode()
    cast.H1.refresh_from_db()
    assert cast.H1.address == "宁江新城一期1栋101" and str(cast.H1.floor_area) == "98.50"
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_household_edit_refused_without_the_right(client, cast):
    data = {"code": "101", "address": "x", "floor_area": "", "tenure": "owner"}
    assert post(client, cast.property1, f"/people/household/{cast.H1.pk}/edit/", data).status_code == 404
    assert post(client, cast.grid_worker, f"/people/household/{cast.H2.pk}/edit/", data).status_code == 404
    cast.H1.refresh_from_db()
    assert cast.H1.address == "宁江新城一期1栋101"
    # And the form is not offered.
    assert "编辑户信息" not in text(get(client, cast.property1, f"/people/household/{cast.H1.pk}/"))


def test_add_resident(client, cast):
    new_id = make_id("44148120100606006")
    r = post(client, cast.grid_worker, f"/people/household/{cast.H1.pk}/residents/",
             {"name": "张小明", "relation": "child", "id_number": new_id, "phone": "", "note": ""})
    assert r.status_code == 302
    kid = Resident.objects.get(name="张小明")
    assert kid.household == cast.H1 and kid.relation == "child" and kid.id_number_clear() == new_id
    body = text(get(client, cast.grid_worker, f"/people/household/{cast.H1.pk}/"))
    assert "张小明" in body and "子女" in body and new_id not in body


@pytest.mark.parametrize("data,message", [
    ({"name": "", "id_number": ""}, "这个字段是必填项"),
    ({"name": "某人", "id_number": "441481201006060061"}, "身份证号校验位错误"),
    ({"name": "某人", "id_number": "12345"}, "身份证号应为18位"),
    ({"name": "某人", "phone": "12345678901"}, "手机号应为11位"),
])
def test_add_resident_bad_input(client, cast, data, message):
    if "校验位" in message:  # make sure the number is wrong only in its check digit
        good = make_id("44148120100606006")
        data["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
    before = Resident.objects.count()
    r = post(client, cast.community_worker, f"/people/household/{cast.H1.pk}/residents/",
             {"relation": "child", "phone": "", "note": "", "id_number": "", **data})
    assert r.status_code == 200 and message in r.content.decode()
    assert Resident.objects.count() == before


def test_add_resident_with_duplicate_id(client, cast):
    r = post(client, cast.community_worker, f"/people/household/{cast.H1b.pk}/residents/",
             {"name": "重复", "relation": "other", "id_number": cast.R1.id_number_clear(), "phone": "", "note": ""})
    body = r.content.decode()
    # The community worker may find 张伟 by ID number anyway, so the holder is named.
    assert r.status_code == 200 and "该身份证号已登记在居民“张伟”名下" in body
    assert not FULL_ID.search(body)  # the typed number is not echoed back into the form
    assert not Resident.objects.filter(name="重复").exists()


# ---- resident edit ------------------------------------------------------------------------------


def test_resident_edit_and_tags(client, cast):
    cast.R1.tags.add(cast.tag_dibao)
    url = f"/people/resident/{cast.R1.pk}/"
    # The grid worker sees the non-sensitive tag only, and keeping the form as it is keeps 低保 too.
    body = text(get(client, cast.grid_worker, url))
    assert "独居老人" in body and "低保户" not in body
    r = post(client, cast.grid_worker, url, {"name": "张伟", "relation": "head", "id_number": "", "phone": "13811112222",
                                            "note": "独居", "tags": ["elderly_alone"]})
    assert r.status_code == 302
    cast.R1.refresh_from_db()
    assert cast.R1.phone_clear() == "13811112222" and cast.R1.note == "独居"
    assert sorted(cast.R1.tags.values_list("code", flat=True)) == ["dibao", "elderly_alone"]
    assert cast.R1.id_number_clear().startswith("441481198001010")  # empty ID field: unchanged
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="people.resident").latest("id")
    assert entry.changes["phone"] == ["***", "***"] and "13811112222" not in str(entry.changes)


def test_resident_edit_bad_input_changes_nothing(client, cast):
    url = f"/people/resident/{cast.R1.pk}/"
    r = post(client, cast.community_worker, url, {"name": "新名字", "relation": "head", "id_number": "440000",
                                                 "phone": "", "note": ""})
    assert r.status_code == 200 and "身份证号应为18位" in r.content.decode()
    cast.R1.refresh_from_db()
    assert cast.R1.name == "张伟"
    r = post(client, cast.community_worker, url, {"name": "新名字", "relation": "boss", "id_number": "",
                                                 "phone": "", "note": ""})
    assert r.status_code == 200 and "选择一个有效的选项" in r.content.decode()
    r = post(client, cast.community_worker, url, {"name": "新名字", "relation": "head", "id_number": "",
                                                 "phone": "", "note": "", "tags": ["no_such_tag"]})
    assert r.status_code == 200 and "选择一个有效的选项" in r.content.decode()
    cast.R1.refresh_from_db()
    assert cast.R1.name == "张伟" and not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_resident_edit_refused_for_readers(client, cast):
    url = f"/people/resident/{cast.R1.pk}/"
    assert "编辑居民信息" not in text(get(client, cast.property1, url))
    assert post(client, cast.property1, url, {"name": "x", "relation": "head"}).status_code == 404
    assert post(client, cast.resident1, url, {"name": "x", "relation": "head"}).status_code == 404
    cast.R1.refresh_from_db()
    assert cast.R1.name == "张伟"


# ---- tags -------------------------------------------------------------------------------------------


def test_tags_page_only_for_tag_managers(client, cast):
    assert get(client, cast.street_admin, "/people/tags/").status_code == 200
    for user in (cast.community_worker, cast.grid_worker, cast.resident1, cast.nobody):
        assert get(client, user, "/people/tags/").status_code == 404
    assert post(client, cast.community_worker, "/people/tags/", {"code": "x", "name": "x"}).status_code == 404
    assert not Tag.objects.filter(code="x").exists()


def test_tags_create_rename_and_mark_sensitive(client, cast):
    r = post(client, cast.street_admin, "/people/tags/", {"code": "veteran", "name": "退役军人", "name_en": "Veteran"})
    assert r.status_code == 302
    tag = Tag.objects.get(code="veteran")
    assert not tag.sensitive
    r = post(client, cast.street_admin, f"/people/tags/{tag.pk}/",
             {f"t{tag.pk}-name": "退役军人家庭", f"t{tag.pk}-name_en": "", f"t{tag.pk}-sensitive": "on"})
    assert r.status_code == 302
    tag.refresh_from_db()
    assert tag.name == "退役军人家庭" and tag.sensitive and tag.code == "veteran"
    assert AuditEntry.objects.filter(object_type="people.tag", action=AuditAction.UPDATE).exists()
    assert "退役军人家庭" in text(get(client, cast.street_admin, "/people/tags/"))


def test_tags_bad_input(client, cast):
    r = post(client, cast.street_admin, "/people/tags/", {"code": "独居", "name": "重复"})
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    r = post(client, cast.street_admin, "/people/tags/", {"code": "new_one", "name": "独居老人"})
    assert r.status_code == 200 and "已有同名标签" in r.content.decode()
    r = post(client, cast.street_admin, "/people/tags/", {"code": "dibao", "name": "新"})
    assert r.status_code == 200 and "已有相同编码的标签" in r.content.decode()
    t = cast.tag_elderly
    r = post(client, cast.street_admin, f"/people/tags/{t.pk}/", {f"t{t.pk}-name": "低保户"})
    assert r.status_code == 200 and "已有同名标签" in r.content.decode()
    assert Tag.objects.count() == 2
    t.refresh_from_db()
    assert t.name == "独居老人"


def test_only_staff_are_offered_the_resident_search(client, cast):
    for user, offered in ((cast.community_worker, True), (cast.grid_worker, True), (cast.property1, True),
                          (cast.resident1, False), (cast.owners1, False)):
        client.force_login(user)
        body = client.get("/grid/").content.decode()
        assert ('href="/people/search/"' in body) is offered, user.username
        assert (client.get("/people/search/", {"tag": "dibao"}).status_code == 200) is offered, user.username
