"""The queue list's `count` stops at COUNT_CAP and says so (counting a million appeals costs more than a page)."""
import pytest

from gongzhi.appeals import api as appeals_api

pytestmark = pytest.mark.django_db


def test_count_is_exact_below_the_cap(grid, api, submit):
    for i in range(3):
        submit(description=f"楼道灯不亮 {i}")
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch").json()
    assert r["count"] == 3 and r["count_capped"] is False and len(r["items"]) == 3


def test_count_stops_at_the_cap_and_says_so(grid, api, submit, monkeypatch):
    for i in range(4):
        submit(description=f"楼道灯不亮 {i}")
    monkeypatch.setattr(appeals_api, "COUNT_CAP", 3)
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", limit=2).json()
    assert r["count"] == 3 and r["count_capped"] is True
    # The pages themselves are not capped: every appeal is still reached through the cursor.
    seen, cursor = [i["id"] for i in r["items"]], r["next_cursor"]
    while cursor:
        page = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", limit=2, cursor=cursor).json()
        assert page["count"] == 3 and page["count_capped"] is True
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == 4


def test_exactly_at_the_cap_is_not_capped(grid, api, submit, monkeypatch):
    for i in range(3):
        submit(description=f"楼道灯不亮 {i}")
    monkeypatch.setattr(appeals_api, "COUNT_CAP", 3)
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch").json()
    assert r["count"] == 3 and r["count_capped"] is False


def test_count_respects_the_queue_scope(grid, api, submit):
    submit(description="楼道灯不亮")
    r = api.get(grid.resident2, "/api/v1/appeals", queue="all").json()
    assert r["count"] == 0 and r["count_capped"] is False and r["items"] == []
