"""撤回 everywhere a status matters: the clock, the desk's queues and homes, the three rates, duplicate
suggestions, who is told, the API and the pages. The transition itself: test_workflow.TestWithdraw."""
import datetime
import re

import pytest
from django.db import connection

from gongzhi.appeals import rates, selectors, similar
from gongzhi.appeals.deadlines import watch_deadlines
from gongzhi.appeals.models import Appeal, Status
from gongzhi.appeals.recipients import recipients_for
from gongzhi.appeals.similar import similar_appeals

pytestmark = pytest.mark.django_db

LIFT = "3栋电梯坏了，困在8楼"


def words(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def withdrawn(grid, submit, act):
    """A public appeal its reporter withdrew, long past its deadline now."""
    a = act(grid.resident1, submit(description=LIFT, category=grid.policy_q, is_public=True), "withdraw",
            note="邻居已经叫人修好了")
    Appeal.objects.filter(pk=a.pk).update(resolve_due=a.created_at - datetime.timedelta(days=3),
                                          respond_due=a.created_at - datetime.timedelta(days=4))
    a.refresh_from_db()
    return a


class TestNoClock:
    def test_never_reminded_nor_escalated(self, grid, submit, act):
        a = submit(category=grid.policy_q)
        a = act(grid.resident1, a, "withdraw")
        assert watch_deadlines(now=a.resolve_due - datetime.timedelta(hours=2)) == (0, 0)
        assert watch_deadlines(now=a.resolve_due + datetime.timedelta(days=10)) == (0, 0)
        a.refresh_from_db()
        assert a.escalation_level == "compound" and a.escalated_at is None and a.reminded_at is None
        assert not a.events.filter(action__in=["remind", "escalate"]).exists()

    def test_neither_overdue_nor_due_today(self, grid, withdrawn):
        now = withdrawn.resolve_due + datetime.timedelta(days=1)
        assert not Appeal.objects.filter(selectors.overdue(now)).exists()
        assert not Appeal.objects.filter(selectors.due_today(withdrawn.resolve_due - datetime.timedelta(hours=1))).exists()
        Appeal.objects.filter(pk=withdrawn.pk).update(status=Status.SUBMITTED)  # the same appeal, not withdrawn
        assert Appeal.objects.filter(selectors.overdue(now)).count() == 1

    def test_no_countdown_on_its_page(self, client, grid, withdrawn):
        client.force_login(grid.resident1)
        body = words(client.get(f"/appeals/{withdrawn.pk}/"))
        assert "已撤回" in body and "已超期" not in body and "超时" not in body


class TestQueuesAndHomes:
    def test_leaves_the_desks_queue_and_counts(self, client, grid, submit, act, withdrawn):
        waiting = submit(description="1栋门禁坏了")
        assert list(selectors.queue(grid.community_worker, "dispatch")) == [waiting]
        assert selectors.work_counts(grid.community_worker, ["dispatch"]) == {"dispatch": 1}
        client.force_login(grid.community_worker)
        body = words(client.get("/"))
        assert "1 待派单" in body and "0 已超期" in body and withdrawn.number not in body
        # Still there for whoever looks for it among all appeals, or the ended ones.
        assert withdrawn in selectors.queue(grid.community_worker, "all", status=Status.WITHDRAWN)

    def test_not_open_in_the_subdistricts_table(self, client, grid, submit, withdrawn):
        submit(description="1栋门禁坏了")
        client.force_login(grid.street_admin)
        assert re.search(r"新城社区 1 0 ", words(client.get("/")))


class TestRates:
    def test_out_of_every_denominator(self, grid, submit, act):
        """Two appeals taken up (one resolved and rated, one dispatched), one refused, and one withdrawn: the
        withdrawn one is in no rate's denominator, as if it had never been filed, and still in the count received."""
        done = submit()
        act(grid.community_worker, done, "dispatch", handler=grid.property_co.pk)
        act(grid.property1, done, "take")
        act(grid.property1, done, "resolve", note="已修复")
        act(grid.resident1, done, "verify")
        act(grid.resident1, done, "rate", rating="satisfied")
        act(grid.community_worker, submit(), "dispatch", handler=grid.property_co.pk)
        act(grid.community_worker, submit(), "reject", note="非本社区事项")
        withdrawn = act(grid.resident1, submit(), "withdraw")

        def community_totals():
            return rates.totals(rates.three_rates(Appeal.objects.all(), "community"))

        got = community_totals()
        assert got["total"] == 4
        assert got["response_rate"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
        assert got["resolution_rate"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
        assert got["satisfaction_rate"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
        Appeal.objects.filter(pk=withdrawn.pk).delete()
        without = community_totals()
        assert {k: without[k] for k in ("response_rate", "resolution_rate", "satisfaction_rate")} == \
            {k: got[k] for k in ("response_rate", "resolution_rate", "satisfaction_rate")}

    def test_the_definition_says_so(self):
        assert "居民撤回" in str(rates.DEFINITIONS["resolution_rate"])


def indexed_ids():
    with connection.cursor() as c:
        c.execute("SELECT %s FROM appeals_appeal_fts" % ("rowid" if connection.vendor == "sqlite" else "appeal_id"))
        return sorted(r[0] for r in c.fetchall())


class TestNotSuggested:
    def test_not_suggested_nor_indexed(self, grid, submit, act):
        kept = submit(description=LIFT)
        gone = submit(description="3栋电梯又坏了，困在8楼")
        assert set(indexed_ids()) == {kept.pk, gone.pk}
        act(grid.resident1, gone, "withdraw")
        assert indexed_ids() == [kept.pk]
        for user in (grid.community_worker, grid.resident1):  # the desk, and its own reporter
            assert [a.pk for a in similar_appeals(text=LIFT, compound=grid.K1.pk, user=user)] == [kept.pk]

    def test_refresh_replaces_triggers_installed_before_withdrawal_existed(self, grid, submit, act, monkeypatch):
        """A database migrated before withdrawal existed holds triggers whose list of ended statuses lacks 已撤回:
        similar.refresh() (the migration's step) must replace them, not keep them."""
        monkeypatch.setattr(similar, "CLOSED_STATUSES", ("closed", "rejected"))
        similar.refresh()
        stale = submit(description=LIFT)
        act(grid.resident1, stale, "withdraw")
        assert indexed_ids() == [stale.pk]  # the old triggers keep it
        monkeypatch.undo()
        similar.refresh()
        assert indexed_ids() == []
        fresh = act(grid.resident1, submit(description=LIFT), "withdraw")
        assert fresh.pk not in indexed_ids()


class TestWhoIsTold:
    def test_the_desk_is_not_told(self, grid, submit, act):
        a = act(grid.resident1, submit(), "withdraw", note="不用了")
        assert recipients_for(a.events.get(action="withdraw")) == {}

    def test_departments_called_by_a_whistle_are(self, grid, submit, act):
        from gongzhi.accounts.models import Role, RoleAssignment, User
        from gongzhi.accounts.policy import users_acting_for

        officer = User.objects.create_user("officer", password="x")
        RoleAssignment.objects.create(user=officer, role=Role.PROPERTY_STAFF, organisation=grid.dept)
        a = act(grid.street_admin, submit(category=grid.illegal), "whistle", departments=[grid.dept.pk])
        a = act(grid.resident1, a, "withdraw")
        told = recipients_for(a.events.get(action="withdraw"))
        acting = set(users_acting_for(grid.dept.pk).values_list("pk", flat=True))
        assert officer.pk in told and set(told) == acting and set(told.values()) == {"called"}
        assert grid.community_worker.pk not in told and grid.resident1.pk not in told


class TestApi:
    def new(self, grid, api):
        r = api.post(grid.resident1, "/api/v1/appeals", {"category": "lift", "description": LIFT,
                                                         "compound_id": grid.K1.pk})
        assert r.status_code == 201, r.content
        return r.json()

    def test_the_reporter_withdraws(self, grid, api):
        a = self.new(grid, api)
        assert "withdraw" in a["actions"]
        staff = api.get(grid.community_worker, f"/api/v1/appeals/{a['id']}").json()
        assert "withdraw" not in staff["actions"]
        r = api.post(grid.resident1, f"/api/v1/appeals/{a['number']}/actions/withdraw",
                     {"version": a["version"], "note": "已自行解决"})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["status"] == "withdrawn" and body["status_display"] == "已撤回"
        assert "withdraw" not in body["actions"] and "supplement" not in body["actions"]
        assert [(e["action"], e["note"]) for e in body["timeline"]][-1] == ("withdraw", "已自行解决")
        mine = api.get(grid.resident1, "/api/v1/appeals", queue="mine", status="withdrawn").json()
        assert [i["id"] for i in mine["items"]] == [a["id"]]
        assert api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch").json()["count"] == 0

    def test_refused_as_the_rules_say(self, grid, api):
        a = self.new(grid, api)
        path = f"/api/v1/appeals/{a['id']}/actions/withdraw"
        assert api.post(grid.resident2, path, {}).status_code == 404
        r = api.post(grid.community_worker, path, {})
        assert r.status_code == 403 and r.json()["detail"] == "您无权对该诉求执行“撤回”"
        r = api.post(grid.resident1, path, {"note": "长" * 2001})
        assert r.status_code == 400 and r.json()["field"] == "note"
        assert api.post(grid.community_worker, f"/api/v1/appeals/{a['id']}/actions/accept",
                        {"version": a["version"]}).status_code == 200
        r = api.post(grid.resident1, path, {"version": a["version"]})
        assert r.status_code == 409 and r.json()["detail"] == "该诉求已被他人处理（当前状态：已受理），请刷新后重试"
        r = api.post(grid.resident1, path, {})
        assert r.status_code == 409 and r.json()["detail"] == "诉求当前状态为“已受理”，不能撤回"
        assert Appeal.objects.get(pk=a["id"]).status == Status.ACCEPTED


class TestPages:
    def test_detail_offers_it_to_the_reporter_only(self, client, grid, submit):
        a = submit()
        client.force_login(grid.resident1)
        page = client.get(f"/appeals/{a.pk}/").content.decode()
        assert 'data-action="withdraw"' in page and "确认撤回" in page and "撤回后社区不再受理此诉求" in page
        client.force_login(grid.community_worker)
        assert 'data-action="withdraw"' not in client.get(f"/appeals/{a.pk}/").content.decode()

    def test_withdraw_from_the_detail_page(self, client, grid, submit):
        a = submit()
        client.force_login(grid.resident1)
        r = client.post(f"/appeals/{a.pk}/act/", {"action": "withdraw", "version": a.version, "note": "不需要了"})
        assert r.status_code == 302 and r["Location"] == f"/appeals/{a.pk}/"
        body = words(client.get(r["Location"]))
        assert "已完成：撤回" in body and "已撤回" in body and "不需要了" in body and "确认撤回" not in body
        assert Appeal.objects.get(pk=a.pk).status == Status.WITHDRAWN

    def test_a_stale_page_is_a_conflict(self, client, grid, submit, act):
        a = submit()
        act(grid.community_worker, a, "accept")
        client.force_login(grid.resident1)
        r = client.post(f"/appeals/{a.pk}/act/", {"action": "withdraw", "version": a.version})
        assert r.status_code == 409 and "该诉求已被他人处理（当前状态：已受理）" in words(r)
        assert Appeal.objects.get(pk=a.pk).status == Status.ACCEPTED

    def test_others_cannot(self, client, grid, submit):
        a = submit()
        client.force_login(grid.resident2)
        assert client.post(f"/appeals/{a.pk}/act/", {"action": "withdraw", "version": a.version}).status_code == 404
        client.force_login(grid.community_worker)
        r = client.post(f"/appeals/{a.pk}/act/", {"action": "withdraw", "version": a.version})
        assert r.status_code == 403 and "您无权对该诉求执行“撤回”" in words(r)
        assert Appeal.objects.get(pk=a.pk).status == Status.SUBMITTED

    def test_the_residents_home_offers_it_on_appeals_not_taken_up(self, client, grid, submit, act):
        waiting = submit(description="1栋门禁坏了")
        accepted = act(grid.community_worker, submit(description="2栋楼道漏水"), "accept")
        client.force_login(grid.resident1)
        page = client.get("/").content.decode()
        forms = re.findall(r'<form method="post" action="/appeals/(\d+)/act/"', page)
        assert forms == [str(waiting.pk)] and accepted.number in page
        assert f'name="version" value="{waiting.version}"' in page and "确认撤回" in page
        r = client.post(f"/appeals/{waiting.pk}/act/", {"action": "withdraw", "version": waiting.version})
        assert r.status_code == 302
        page = client.get("/").content.decode()
        assert "确认撤回" not in page and "已撤回" in page
