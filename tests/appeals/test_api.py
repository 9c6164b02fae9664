import pytest

from gongzhi.appeals.models import Appeal

pytestmark = pytest.mark.django_db


def submit_json(api, user, **kw):
    body = {"category": "lift", "description": "2栋电梯按钮失灵", "compound_id": None}
    body.update(kw)
    return api.post(user, "/api/v1/appeals", body)


class TestAppealApi:
    def test_full_loop(self, grid, api):
        r = submit_json(api, grid.resident1, compound_id=grid.K1.pk)
        assert r.status_code == 201, r.content
        a = r.json()
        assert a["status"] == "submitted" and a["number"].endswith(f"-{a['id']}")
        assert a["routing_note"] == ""  # the reporter does not see routing internals
        r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch")
        assert r.status_code == 200 and r.json()["count"] == 1
        item = r.json()["items"][0]
        assert item["suggested_handler_id"] == grid.property_co.pk
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a['number']}/actions/dispatch",
                     {"handler": item["suggested_handler_id"], "version": item["version"]})
        assert r.status_code == 200, r.content
        assert "take" not in r.json()["actions"]
        r = api.get(grid.property1, "/api/v1/appeals", queue="handle")
        assert r.json()["count"] == 1
        v = r.json()["items"][0]["version"]
        r = api.post(grid.property1, f"/api/v1/appeals/{a['id']}/actions/take", {"version": v})
        assert r.status_code == 200 and "resolve" in r.json()["actions"]
        r = api.post(grid.property1, f"/api/v1/appeals/{a['id']}/actions/resolve",
                     {"version": r.json()["version"], "note": "已更换按钮"})
        assert r.json()["status"] == "resolved"
        r = api.post(grid.resident1, f"/api/v1/appeals/{a['id']}/actions/verify", {})
        assert r.json()["status"] == "verified"
        r = api.post(grid.resident1, f"/api/v1/appeals/{a['id']}/actions/rate", {"rating": "satisfied"})
        body = r.json()
        assert body["status"] == "closed" and body["rating"] == "satisfied"
        assert [e["action"] for e in body["timeline"]] == ["submit", "dispatch", "take", "resolve", "verify", "rate"]

    def test_bad_input(self, grid, api):
        r = submit_json(api, grid.resident1, compound_id=grid.K1.pk, description="")
        assert r.status_code == 400 and r.json()["field"] == "description"
        r = submit_json(api, grid.resident1, compound_id=grid.K1.pk, category="nope")
        assert r.status_code == 400 and r.json()["field"] == "category"
        r = submit_json(api, grid.resident1, lat="23.0", lng="113.0")
        assert r.status_code == 400 and r.json()["field"] == "location"
        r = submit_json(api, grid.resident1, compound_id=grid.K1.pk, description="x" * 51200)
        assert r.status_code == 400 and r.json()["field"] == "description"
        assert Appeal.objects.count() == 0

    def test_illegal_transition_and_stale_version(self, grid, api):
        a = submit_json(api, grid.resident1, compound_id=grid.K1.pk).json()
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a['id']}/actions/close", {})
        assert r.status_code == 409 and "不能" in r.json()["detail"]
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a['id']}/actions/accept", {"version": a["version"]})
        assert r.status_code == 200
        r = api.post(grid.street_admin, f"/api/v1/appeals/{a['id']}/actions/accept", {"version": a["version"]})
        assert r.status_code == 409
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a['id']}/actions/fly", {})
        assert r.status_code == 400 and r.json()["field"] == "action"

    def test_scope(self, grid, api):
        a = submit_json(api, grid.resident1, compound_id=grid.K1.pk).json()
        assert api.get(grid.resident2, f"/api/v1/appeals/{a['id']}").status_code == 404
        assert api.get(grid.rider1, f"/api/v1/appeals/{a['id']}").status_code == 404
        assert api.post(grid.resident2, f"/api/v1/appeals/{a['id']}/actions/verify", {}).status_code == 404
        assert api.get(grid.property1, f"/api/v1/appeals/{a['id']}").status_code == 200
        r = api.post(grid.property1, f"/api/v1/appeals/{a['id']}/actions/accept", {})
        assert r.status_code == 403
        assert api.get(grid.resident2, "/api/v1/appeals", queue="all").json()["count"] == 0
        assert api.get(grid.resident1, "/api/v1/appeals", queue="mine").json()["count"] == 1
        assert api.get(None, "/api/v1/appeals").status_code == 401
        assert api.get(grid.resident1, "/api/v1/appeals", queue="bogus").status_code == 400

    def test_internal_note_hidden_from_reporter(self, grid, api):
        a = submit_json(api, grid.resident1, compound_id=grid.K1.pk).json()
        api.post(grid.community_worker, f"/api/v1/appeals/{a['id']}/actions/note", {"note": "来电人情绪激动", "internal": True})
        staff = api.get(grid.community_worker, f"/api/v1/appeals/{a['id']}").json()
        mine = api.get(grid.resident1, f"/api/v1/appeals/{a['id']}").json()
        assert any(e["internal"] for e in staff["timeline"])
        assert not any(e["internal"] for e in mine["timeline"])
        assert "情绪激动" not in str(mine)

    def test_keyset_pages(self, grid, api, submit):
        for i in range(7):
            submit(description=f"诉求 {i}")
        seen, cursor = [], ""
        while True:
            r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", limit=3, cursor=cursor).json()
            assert r["count"] == 7
            seen += [i["id"] for i in r["items"]]
            cursor = r["next_cursor"]
            if not cursor:
                break
        assert len(seen) == 7 and seen == sorted(seen)  # one category: the deadlines fall in submission order
        assert api.get(grid.community_worker, "/api/v1/appeals", cursor="!!bad").status_code == 400

    def test_rates(self, grid, api, submit, act):
        a = submit()
        act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        act(grid.property1, a, "take")
        act(grid.property1, a, "resolve", note="ok")
        act(grid.resident1, a, "verify")
        act(grid.resident1, a, "rate", rating="basically")
        b = submit(user=grid.resident2, compound=grid.K2)
        act(grid.community_worker, b, "dispatch", handler=grid.property_co.pk)
        r = api.get(grid.community_worker, "/api/v1/appeal-rates", group_by="handler")
        assert r.status_code == 200
        row = next(x for x in r.json()["rows"] if x["key"] == grid.property_co.pk)
        assert row["total"] == 2
        assert row["response_rate"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
        assert row["resolution_rate"]["numerator"] == 1 and row["resolution_rate"]["denominator"] == 2
        assert row["satisfaction_rate"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
        assert "响应率" in r.json()["definitions"]["response_rate"]
        assert api.get(grid.rider1, "/api/v1/appeal-rates").status_code == 404
        assert api.get(grid.community_worker, "/api/v1/appeal-rates", group_by="x").status_code == 400

    def test_categories_listed(self, grid, api):
        r = api.get(grid.resident1, "/api/v1/appeal-categories")
        codes = {c["code"] for c in r.json()}
        assert {"lift", "lighting", "illegal_building"} <= codes
        assert api.get(grid.community_worker, "/api/v1/routing-rules").status_code == 404
        assert api.get(grid.street_admin, "/api/v1/routing-rules").status_code == 200


class TestDeadlineWatch:
    def test_remind_then_escalate(self, grid, submit):
        import datetime

        from django.utils import timezone

        from gongzhi.appeals.deadlines import watch_deadlines

        a = submit(category=grid.policy_q)  # 2 working days
        assert watch_deadlines(now=timezone.now()) == (0, 0)
        near = a.resolve_due - datetime.timedelta(hours=2)
        assert watch_deadlines(now=near) == (1, 0)
        assert watch_deadlines(now=near) == (0, 0)  # once only
        late = a.resolve_due + datetime.timedelta(minutes=1)
        assert watch_deadlines(now=late) == (0, 1)
        a.refresh_from_db()
        assert a.escalation_level == "community"
        assert watch_deadlines(now=late + datetime.timedelta(hours=1)) == (0, 0)  # not again so soon
        much_later = late + datetime.timedelta(days=10)
        assert watch_deadlines(now=much_later) == (0, 1)
        a.refresh_from_db()
        assert a.escalation_level == "subdistrict"
        assert watch_deadlines(now=much_later + datetime.timedelta(days=30)) == (0, 0)  # top of the grid
        assert list(a.events.filter(action__in=["remind", "escalate"]).values_list("action", flat=True)) == \
            ["remind", "escalate", "escalate"]

    def test_closed_appeals_not_escalated(self, grid, submit, act):
        import datetime

        from gongzhi.appeals.deadlines import watch_deadlines

        a = submit(category=grid.policy_q)
        act(grid.community_worker, a, "reject", note="非本社区事项")
        assert watch_deadlines(now=a.resolve_due - datetime.timedelta(hours=2)) == (0, 0)  # no reminder either
        assert watch_deadlines(now=a.resolve_due + datetime.timedelta(days=3)) == (0, 0)
        assert not a.events.filter(action__in=["remind", "escalate"]).exists()

    def test_an_appeal_first_seen_past_its_deadline_is_escalated_not_reminded(self, grid, submit):
        import datetime

        from gongzhi.appeals.deadlines import watch_deadlines

        a = submit(category=grid.policy_q)  # the watch was not running while the deadline came near
        assert watch_deadlines(now=a.resolve_due + datetime.timedelta(minutes=1)) == (0, 1)
        assert list(a.events.filter(action__in=["remind", "escalate"]).values_list("action", flat=True)) == \
            ["escalate"]

    def test_what_the_watch_has_done_it_does_not_pick_up_again(self, grid, submit, act):
        """Each pass takes at most 1000 appeals: one already reminded, one at the top of the grid, one closed must
        not be among them (enough of those and the appeals due would never be reached). Nothing to do: two reads."""
        import datetime

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from gongzhi.appeals.deadlines import watch_deadlines

        def only_reads(now):
            with CaptureQueriesContext(connection) as ctx:
                assert watch_deadlines(now=now) == (0, 0)
            return len(ctx.captured_queries) == 2

        a, closed = submit(category=grid.policy_q), submit(category=grid.policy_q)
        act(grid.community_worker, closed, "reject", note="非本社区事项")
        near = a.resolve_due - datetime.timedelta(hours=2)
        assert watch_deadlines(now=near) == (1, 0)
        assert only_reads(near)  # reminded
        watch_deadlines(now=a.resolve_due + datetime.timedelta(minutes=1))
        top = a.resolve_due + datetime.timedelta(days=10)
        assert watch_deadlines(now=top) == (0, 1)
        a.refresh_from_db()
        assert a.escalation_level == "subdistrict"
        assert only_reads(top + datetime.timedelta(days=30))  # at the top; the closed one overdue as well

    def test_every_appeal_due_is_counted(self, grid, submit):
        import datetime

        from gongzhi.appeals.deadlines import watch_deadlines

        a, b = submit(category=grid.policy_q), submit(category=grid.policy_q)
        due = max(a.resolve_due, b.resolve_due)
        assert watch_deadlines(now=due - datetime.timedelta(hours=2)) == (2, 0)
        assert watch_deadlines(now=due + datetime.timedelta(minutes=1)) == (0, 2)


def test_whistled_to_several_departments_counts_once(grid, submit, act):
    from gongzhi.appeals import rates, selectors

    a = submit(category=grid.illegal)
    act(grid.street_admin, a, "whistle", departments=[grid.dept.pk, grid.dept2.pk])
    visible = selectors.visible_appeals(grid.street_admin)
    assert visible.filter(pk=a.pk).count() == 1
    rows = rates.three_rates(visible, "compound")
    assert sum(r["total"] for r in rows) == 1
