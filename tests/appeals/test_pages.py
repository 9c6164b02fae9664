"""The appeal pages: who sees what, submitting, acting with the version, the rates, and the settings pages."""
import datetime
import re

import pytest
from django.utils import translation
from django.utils import timezone

from gongzhi.appeals.models import Appeal, AppealEvent, Category, RoutingRule, Status
from gongzhi.appeals.page_queries import attach_countdowns, countdown
from gongzhi.core.models import AuditEntry, CalendarDay
from gongzhi.core.workdays import working_days_between

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def post(client, user, url, data):
    client.force_login(user)
    return client.post(url, data)


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def act_form(client, user, appeal, action, **data):
    return post(client, user, f"/appeals/{appeal.pk}/act/", {"action": action, "version": appeal.version, **data})


# ---- who may open which page ---------------------------------------------------------------------


def test_pages_need_login(client, grid):
    for url in ("/appeals/", "/appeals/new/", "/appeals/rates/", "/appeals/categories/", "/appeals/calendar/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], url


@pytest.mark.parametrize("url,allowed,refused", [
    ("/appeals/", ["resident1", "community_worker", "property1", "grid_worker", "street_admin", "owners1"], ["nobody", "rider1"]),
    ("/appeals/new/", ["resident1", "community_worker", "property1", "grid_worker"], ["nobody", "rider1"]),
    ("/appeals/rates/", ["community_worker", "property1", "street_admin", "grid_worker"], ["resident1", "owners1", "nobody"]),
    ("/appeals/categories/", ["street_admin"], ["community_worker", "property1", "resident1"]),
    ("/appeals/routing/", ["street_admin"], ["community_worker", "grid_worker", "resident1"]),
    ("/appeals/calendar/", ["street_admin"], ["community_worker", "property1", "resident1"]),
])
def test_page_access(client, grid, url, allowed, refused):
    for name in allowed:
        assert get(client, getattr(grid, name), url).status_code == 200, (url, name)
    for name in refused:
        assert get(client, getattr(grid, name), url).status_code == 404, (url, name)


def test_detail_is_scoped(client, grid, submit):
    mine = submit()
    assert get(client, grid.resident1, f"/appeals/{mine.pk}/").status_code == 200
    assert get(client, grid.community_worker, f"/appeals/{mine.pk}/").status_code == 200
    assert get(client, grid.property1, f"/appeals/{mine.pk}/").status_code == 200
    assert get(client, grid.resident2, f"/appeals/{mine.pk}/").status_code == 404
    # An appeal in the other community (K3) is out of the community worker's scope.
    elsewhere = submit(user=grid.street_admin, channel="hotline", compound=grid.K3, contact_name="来电人")
    assert get(client, grid.community_worker, f"/appeals/{elsewhere.pk}/").status_code == 404
    assert get(client, grid.street_admin, f"/appeals/{elsewhere.pk}/").status_code == 200
    assert get(client, grid.resident1, "/appeals/999999/").status_code == 404


# ---- submitting ------------------------------------------------------------------------------------


def submit_data(grid, **kw):
    data = {"category": grid.lift.pk, "description": "3栋电梯停在8楼不动，里面没人", "place": "compound",
            "compound": grid.K1.pk, "building": "", "address": "3栋1单元"}
    data.update(kw)
    return data


def test_new_form_preselects_the_residents_compound(client, grid):
    body = text(get(client, grid.resident1, "/appeals/new/"))
    assert f'<option value="{grid.K1.pk}" selected>' in body
    assert 'name="channel"' not in body  # residents speak for themselves
    # Categories grouped by their top-level parent.
    assert '<optgroup label="物业服务">' in body and "电梯故障" in body
    # The private categories are marked for the script that switches "public" off.
    assert 'data-private-categories="' in body and str(grid.hardship.pk) in re.search(r'data-private-categories="([^"]*)"', body).group(1)
    # No inline scripts or handlers: a strict CSP can come later.
    assert "<script>" not in body and " onclick=" not in body and 'src="/static/js/appeals.js"' in body


def test_staff_form_offers_their_channels_and_compounds(client, grid):
    body = text(get(client, grid.community_worker, "/appeals/new/"))
    assert 'name="channel"' in body and 'value="hotline"' in body and 'value="walk_in"' in body
    assert 'value="property"' not in body
    assert grid.K1.name in body and grid.K2.name in body and grid.K3.name not in body
    assert "来电/来访人姓名" in body and "答复您" not in body
    body = text(get(client, grid.property1, "/appeals/new/"))
    assert 'value="property"' in body and 'value="hotline"' not in body
    body = text(get(client, grid.grid_worker, "/appeals/new/"))  # a patrol: no caller, no "we will answer you"
    assert 'value="patrol"' in body and "当事人姓名（如有）" in body
    assert "来电/来访人姓名" not in body and "答复您" not in body
    body = text(get(client, grid.resident1, "/appeals/new/"))
    assert "答复您" in body and "当事人" not in body


def test_submit_via_the_form_creates_an_appeal(client, grid):
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, building=grid.B1.pk, is_public="on"))
    a = Appeal.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/appeals/{a.pk}/"
    assert (a.reporter, a.compound, a.building, a.category, a.is_public) == (grid.resident1, grid.K1, grid.B1, grid.lift, True)
    assert a.suggested_handler == grid.property_co and a.address == "3栋1单元"
    body = text(client.get(r["Location"]))
    assert a.number in body and "诉求已提交" in body and "已提交" in body


def test_staff_enters_a_hotline_call(client, grid):
    r = post(client, grid.community_worker, "/appeals/new/", submit_data(
        grid, channel="hotline", contact_name="王先生", contact_phone="13800138000"))
    assert r.status_code == 302
    a = Appeal.objects.get()
    assert a.channel == "hotline" and a.reporter is None and a.entered_by == grid.community_worker
    assert a.contact_phone_masked and "13800138000" not in a.contact_phone_masked


def test_submit_by_location(client, grid):
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, place="location", compound="", lat="24.1502", lng="115.7301"))
    assert r.status_code == 302
    assert Appeal.objects.get().compound == grid.K2


@pytest.mark.parametrize("change,message", [
    ({"description": ""}, "诉求内容不能为空"),
    ({"description": "长" * 51200}, "诉求内容不能超过"),
    ({"compound": ""}, "请在地图上选点，或选择小区/楼栋"),
    ({"place": "location", "compound": "", "lat": "", "lng": ""}, "请在地图上选点，或选择小区/楼栋"),
    ({"place": "location", "lat": "23.0", "lng": "113.0"}, "该位置不在任何小区范围内"),
    ({"category": ""}, "请选择有效的诉求分类"),
    ({"category": "999999"}, "请选择有效的诉求分类"),
    ({"compound": "999999"}, "请从列表中选择小区"),
    ({"building": "999999"}, "请从列表中选择楼栋"),
    ({"is_public": "on", "category": "hardship"}, "该分类的诉求不公开"),
])
def test_bad_submissions_show_errors_and_write_nothing(client, grid, change, message):
    if change.get("category") == "hardship":
        change = {**change, "category": grid.hardship.pk}
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, **change))
    assert r.status_code == 400
    assert message in r.content.decode()
    assert Appeal.objects.count() == 0 and AppealEvent.objects.count() == 0


def png_upload(name="lift.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 16, 46)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_submit_with_photos(client, grid, media):
    data = submit_data(grid, photos=[png_upload("a.png"), png_upload("b.png")])
    r = post(client, grid.resident1, "/appeals/new/", data)
    assert r.status_code == 302
    a = Appeal.objects.get()
    assert a.photos.count() == 2
    body = text(client.get(r["Location"]))
    for photo in a.photos.all():
        assert f'href="/appeals/photos/{photo.pk}/full/"' in body and f'src="/appeals/photos/{photo.pk}/thumb/"' in body
    assert client.get(f"/appeals/photos/{a.photos.first().pk}/thumb/").status_code == 200


def test_a_pdf_named_jpg_is_refused_and_nothing_is_written(client, grid, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\n", content_type="image/jpeg")
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, photos=[png_upload(), fake]))
    assert r.status_code == 400 and "只能上传图片" in r.content.decode()
    assert Appeal.objects.count() == 0 and AppealEvent.objects.count() == 0
    from gongzhi.appeals.models import AppealPhoto
    assert AppealPhoto.objects.count() == 0


def test_resolve_with_evidence_photo(client, grid, submit, act, media):
    a = submit()
    a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    a = act(grid.property1, a, "take")
    client.force_login(grid.property1)
    r = client.post(f"/appeals/{a.pk}/act/", {"action": "resolve", "version": a.version, "note": "已修复",
                                               "photos": [png_upload()]})
    assert r.status_code == 302
    photo = a.photos.get()
    assert photo.kind == "evidence" and photo.event.action == "resolve"


def test_building_must_be_in_the_chosen_compound(client, grid):
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, compound=grid.K1.pk, building=grid.B3.pk))
    assert r.status_code == 400 and Appeal.objects.count() == 0
    # B3 is not even offered to resident1 (only their own compound's buildings are).
    assert "请从列表中选择楼栋" in r.content.decode()


def test_resident_may_not_use_a_staff_channel(client, grid):
    r = post(client, grid.resident1, "/appeals/new/", submit_data(grid, channel="hotline"))
    assert r.status_code == 302  # the field is not offered: the appeal is the resident's own
    assert Appeal.objects.get().channel == "app"


def test_similar_open_appeals_are_suggested_while_typing(client, grid, submit):
    public = submit(is_public=True, compound=grid.K2, description="2栋电梯停在8楼不动，按钮没反应")
    private = submit(is_public=False, compound=grid.K2, description="2栋电梯停在8楼不动，里面有人")
    r = get(client, grid.resident2, "/appeals/similar/", description="电梯又停在8楼不动了", category=grid.lift.pk,
            compound=grid.K2.pk)
    body = text(r)
    assert r.status_code == 200 and "<html" not in body
    assert public.title in body
    assert f'action="/appeals/{public.pk}/metoo/"' in body and "我也遇到了（附议）" in body
    assert f"/appeals/{private.pk}/metoo/" not in body  # another resident's private appeal is not shown
    # Too short to compare: nothing.
    assert text(get(client, grid.resident2, "/appeals/similar/", description="电")).strip() == ""
    assert get(client, grid.nobody, "/appeals/similar/", description="电梯").status_code == 404
    # The reporter sees their own appeal without a me-too button.
    body = text(get(client, grid.resident1, "/appeals/similar/", description="电梯停在8楼不动", compound=grid.K2.pk))
    assert "您已提交过" in body and f"/appeals/{public.pk}/metoo/" not in body


def test_me_too(client, grid, submit):
    a = submit(is_public=True)
    r = post(client, grid.resident2, f"/appeals/{a.pk}/metoo/", {})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.me_too_count == 1


def test_me_too_twice_is_a_message(client, grid, submit):
    a = submit(is_public=True)
    post(client, grid.resident2, f"/appeals/{a.pk}/metoo/", {})
    r = client.post(f"/appeals/{a.pk}/metoo/", {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "您已附议过该诉求" in r.content.decode()
    a.refresh_from_db()
    assert a.me_too_count == 1


# ---- acting on an appeal ------------------------------------------------------------------------


def test_detail_offers_exactly_the_allowed_actions(client, grid, submit):
    a = submit()
    body = text(get(client, grid.community_worker, f"/appeals/{a.pk}/"))
    for action in ("accept", "dispatch", "reject", "note", "supervise"):
        assert f'name="action" value="{action}"' in body, action
    assert 'name="action" value="take"' not in body and 'name="action" value="resolve"' not in body
    # The suggested handler is preselected in the dispatch form, with the routing note shown.
    assert re.search(rf'<option value="{grid.property_co.pk}" selected>君胜物业', body)
    assert a.routing_note in body
    # The reporter may only add to it or take it back yet (补充, 撤回; chasing waits for the deadline), and sees
    # no staff controls.
    body = text(get(client, grid.resident1, f"/appeals/{a.pk}/"))
    assert re.findall(r'name="action" value="(\w+)"', body) == ["supplement", "withdraw"] and "建议承办" not in body


def test_dispatch_via_the_form_and_a_stale_version(client, grid, submit):
    a = submit()
    stale = a.version
    r = act_form(client, grid.community_worker, a, "dispatch", handler=grid.property_co.pk, note="请尽快处理")
    assert r.status_code == 302 and r["Location"] == f"/appeals/{a.pk}/"
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED and a.handler == grid.property_co and a.version == stale + 1
    # The same form sent again (someone else acted in between): a clear conflict, nothing changed.
    r = post(client, grid.community_worker, f"/appeals/{a.pk}/act/",
             {"action": "reassign", "version": stale, "handler": grid.office.pk})
    assert r.status_code == 409
    assert "该诉求已被他人处理" in r.content.decode()
    a.refresh_from_db()
    assert a.handler == grid.property_co and a.version == stale + 1
    assert a.events.filter(action="reassign").count() == 0


def test_action_errors_are_shown_on_the_form(client, grid, submit):
    a = submit()
    r = act_form(client, grid.community_worker, a, "reject", note="")
    assert r.status_code == 400 and "说明不能为空" in r.content.decode()
    assert re.search(r'<details class="act caution" data-action="reject" open>', text(r))
    r = act_form(client, grid.community_worker, a, "dispatch", handler="")
    assert r.status_code == 400 and "请选择承办单位" in r.content.decode()
    r = post(client, grid.community_worker, f"/appeals/{a.pk}/act/", {"action": "dispatch", "handler": grid.office.pk})
    assert r.status_code == 400 and "页面已过期" in r.content.decode()
    r = act_form(client, grid.community_worker, a, "fly")
    assert r.status_code == 400 and "未知操作" in r.content.decode()
    # Not the community worker's move: a message, not a 500.
    r = act_form(client, grid.community_worker, a, "take")
    assert r.status_code == 403 and "您无权" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.SUBMITTED and a.events.count() == 1


def test_out_of_scope_action_is_404(client, grid, submit):
    a = submit()
    assert act_form(client, grid.resident2, a, "verify").status_code == 404
    # Actions are POSTs only: a GET is refused by its method, the same for every appeal, so it reveals nothing.
    assert get(client, grid.resident2, f"/appeals/{a.pk}/act/").status_code == 405


def test_resident_never_sees_internal_notes(client, grid, submit):
    a = submit()
    r = act_form(client, grid.community_worker, a, "note", note="内部：该户曾多次投诉", internal="on")
    assert r.status_code == 302
    staff = text(get(client, grid.community_worker, f"/appeals/{a.pk}/"))
    assert "内部：该户曾多次投诉" in staff and '<span class="badge internal">内部</span>' in staff
    resident = text(get(client, grid.resident1, f"/appeals/{a.pk}/"))
    assert "该户曾多次投诉" not in resident and "badge internal" not in resident


def test_the_whole_loop_through_the_forms(client, grid, submit):
    a = submit()
    assert act_form(client, grid.community_worker, a, "dispatch", handler=grid.property_co.pk).status_code == 302
    a.refresh_from_db()
    assert act_form(client, grid.property1, a, "take").status_code == 302
    a.refresh_from_db()
    assert act_form(client, grid.property1, a, "resolve", note="已更换电梯控制板，恢复运行").status_code == 302
    a.refresh_from_db()
    body = text(get(client, grid.resident1, f"/appeals/{a.pk}/"))
    assert "确认已解决" in body and "没有解决，退回重办" in body and "已更换电梯控制板" in body
    assert act_form(client, grid.resident1, a, "verify").status_code == 302
    a.refresh_from_db()
    body = text(get(client, grid.resident1, f"/appeals/{a.pk}/"))
    assert 'name="rating" value="satisfied"' in body
    r = act_form(client, grid.resident1, a, "rate", rating="satisfied", note="修得很快")
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == Status.CLOSED and a.rating == "satisfied" and a.rating_comment == "修得很快"
    body = text(get(client, grid.resident1, f"/appeals/{a.pk}/"))
    assert "居民评价：满意" in body and 'name="rating"' not in body


def test_whistle_form_calls_departments(client, grid, submit):
    a = submit(category=grid.illegal)
    body = text(get(client, grid.street_admin, f"/appeals/{a.pk}/"))
    assert 'value="whistle"' in body and grid.dept.name in body and grid.dept2.name in body
    r = act_form(client, grid.street_admin, a, "whistle", departments=[grid.dept.pk, grid.dept2.pk], note="联合执法")
    assert r.status_code == 302
    assert set(a.whistle_calls.values_list("department_id", flat=True)) == {grid.dept.pk, grid.dept2.pk}
    a.refresh_from_db()
    r = act_form(client, grid.street_admin, a, "whistle", departments=[grid.property_co.pk])
    assert r.status_code == 400 and "部门不存在或不可召集" in r.content.decode()


# ---- queues ---------------------------------------------------------------------------------------


def test_queues(client, grid, submit, act):
    a = submit()
    b = submit(description="路灯不亮", category=grid.lighting)
    body = text(get(client, grid.community_worker, "/appeals/", tab="dispatch"))
    assert "待派单" in body and "待办理" in body and "待核查" in body and "全部" in body
    assert a.number in body and b.number in body
    assert "建议派给：<b>君胜物业</b>" in body
    act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    body = text(get(client, grid.property1, "/appeals/", tab="handle"))
    assert a.number in body and b.number not in body and "承办：<b>君胜物业</b>" in body
    body = text(get(client, grid.community_worker, "/appeals/", tab="dispatch"))
    assert a.number not in body and b.number in body
    body = text(get(client, grid.resident1, "/appeals/"))
    assert "我的诉求" in body and a.number in body and 'class="tabs"' not in body
    assert text(get(client, grid.resident2, "/appeals/")).count("appeal-row") == 0
    # Filters.
    body = text(get(client, grid.community_worker, "/appeals/", tab="all", category=grid.lighting.pk))
    assert b.number in body and a.number not in body
    body = text(get(client, grid.community_worker, "/appeals/", tab="all", status="dispatched"))
    assert a.number in body and b.number not in body


def test_queue_pages_with_a_cursor(client, grid, submit, django_assert_max_num_queries):
    made = [submit(description=f"第{i}号诉求内容") for i in range(23)]
    client.force_login(grid.community_worker)
    client.get("/appeals/", {"tab": "dispatch"})
    with django_assert_max_num_queries(30):
        r = client.get("/appeals/", {"tab": "dispatch"})
    body = text(r)
    # Same category, deadlines in submission order: the soonest due (the first submitted) on top.
    assert body.count('class="appeal-row"') == 20 and f">{made[0].number}<" in body and f">{made[-1].number}<" not in body
    cursor = re.search(r'href="\?tab=dispatch&amp;cursor=([^"]+)" rel="next">下一页', body).group(1)
    body = text(client.get("/appeals/", {"tab": "dispatch", "cursor": cursor}))
    assert body.count('class="appeal-row"') == 3 and f">{made[-1].number}<" in body and "下一页" not in body
    r = client.get("/appeals/", {"tab": "dispatch", "cursor": "!!not-a-cursor"})
    assert r.status_code == 200 and "分页链接无效" in r.content.decode()


def test_countdowns(client, grid, submit):
    now = timezone.now()
    overdue = submit(now=now - datetime.timedelta(days=40))
    fresh = submit()
    gas = submit(category=Category.objects.get(code="gas_leak"))
    rows = attach_countdowns(list(Appeal.objects.select_related("category").order_by("id")))
    by_pk = {a.pk: a.countdown for a in rows}
    assert by_pk[overdue.pk]["overdue"] and "已超期" in by_pk[overdue.pk]["text"]
    left = working_days_between(now, fresh.resolve_due)
    assert by_pk[fresh.pk] == countdown(fresh.resolve_due, "wd") and f"剩 {left} 个工作日" == by_pk[fresh.pk]["text"]
    assert by_pk[gas.pk]["text"] in ("剩 2 小时", "剩 1 小时")
    assert countdown(gas.resolve_due, "h", now=gas.resolve_due + datetime.timedelta(hours=5))["text"] == "已超期 5 小时"
    assert countdown(gas.resolve_due, "h", now=gas.resolve_due + datetime.timedelta(days=15, hours=3))["text"] == "已超期 15 天"
    with translation.override("en"):  # plural forms, not "day(s)"
        d = datetime.timedelta
        assert [countdown(gas.resolve_due, "h", now=gas.resolve_due + d(hours=h))["text"] for h in (1, 5, 24 * 3)] == [
            "1 hour overdue", "5 hours overdue", "3 days overdue"]
        assert countdown(gas.resolve_due, "h", now=gas.resolve_due - d(minutes=30))["text"] == "1 hour left"
    body = text(get(client, grid.community_worker, "/appeals/", tab="dispatch"))
    assert '<span class="due overdue">已超期' in body
    # Past the deadline by working days: the count is the calendar's, holidays excluded.
    cd = countdown(overdue.resolve_due, "wd", now=now)
    assert cd["text"] == f"已超期 {-working_days_between(now, overdue.resolve_due)} 个工作日"


# ---- the three rates ------------------------------------------------------------------------------


def test_rates_match_a_hand_computed_case(client, grid, submit, act):
    a = submit()
    for step, kw in (("dispatch", {"handler": grid.property_co.pk}), ("take", {}), ("resolve", {"note": "修好了"}),
                     ("verify", {}), ("rate", {"rating": "satisfied"})):
        a = act(grid.resident1 if step in ("verify", "rate") else (grid.community_worker if step == "dispatch" else grid.property1), a, step, **kw)
    b = submit()
    for step, kw in (("dispatch", {"handler": grid.property_co.pk}), ("take", {}), ("resolve", {"note": "已处理"}),
                     ("verify", {}), ("rate", {"rating": "unsatisfied"})):
        b = act(grid.resident1 if step in ("verify", "rate") else (grid.community_worker if step == "dispatch" else grid.property1), b, step, **kw)
    c = submit()
    act(grid.community_worker, c, "reject", note="重复提交")
    submit()  # still waiting
    # Property company: responded 2 of 2 dispatched; resolved (not unsatisfied) 1 of 2 accepted; satisfied 1 of 2 rated.
    # Undispatched ("—"): 2 received, 1 of them rejected. In all: resolution 1 of 3 accepted.
    body = text(get(client, grid.community_worker, "/appeals/rates/", group="handler"))
    row = re.search(r"<td>君胜物业</td>(.*?)</tr>", body).group(1)
    assert re.search(r'data-rate="response"><span><b>100.0%</b><small>2/2</small>', row)
    assert re.search(r'data-rate="resolution"><span><b>50.0%</b><small>1/2</small>', row)
    assert re.search(r'data-rate="satisfaction"><span><b>50.0%</b><small>1/2</small>', row)
    assert re.search(r'<td>（未派单）</td> <td class="num" data-label="诉求数">2</td>', body)
    totals = re.search(r'<tr class="totals">(.*?)</tr>', body).group(1)
    assert re.search(r'data-label="诉求数">4</td>', totals)
    assert re.search(r'data-rate="resolution"><span><b>33.3%</b><small>1/3</small>', totals)
    assert "响应率 = 在响应时限内接单或答复的诉求数" in body  # the definitions next to the figures
    body = text(get(client, grid.community_worker, "/appeals/rates/", group="compound"))
    assert re.search(r'<td>宁江新城一期</td> <td class="num" data-label="诉求数">4</td>', body)
    # Another period: nothing.
    body = text(get(client, grid.community_worker, "/appeals/rates/", start="2020-01-01", end="2020-01-31"))
    assert "该期间没有诉求" in body
    # Bad dates are errors on the form, not a 500.
    r = get(client, grid.community_worker, "/appeals/rates/", start="2026-13-01", end="x")
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    # Another community's worker would not count these: property1 sees only its own compounds' appeals.
    body = text(get(client, grid.property1, "/appeals/rates/", group="handler"))
    assert re.search(r'<td>君胜物业</td> <td class="num" data-label="诉求数">2</td>', body)


# ---- settings: categories, routing, calendar ------------------------------------------------------------


def category_data(**kw):
    data = {"code": "elevator_noise", "name": "电梯异响", "name_en": "Lift noise", "parent": "", "kind": "complaint",
            "handler_level": "compound", "handler_kind": "property_company", "respond_amount": "1", "respond_unit": "wd",
            "resolve_amount": "15", "resolve_unit": "wd", "may_be_public": "on", "is_active": "on", "order": "5",
            "description": ""}
    data.update(kw)
    return data


def test_category_create_edit_delete(client, grid):
    r = post(client, grid.street_admin, "/appeals/categories/", category_data(parent=Category.objects.get(code="property").pk))
    assert r.status_code == 302
    c = Category.objects.get(code="elevator_noise")
    assert c.parent.code == "property" and c.resolve_amount == 15 and c.may_be_public
    assert AuditEntry.objects.filter(action="create", object_type="appeals.category", object_id=str(c.pk)).exists()
    body = text(get(client, grid.street_admin, "/appeals/categories/"))
    assert "电梯异响" in body
    assert "物业服务企业（小区级）承办" in body and "社区居委会（社区级）承办" in body and "社区社区" not in body
    r = post(client, grid.street_admin, f"/appeals/categories/{c.pk}/", category_data(name="电梯噪声", resolve_amount="10", may_be_public=""))
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.name, c.resolve_amount, c.may_be_public) == ("电梯噪声", 10, False)
    assert AuditEntry.objects.filter(action="update", object_type="appeals.category", object_id=str(c.pk)).exists()
    r = post(client, grid.street_admin, f"/appeals/categories/{c.pk}/delete/", {})
    assert r.status_code == 302 and not Category.objects.filter(pk=c.pk).exists()


def test_category_in_use_cannot_be_deleted(client, grid, submit):
    submit()
    r = post(client, grid.street_admin, f"/appeals/categories/{grid.lift.pk}/delete/", {})
    assert r.status_code == 302
    assert Category.objects.filter(pk=grid.lift.pk).exists()
    assert "不能删除" in text(client.get(r["Location"]))


@pytest.mark.parametrize("change,message", [
    ({"resolve_amount": "-3"}, "办结时限必须大于0"),
    ({"respond_amount": "0"}, "响应时限必须大于0"),
    ({"respond_amount": "abc"}, "请输入整数"),
    ({"respond_amount": "20", "resolve_amount": "2"}, "响应时限不能长于办结时限"),
    ({"code": "lift"}, "已被使用"),
    ({"code": "电梯"}, "编码只能包含"),
    ({"name": ""}, "这个字段是必填项"),
])
def test_category_bad_input(client, grid, change, message):
    before = Category.objects.count()
    r = post(client, grid.street_admin, "/appeals/categories/", category_data(**change))
    assert r.status_code == 400 and message in r.content.decode()
    assert Category.objects.count() == before


def test_category_cycle_is_refused(client, grid):
    prop = Category.objects.get(code="property")
    data = category_data(code="property", name="物业服务", parent=grid.lift.pk)
    r = post(client, grid.street_admin, f"/appeals/categories/{prop.pk}/", data)
    assert r.status_code == 400 and "不能把分类放到它自己或它的下级分类之下" in r.content.decode()
    prop.refresh_from_db()
    assert prop.parent is None
    r = post(client, grid.street_admin, f"/appeals/categories/{prop.pk}/", {**data, "parent": prop.pk})
    assert r.status_code == 400


def test_category_pages_refuse_others(client, grid):
    for url in (f"/appeals/categories/{grid.lift.pk}/", "/appeals/routing/", "/appeals/calendar/"):
        assert get(client, grid.community_worker, url).status_code == 404
    assert post(client, grid.community_worker, "/appeals/categories/", category_data()).status_code == 404
    assert post(client, grid.community_worker, f"/appeals/categories/{grid.lift.pk}/delete/", {}).status_code == 404
    assert not Category.objects.filter(code="elevator_noise").exists()
    assert Category.objects.filter(pk=grid.lift.pk).exists()


def test_routing_rule_changes_where_appeals_go(client, grid, submit):
    r = post(client, grid.street_admin, "/appeals/routing/", {
        "name": "一期电梯交业委会", "category": grid.lift.pk, "community": "", "compound": grid.K1.pk,
        "handler_kind": "", "handler_level": "", "organisation": grid.owners_k1.pk, "priority": "5", "is_active": "on"})
    assert r.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.organisation == grid.owners_k1 and rule.compound == grid.K1
    assert submit().suggested_handler == grid.owners_k1
    r = post(client, grid.street_admin, f"/appeals/routing/{rule.pk}/", {
        "name": "一期电梯交业委会", "category": grid.lift.pk, "compound": grid.K1.pk, "handler_kind": "", "organisation": "",
        "priority": "5", "is_active": "on"})
    assert r.status_code == 400 and "请选择承办组织类型，或指定承办组织" in r.content.decode()
    r = post(client, grid.street_admin, f"/appeals/routing/{rule.pk}/", {
        "name": "一期电梯", "category": grid.lift.pk, "community": grid.C2.pk, "compound": grid.K1.pk,
        "handler_kind": "property_company", "priority": "5", "is_active": "on"})
    assert r.status_code == 400 and "该小区不属于所选社区" in r.content.decode()
    r = post(client, grid.street_admin, f"/appeals/routing/{rule.pk}/delete/", {})
    assert r.status_code == 302 and not RoutingRule.objects.exists()


def test_calendar_add_and_delete(client, grid):
    r = post(client, grid.street_admin, "/appeals/calendar/", {"date": "2027-10-01", "until": "2027-10-07", "kind": "holiday", "name": "国庆节"})
    assert r.status_code == 302 and r["Location"].endswith("?year=2027")
    assert CalendarDay.objects.filter(date__year=2027, kind="holiday").count() == 7
    r = post(client, grid.street_admin, "/appeals/calendar/", {"date": "2027-10-09", "kind": "workday", "name": "国庆节调休"})
    assert r.status_code == 302
    body = text(get(client, grid.street_admin, "/appeals/calendar/", year=2027))
    assert "2027-10-09" in body and "调休上班日" in body and "国庆节" in body
    day = CalendarDay.objects.get(date=datetime.date(2027, 10, 9))
    assert post(client, grid.street_admin, f"/appeals/calendar/{day.pk}/delete/", {}).status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    assert AuditEntry.objects.filter(object_type="core.calendarday", action="delete").exists()


@pytest.mark.parametrize("data,message", [
    ({"date": "2027-10-01", "kind": "holiday"}, "已登记"),  # added below first
    ({"date": "2027-10-12", "kind": "workday"}, "调休上班日应为周六或周日"),
    ({"date": "2027-10-20", "until": "2027-10-10", "kind": "holiday"}, "结束日期不能早于开始日期"),
    ({"date": "2027-01-01", "until": "2027-03-01", "kind": "holiday"}, "一次最多登记31天"),
    ({"date": "", "kind": "holiday"}, "请选择日期"),
    ({"date": "2027-02-30", "kind": "holiday"}, "日期格式应为"),
])
def test_calendar_bad_input(client, grid, data, message):
    CalendarDay.objects.create(date=datetime.date(2027, 10, 1), kind="holiday", name="国庆节")
    r = post(client, grid.street_admin, "/appeals/calendar/", data)
    assert r.status_code == 400 and message in r.content.decode()
    assert CalendarDay.objects.filter(date__year=2027).count() == 1


def test_calendar_refuses_others(client, grid):
    day = CalendarDay.objects.filter(date__year=2026).first()
    assert post(client, grid.community_worker, "/appeals/calendar/", {"date": "2027-05-01", "kind": "holiday"}).status_code == 404
    assert post(client, grid.community_worker, f"/appeals/calendar/{day.pk}/delete/", {}).status_code == 404
    assert CalendarDay.objects.filter(pk=day.pk).exists() and not CalendarDay.objects.filter(date__year=2027).exists()


def test_extension_and_duplicate_through_the_forms(client, grid, submit, act):
    a = submit()
    a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    a = act(grid.property1, a, "take")
    due = a.resolve_due
    r = act_form(client, grid.property1, a, "request_extension", note="需要厂家配件", days="abc")
    assert r.status_code == 400 and "请填写延期的工作日天数" in r.content.decode()
    assert act_form(client, grid.property1, a, "request_extension", note="需要厂家配件", days="3").status_code == 302
    a.refresh_from_db()
    assert a.status == Status.EXTENSION_REQUESTED
    body = text(get(client, grid.community_worker, f"/appeals/{a.pk}/"))
    assert 'value="grant_extension"' in body and 'value="refuse_extension"' in body
    assert act_form(client, grid.community_worker, a, "grant_extension").status_code == 302  # the days asked for
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and a.resolve_due > due
    # A second submission of the same problem is rejected as a duplicate, linked to the first.
    b = submit(description="电梯又停了")
    r = act_form(client, grid.community_worker, b, "reject", note="重复诉求", duplicate_of="20200101-999999")
    assert r.status_code == 400 and "重复的原诉求不存在" in r.content.decode()
    assert act_form(client, grid.community_worker, b, "reject", note="重复诉求", duplicate_of=a.number).status_code == 302
    b.refresh_from_db()
    assert b.status == Status.REJECTED and b.duplicate_of == a
    assert a.number in text(get(client, grid.resident1, f"/appeals/{b.pk}/"))


def test_the_audit_log_reads_as_sentences(client, grid, submit, act):
    a = submit()
    act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    act(grid.property1, a, "take")
    client.force_login(grid.street_admin)
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/audit/", {"obj": a.number}).content.decode()))
    assert f"community_worker 派单 诉求 {a.number}" in body
    assert "承办单位 （空） → 君胜物业" in body and "状态 已提交 → 已派单" in body
    assert f"property1 接单 诉求 {a.number}" in body and "状态 已派单 → 办理中" in body
    assert "dispatch" not in body and "appeals.appeal" not in body
