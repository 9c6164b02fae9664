"""The notices API: lists scoped like the pages, writes validated with Chinese messages naming the field,
conflicts answered 409, anything out of reach 404."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.notices.models import Notice, Status

pytestmark = pytest.mark.django_db


def _new(api, user, grid, **over):
    data = {"title": "电梯年检", "body": "本周三电梯年检。\n\n请走楼梯。", "kind": "notice",
            "reach": [f"compound:{grid.K1.pk}"], **over}
    return api.post(user, "/api/v1/notices", data)


def test_an_editor_drafts_publishes_and_withdraws(api, grid):
    g = grid
    r = _new(api, g.community_worker, g)
    assert r.status_code == 201, r.content
    n = r.json()
    assert n["status"] == "draft" and n["reach"] == [{"key": f"compound:{g.K1.pk}", "level": "compound",
                                                     "name": "宁江新城一期"}]
    assert api.get(g.resident1, f"/api/v1/notices/{n['id']}").status_code == 404  # a draft
    r = api.post(g.community_worker, f"/api/v1/notices/{n['id']}/publish", {"version": n["version"]})
    assert r.status_code == 200 and r.json()["status"] == "published"
    body = api.get(g.resident1, f"/api/v1/notices/{n['id']}").json()
    assert body["body"].startswith("本周三") and body["may_edit"] is False
    assert [i["id"] for i in api.get(g.resident1, "/api/v1/notices").json()["items"]] == [n["id"]]
    r = api.post(g.community_worker, f"/api/v1/notices/{n['id']}/withdraw", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert api.get(g.resident1, "/api/v1/notices").json() == {"count": 0, "items": []}


def test_a_resident_of_another_community_sees_nothing(api, grid, put_up):
    n = put_up([grid.C])
    assert api.get(grid.resident1, f"/api/v1/notices/{n.pk}").status_code == 200
    other = _other_community_resident(grid)
    assert api.get(other, "/api/v1/notices").json()["count"] == 0
    r = api.get(other, f"/api/v1/notices/{n.pk}")
    assert r.status_code == 404 and "停水" not in r.content.decode()


def _other_community_resident(grid):
    from gongzhi.accounts.models import Role, RoleAssignment, User

    u = User.objects.create_user(username="dongfeng_resident")
    RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=grid.H3)
    return u


@pytest.mark.parametrize("over, field, message", [
    ({"title": "  "}, "title", "请填写标题"),
    ({"title": "长" * 101}, "title", "标题不能超过 100 个字"),
    ({"body": ""}, "body", "请填写正文"),
    ({"kind": "gossip"}, "kind", "类别无效"),
    ({"reach": []}, "reach", "请选择公告的发布范围"),
    ({"reach": ["compound:999999"]}, "reach", "无效或不在您的管辖范围内"),
    ({"reach": ["somewhere"]}, "reach", "无效或不在您的管辖范围内"),
    ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at", "有效期应晚于现在"),
])
def test_bad_input_is_refused_naming_the_field(api, grid, over, field, message):
    r = _new(api, grid.community_worker, grid, **over)
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field and message in r.json()["detail"]
    assert not Notice.objects.exists()


def test_another_communitys_compound_is_not_a_choice(api, grid):
    r = _new(api, grid.community_worker, grid, reach=[f"compound:{grid.K3.pk}"])
    assert r.status_code == 400 and r.json()["field"] == "reach"


def test_readers_may_not_write(api, grid, put_up):
    n = put_up()
    assert _new(api, grid.resident1, grid).status_code == 404
    r = api.post(grid.resident1, f"/api/v1/notices/{n.pk}/withdraw", {"version": n.version})
    assert r.status_code == 404
    assert Notice.objects.get(pk=n.pk).status == Status.PUBLISHED


def test_a_stale_version_is_a_conflict(api, grid, put_up):
    n = put_up(publish=False)
    data = {"title": "改过的", "body": "正文", "kind": "activity", "reach": [f"community:{grid.C.pk}"],
            "version": n.version}
    assert api.patch(grid.community_worker, f"/api/v1/notices/{n.pk}", data).status_code == 200
    r = api.patch(grid.street_admin, f"/api/v1/notices/{n.pk}", {**data, "title": "晚到的"})
    assert r.status_code == 409 and r.json()["field"] == "version" and "已被他人修改" in r.json()["detail"]
    assert Notice.objects.get(pk=n.pk).title == "改过的"


def test_the_lists_by_tab(api, grid, put_up):
    put_up(title="当前的")
    put_up(title="过期的", expires_at=timezone.now() + datetime.timedelta(seconds=1))
    Notice.objects.filter(title="过期的").update(expires_at=timezone.now() - datetime.timedelta(days=1))
    put_up(publish=False, title="草稿")
    titles = lambda user, tab: [i["title"] for i in api.get(user, "/api/v1/notices", tab=tab).json()["items"]]  # noqa: E731
    assert titles(grid.resident1, "current") == ["当前的"]
    assert titles(grid.resident1, "expired") == ["过期的"]
    assert titles(grid.community_worker, "drafts") == ["草稿"]
    r = api.get(grid.resident1, "/api/v1/notices", tab="drafts")
    assert r.status_code == 400 and r.json()["field"] == "tab"
