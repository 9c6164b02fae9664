"""Who is told of what, after commit and never in the request; the inbox API and page."""
import pytest
from django.core import mail

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.appeals.models import AppealEvent, HandlerLevel
from gongzhi.appeals.notify import on_event
from gongzhi.notifications import services
from gongzhi.notifications.context import unread_count
from gongzhi.notifications.models import Notification, NotificationPreference, WebhookDelivery

pytestmark = pytest.mark.django_db


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def told(user, action):
    return [n for n in inbox(user) if n.action == action]


class TestAfterCommit:
    def test_nothing_happens_inside_the_transaction(self, grid, submit, django_capture_on_commit_callbacks,
                                                    django_assert_num_queries, receiver):
        services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)
        with django_capture_on_commit_callbacks() as callbacks:
            a = submit()
        assert len(callbacks) == 1  # one callback, to run after the commit, nothing more
        assert Notification.objects.count() == 0 and WebhookDelivery.objects.count() == 0
        event = a.events.get()
        assert event.notify_pending  # the outbox: written with the row itself

        with django_assert_num_queries(0), django_capture_on_commit_callbacks() as more:
            on_event(event)
        assert more == []  # this transaction has already asked
        callbacks[0]()  # it commits
        assert told(grid.community_worker, "submit")
        with django_assert_num_queries(0), django_capture_on_commit_callbacks() as more:
            on_event(event)
        assert len(more) == 1
        more[0]()  # that one commits too: the row was delivered already, nobody is told twice
        assert len(told(grid.community_worker, "submit")) == 1

        with django_capture_on_commit_callbacks() as callbacks:
            a = submit()
            from gongzhi.appeals.services import appeal_act
            appeal_act(user=grid.community_worker, appeal=a, action="dispatch", handler=grid.property_co.pk)
        assert len(callbacks) == 1  # one for the transaction, however many rows it wrote
        assert not told(grid.property1, "dispatch") and receiver.requests == [] and mail.outbox == []

        with django_capture_on_commit_callbacks(execute=True):
            for cb in callbacks:  # the transaction commits: now the worker does it all
                cb()
        assert len(told(grid.community_worker, "submit")) == 2 and told(grid.property1, "dispatch")
        assert len(receiver.requests) == 1
        assert not AppealEvent.objects.filter(notify_pending=True).exists()

    def test_muted_history_tells_nobody(self, grid, submit, act, django_capture_on_commit_callbacks):
        from gongzhi.appeals import notify

        with django_capture_on_commit_callbacks(execute=True) as callbacks, notify.muted():
            a = submit()
            act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        assert callbacks == [] and Notification.objects.count() == 0
        assert not AppealEvent.objects.filter(notify_pending=True).exists()  # not in the outbox either
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            submit()
        assert len(callbacks) == 1 and Notification.objects.count() == 1

    def test_a_rolled_back_change_tells_nobody(self, grid, submit, django_capture_on_commit_callbacks):
        from django.db import transaction

        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError):
                with transaction.atomic():
                    submit()
                    raise RuntimeError
        assert Notification.objects.count() == 0


class TestWhoIsTold:
    def test_submit_tells_the_desk_not_the_reporter(self, grid, flow):
        a = flow.submit()
        [n] = inbox(grid.community_worker)
        assert n.action == "submit" and n.subject_id == a.pk and n.url == f"/appeals/{a.pk}/"
        assert a.title in n.title and a.number in n.body
        assert inbox(grid.resident1) == []
        for other in (grid.property1, grid.resident2, grid.grid_worker, grid.street_admin):
            assert inbox(other) == []

    def test_desk_falls_back_to_the_subdistrict(self, grid, flow):
        grid.community_worker.roles.all().delete()
        flow.submit()
        assert told(grid.street_admin, "submit")

    def test_dispatch_tells_the_handler_not_others(self, grid, flow):
        flow.dispatched()
        [n] = told(grid.property1, "dispatch")
        assert n.title.startswith("收到新派单")
        assert inbox(grid.resident2) == []
        assert told(grid.community_worker, "dispatch") == []  # the actor is never told
        assert told(grid.resident1, "dispatch") == []

    def test_dispatch_to_a_department_tells_the_subdistrict(self, grid, flow):
        flow.dispatched(handler=grid.dept)
        assert told(grid.street_admin, "dispatch") and not told(grid.property1, "dispatch")

    def test_resolve_tells_reporter_and_verifier(self, grid, flow):
        a = flow.resolved()
        [n] = told(grid.resident1, "resolve")
        assert n.title.startswith("您的诉求已办结") and "已联系维保单位修复电梯" in n.body
        assert told(grid.resident1, "take")
        [v] = told(grid.grid_worker, "resolve")
        assert v.title.startswith("诉求已办结")
        assert told(grid.property1, "resolve") == []
        assert a.status == "resolved"

    def test_return_and_extension_go_to_the_desk(self, grid, flow):
        a = flow.dispatched()
        a = flow.act(grid.property1, a, "return", note="不属于物业职责")
        [n] = told(grid.community_worker, "return")
        assert "不属于物业职责" in n.body
        a = flow.act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = flow.act(grid.property1, a, "take")
        flow.act(grid.property1, a, "request_extension", note="需采购配件", days=3)
        assert told(grid.community_worker, "request_extension")
        assert told(grid.resident1, "request_extension") == []

    def test_reject_result_and_reopen_go_to_handler_and_desk(self, grid, flow):
        a = flow.resolved()
        flow.act(grid.resident1, a, "reject_result", note="电梯仍然异响")
        assert told(grid.property1, "reject_result") and told(grid.community_worker, "reject_result")
        assert told(grid.resident1, "reject_result") == []

    def test_reassign_tells_old_and_new_handler(self, grid, flow):
        a = flow.dispatched()
        flow.act(grid.community_worker, a, "reassign", handler=grid.dept.pk)
        [old] = told(grid.property1, "reassign")
        assert old.title.startswith("诉求已改派给其他单位")
        [new] = told(grid.street_admin, "reassign")
        assert new.title.startswith("收到改派的诉求")

    def test_whistle_and_report(self, grid, flow):
        admin2 = User.objects.create_user(username="street_admin2")
        ra = RoleAssignment(user=admin2, role=Role.SUBDISTRICT_ADMIN)
        ra.set_node(grid.S)
        ra.save()
        a = flow.dispatched()
        a = flow.act(grid.street_admin, a, "whistle", departments=[grid.dept.pk], note="请城管到场")
        [n] = told(admin2, "whistle")
        assert n.title.startswith("街道吹哨") and "请城管到场" in n.body
        assert told(grid.property1, "whistle")  # the handler hears of it too
        flow.act(admin2, a, "whistle_report", note="已到场处置")
        assert told(grid.street_admin, "whistle_report") and not told(admin2, "whistle_report")
        assert told(grid.resident1, "whistle") == []

    def test_internal_notes_never_reach_the_reporter(self, grid, flow):
        a = flow.dispatched()
        flow.act(grid.community_worker, a, "note", note="该户曾多次投诉，注意沟通方式", internal=True)
        assert told(grid.resident1, "note") == []
        [n] = told(grid.property1, "note")
        assert "多次投诉" not in n.body and "多次投诉" not in n.title
        # not even when the reporter is staff who would otherwise be told
        a = flow.submit(user=grid.community_worker)
        a = flow.act(grid.street_admin, a, "dispatch", handler=grid.office.pk)
        flow.act(grid.street_admin, a, "note", note="内部：先核实", internal=True)
        assert told(grid.community_worker, "note") == []

    def test_a_public_reply_reaches_the_reporter(self, grid, flow):
        a = flow.dispatched()
        a = flow.act(grid.property1, a, "take")
        flow.act(grid.property1, a, "reply", note="明天上午维修")
        [n] = told(grid.resident1, "reply")
        assert "明天上午维修" in n.body

    def test_remind_and_escalate(self, grid, flow, django_capture_on_commit_callbacks):
        # Heard at once here (their default is the daily digest: tests/notifications/test_digest.py).
        for u in (grid.property1, grid.community_worker, grid.street_admin, grid.resident1):
            for action in ("remind", "escalate"):
                NotificationPreference.objects.create(user=u, source="appeals", action=action, delivery="instant")
        a = flow.dispatched()
        with django_capture_on_commit_callbacks(execute=True):
            from gongzhi.appeals.services import _event
            _event(a, None, "remind", "", "", note="距离办结时限不足 24 小时", organisation=a.handler)
            _event(a, None, "escalate", "", "", note="升级至社区督办", data={"level": HandlerLevel.COMMUNITY})
            _event(a, None, "escalate", "", "", note="升级至街道督办", data={"level": HandlerLevel.SUBDISTRICT})
        assert told(grid.property1, "remind") and not told(grid.community_worker, "remind")
        [esc] = told(grid.community_worker, "escalate")
        assert "社区" in esc.body
        [esc2] = told(grid.street_admin, "escalate")
        assert "街道" in esc2.body
        assert told(grid.resident1, "escalate") == [] and told(grid.property1, "escalate") == []

    def test_fan_out_twice_tells_once(self, grid, flow):
        a = flow.submit()
        event = a.events.get()
        services.fan_out(event.pk)
        services.fan_out(event.pk)
        assert len(inbox(grid.community_worker)) == 1


class TestEmail:
    def test_emails_to_recipients_with_an_address(self, emails, flow):
        g = emails
        a = flow.submit()
        assert [m.to for m in mail.outbox] == [["cw@example.cn"]]
        m = mail.outbox[0]
        assert m.subject.startswith("【共治】新诉求待受理")
        assert "https://gongzhi.example.cn/appeals/" in m.body
        assert Notification.objects.get(recipient=g.community_worker).emailed_at is not None
        mail.outbox.clear()
        a = flow.act(g.community_worker, a, "dispatch", handler=g.property_co.pk)
        a = flow.act(g.property1, a, "take")
        mail.outbox.clear()
        flow.act(g.property1, a, "resolve", note="已修复")
        # resident1 has an address; grid_worker1 (the verifier) has none and gets the inbox message only
        assert [m.to for m in mail.outbox] == [["r1@example.cn"]]
        assert told(g.grid_worker, "resolve")

    def test_a_failing_mail_server_is_retried_not_lost(self, emails, flow, monkeypatch, settings):
        from django.core.mail.backends.locmem import EmailBackend

        def boom(self, messages):
            raise OSError("SMTP down")

        monkeypatch.setattr(EmailBackend, "send_messages", boom)
        flow.submit()
        n = Notification.objects.get(recipient=emails.community_worker)
        assert n.emailed_at is None  # recorded as unsent, for the retry
        monkeypatch.undo()
        assert services.send_emails([n.pk]) == services.EmailRun([], [], None)
        n.refresh_from_db()
        assert n.emailed_at is not None and len(mail.outbox) == 1


class TestInboxApi:
    def test_lists_only_my_own(self, grid, flow, api):
        flow.dispatched()
        r = api.get(grid.property1, "/api/v1/notifications")
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 1 and body["unread"] == 1
        assert {i["action"] for i in body["items"]} == {"dispatch"}
        r = api.get(grid.community_worker, "/api/v1/notifications")
        assert [i["action"] for i in r.json()["items"]] == ["submit"]
        r = api.get(grid.resident2, "/api/v1/notifications")
        assert r.json() == {"count": 0, "unread": 0, "items": [], "next_cursor": None}
        assert api.get(None, "/api/v1/notifications").status_code == 401

    def test_mark_read_and_unread_filter(self, grid, flow, api):
        a = flow.resolved()
        mine = inbox(grid.resident1)
        assert len(mine) == 2
        r = api.post(grid.resident1, f"/api/v1/notifications/{mine[0].pk}/read")
        assert r.status_code == 200 and r.json()["read_at"]
        r = api.get(grid.resident1, "/api/v1/notifications", unread="true")
        assert r.json()["count"] == 1 and [i["id"] for i in r.json()["items"]] == [mine[1].pk]
        r = api.post(grid.resident1, "/api/v1/notifications/read-all")
        assert r.json() == {"updated": 1}
        assert api.get(grid.resident1, "/api/v1/notifications").json()["unread"] == 0
        assert a.pk == mine[0].subject_id

    def test_someone_elses_is_404(self, grid, flow, api):
        flow.dispatched()
        theirs = inbox(grid.property1)[0]
        r = api.post(grid.resident2, f"/api/v1/notifications/{theirs.pk}/read")
        assert r.status_code == 404
        r = api.post(grid.community_worker, f"/api/v1/notifications/{theirs.pk}/read")
        assert r.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert api.post(grid.property1, "/api/v1/notifications/999999/read").status_code == 404

    def test_keyset_pages(self, grid, flow, api):
        for _ in range(3):
            flow.submit()
        r = api.get(grid.community_worker, "/api/v1/notifications", limit=2)
        first = r.json()
        assert first["count"] == 3 and len(first["items"]) == 2 and first["next_cursor"]
        r = api.get(grid.community_worker, "/api/v1/notifications", limit=2, cursor=first["next_cursor"])
        assert len(r.json()["items"]) == 1 and r.json()["next_cursor"] is None
        assert api.get(grid.community_worker, "/api/v1/notifications", cursor="!!").status_code == 400


class TestInboxPage:
    def test_page_lists_and_opens(self, grid, flow, client):
        a = flow.dispatched()
        client.force_login(grid.property1)
        r = client.get("/notifications/")
        assert r.status_code == 200
        html = r.content.decode()
        n = inbox(grid.property1)[0]
        assert n.title in html and f"/notifications/{n.pk}/open/" in html
        r = client.get(f"/notifications/{n.pk}/open/")
        assert r.status_code == 302 and r["Location"] == f"/appeals/{a.pk}/"
        n.refresh_from_db()
        assert n.read_at is not None
        assert "没有未读消息" in client.get("/notifications/?unread=1").content.decode()

    def test_mark_read_buttons(self, grid, flow, client):
        flow.resolved()
        client.force_login(grid.resident1)
        first, second = inbox(grid.resident1)
        r = client.post(f"/notifications/{first.pk}/read/", {"next": "https://evil.example/"})
        assert r.status_code == 302 and r["Location"] == "/notifications/"
        first.refresh_from_db()
        assert first.read_at and second.read_at is None
        client.post("/notifications/read-all/")
        second.refresh_from_db()
        assert second.read_at is not None

    def test_others_are_404_and_login_required(self, grid, flow, client):
        flow.dispatched()
        n = inbox(grid.property1)[0]
        client.force_login(grid.resident2)
        assert client.get(f"/notifications/{n.pk}/open/").status_code == 404
        assert client.post(f"/notifications/{n.pk}/read/").status_code == 404
        client.logout()
        assert client.get("/notifications/").status_code == 302

    def test_header_badge(self, grid, flow, client):
        flow.resolved()
        client.force_login(grid.resident1)
        html = client.get("/notifications/").content.decode()
        assert 'href="/notifications/"' in html and 'class="badge"' in html
        assert html.split('class="badge"', 1)[1].split(">", 1)[1].startswith("2<")
        client.post("/notifications/read-all/")
        assert 'class="badge"' not in client.get("/notifications/").content.decode()

    def test_badge_context_is_one_lazy_count(self, grid, flow, rf, django_assert_num_queries):
        from django.contrib.auth.models import AnonymousUser

        flow.dispatched()
        request = rf.get("/")
        request.user = AnonymousUser()
        with django_assert_num_queries(0):
            assert unread_count(request) == {}
        request.user = grid.property1
        with django_assert_num_queries(0):
            ctx = unread_count(request)  # nothing until a template asks
        with django_assert_num_queries(1):
            assert ctx["unread_notifications"]() == 1
            assert ctx["unread_notifications"]() == 1
