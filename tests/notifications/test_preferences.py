"""Per-user preferences: each kind of event (declared by its timeline's source) reaches a person as they chose."""
from pathlib import Path

import pytest
from django.core import mail
from django.utils.translation import override

from gongzhi.core.models import AuditEntry
from gongzhi.notifications import preferences
from gongzhi.notifications.models import DigestEntry, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def choose(user, action, delivery, source="appeals"):
    preferences.preferences_set(user=user, items=[{"source": source, "action": action, "delivery": delivery}])


def put(client, user, body):
    from gongzhi.accounts.models import ApiToken

    _, raw = ApiToken.issue(user, 1)
    return client.put("/api/v1/me/notification-preferences", body, content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")


class TestDeclaredBySources:
    def test_kinds_labels_and_defaults_come_from_the_sources(self):
        kinds = {(s, a): k for s, a, k in preferences.catalogue()}
        assert kinds[("appeals", "escalate")].default == "digest"
        assert kinds[("appeals", "remind")].default == "digest"
        assert kinds[("appeals", "dispatch")].default == "instant" and kinds[("appeals", "dispatch")].mandatory
        with override("zh-hans"):
            assert str(kinds[("appeals", "dispatch")].label) == "收到新派单"
        assert ("appeals", "me_too") not in kinds  # nobody hears of it: nothing to choose
        # The test-only capability declared no kinds: its actions arrive at once, labelled by name.
        assert kinds[("notices", "notice_publish")] == ("notice_publish", "instant", False, None)

    def test_the_notifications_app_names_no_capability_action(self):
        app = Path(__file__).resolve().parents[2] / "gongzhi" / "notifications"
        for path in app.glob("*.py"):
            text = path.read_text()
            for action in ('"escalate"', '"remind"', '"dispatch"', '"whistle"'):
                assert action not in text, (path.name, action)


class TestChannels:
    def test_off_tells_nothing_and_sends_no_email(self, emails, flow):
        choose(emails.resident1, "take", "off")
        a = flow.dispatched()
        mail.outbox.clear()
        flow.act(emails.property1, a, "take")
        assert not Notification.objects.filter(recipient=emails.resident1, action="take").exists()
        assert not DigestEntry.objects.filter(recipient=emails.resident1).exists()
        assert [m for m in mail.outbox if "r1@example.cn" in m.to] == []

    def test_inbox_only_is_in_the_inbox_and_never_emailed(self, emails, flow):
        choose(emails.resident1, "take", "inbox")
        a = flow.dispatched()
        mail.outbox.clear()
        flow.act(emails.property1, a, "take")
        [n] = Notification.objects.filter(recipient=emails.resident1, action="take")
        assert n.mail is False and n.emailed_at is None
        assert [m for m in mail.outbox if "r1@example.cn" in m.to] == []
        from gongzhi.notifications import services

        services.send_emails([n.pk])  # even asked directly (a task queued before the choice)
        assert [m for m in mail.outbox if "r1@example.cn" in m.to] == []

    def test_instant_is_emailed(self, emails, flow):
        a = flow.dispatched()
        mail.outbox.clear()
        flow.act(emails.property1, a, "take")
        assert [m.subject for m in mail.outbox if "r1@example.cn" in m.to] == ["【共治】您的诉求已有人接单办理：3栋电梯停在8楼不动，里面没人"]

    def test_digest_waits_and_others_are_not_affected(self, emails, flow):
        choose(emails.community_worker, "submit", "digest")
        mail.outbox.clear()
        flow.submit()
        assert DigestEntry.objects.filter(recipient=emails.community_worker, action="submit").count() == 1
        assert not Notification.objects.filter(recipient=emails.community_worker).exists()
        assert mail.outbox == []

    def test_a_mandatory_kind_arrives_at_once_whatever_the_row_says(self, emails, flow):
        # A row from before the kind was made mandatory (written past the service's check).
        NotificationPreference.objects.create(user=emails.property1, source="appeals", action="dispatch",
                                              delivery="off")
        mail.outbox.clear()
        flow.dispatched()
        assert Notification.objects.filter(recipient=emails.property1, action="dispatch").count() == 1
        assert [m for m in mail.outbox if "p1@example.cn" in m.to]


class TestService:
    def test_choosing_the_default_again_removes_the_row_and_changes_are_audited(self, grid):
        u = grid.community_worker
        choose(u, "escalate", "off")
        assert NotificationPreference.objects.get(user=u).delivery == "off"
        entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(u.pk)).latest("id")
        assert entry.changes == {"appeals.escalate": ["digest", "off"]}
        choose(u, "escalate", "digest")
        assert not NotificationPreference.objects.filter(user=u).exists()
        assert {c.key: c.delivery for c in preferences.choices_of(u)}["appeals.escalate"] == "digest"


class TestApi:
    def test_get_lists_every_kind_with_my_choice(self, grid, api):
        choose(grid.community_worker, "submit", "inbox")
        r = api.get(grid.community_worker, "/api/v1/me/notification-preferences")
        assert r.status_code == 200
        body = r.json()
        assert body["digest_time"] == "08:00"
        items = {f'{i["source"]}.{i["action"]}': i for i in body["items"]}
        assert items["appeals.submit"]["delivery"] == "inbox" and items["appeals.submit"]["default"] == "instant"
        assert items["appeals.escalate"] == {"source": "appeals", "action": "escalate", "label": "诉求已超期，升级督办",
                                             "delivery": "digest", "default": "digest", "mandatory": False,
                                             "allowed": ["instant", "inbox", "digest", "off"]}
        assert items["appeals.dispatch"]["allowed"] == ["instant", "inbox"]
        assert api.get(None, "/api/v1/me/notification-preferences").status_code == 401

    def test_put_sets_what_it_lists(self, grid, client):
        r = put(client, grid.community_worker, {"preferences": [
            {"source": "appeals", "action": "escalate", "delivery": "instant"},
            {"source": "appeals", "action": "submit", "delivery": "digest"}]})
        assert r.status_code == 200
        items = {f'{i["source"]}.{i["action"]}': i["delivery"] for i in r.json()["items"]}
        assert items["appeals.escalate"] == "instant" and items["appeals.submit"] == "digest"
        assert NotificationPreference.objects.filter(user=grid.community_worker).count() == 2

    @pytest.mark.parametrize("item, message", [
        ({"source": "appeals", "action": "fly", "delivery": "off"}, "未知的通知事件：appeals.fly"),
        ({"source": "stations", "action": "escalate", "delivery": "off"}, "未知的通知事件：stations.escalate"),
        ({"source": "appeals", "action": "escalate", "delivery": "sms"}, "“诉求已超期，升级督办”的接收方式无效：sms"),
        ({"source": "appeals", "action": "dispatch", "delivery": "off"}, "“收到新派单”为必达通知，只能选择立即接收"),
        ({"source": "appeals", "action": "whistle", "delivery": "digest"}, "“诉求已吹哨”为必达通知，只能选择立即接收"),
    ])
    def test_bad_items_are_refused_whole_with_a_clear_message(self, grid, client, item, message):
        good = {"source": "appeals", "action": "submit", "delivery": "off"}
        r = put(client, grid.community_worker, {"preferences": [good, item]})
        assert r.status_code == 400
        assert message in r.json()["detail"]
        assert not NotificationPreference.objects.filter(user=grid.community_worker).exists()  # not even the good one

    def test_empty_and_duplicate_lists_are_refused(self, grid, client):
        r = put(client, grid.community_worker, {"preferences": []})
        assert r.status_code == 400 and "请至少提交一项通知设置" in r.json()["detail"]
        twice = {"source": "appeals", "action": "submit", "delivery": "off"}
        r = put(client, grid.community_worker, {"preferences": [twice, twice]})
        assert r.status_code == 400 and "通知事件重复：新诉求待受理" in r.json()["detail"]


class TestPage:
    def test_renders_in_chinese_and_english_and_saves(self, grid, client):
        client.force_login(grid.community_worker)
        r = client.get("/notifications/preferences/")
        body = r.content.decode()
        assert r.status_code == 200 and "通知设置" in body and "诉求已超期，升级督办" in body and "必达" in body
        # A mandatory kind offers no way to switch it off.
        dispatch = body.split('name="appeals.dispatch"')[1].split("</select>")[0]
        escalate = body.split('name="appeals.escalate"')[1].split("</select>")[0]
        assert 'value="off"' not in dispatch and 'value="digest"' not in dispatch and 'value="inbox"' in dispatch
        assert 'value="off"' in escalate and '<option value="digest" selected>' in escalate
        client.cookies["django_language"] = "en"
        body = client.get("/notifications/preferences/").content.decode()
        assert "Notification settings" in body and "Daily digest" in body and "Mandatory" in body
        assert "通知设置" not in body
        client.cookies["django_language"] = "zh-hans"
        r = client.post("/notifications/preferences/", {"appeals.escalate": "off", "appeals.submit": "inbox"})
        assert r.status_code == 302
        chosen = {c.key: c.delivery for c in preferences.choices_of(grid.community_worker)}
        assert chosen["appeals.escalate"] == "off" and chosen["appeals.submit"] == "inbox"
        assert "通知设置已保存" in client.get(r.url).content.decode()

    def test_a_forged_choice_is_refused_on_the_page(self, grid, client):
        client.force_login(grid.property1)
        r = client.post("/notifications/preferences/", {"appeals.dispatch": "off", "appeals.take": "off"})
        assert r.status_code == 400
        assert "“收到新派单”为必达通知，只能选择立即接收" in r.content.decode()
        assert not NotificationPreference.objects.filter(user=grid.property1).exists()

    def test_the_account_menu_links_to_it(self, grid, client):
        client.force_login(grid.resident1)
        assert 'href="/notifications/preferences/"' in client.get("/").content.decode()
