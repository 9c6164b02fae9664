"""Issue 7, items 2 and 3: a resident types their phone and ID number into a public appeal. Nobody but its author
and the staff handling it reads them: not other residents (duplicate suggestions, API and page), not an outdoor
worker, not the notifications, e-mails and webhooks, not the audit log, not Open311 (JSON and XML), not staff who
only oversee the compound. The author and the handling staff still read what was written."""
import json
import re
import unicodedata

import pytest
from django.core import mail

from gongzhi.core.models import AuditEntry
from gongzhi.notifications import services as notifications
from gongzhi.notifications.models import Notification, WebhookDelivery
from notifications.conftest import receiver  # noqa: F401  (the local webhook receiver)

pytestmark = pytest.mark.django_db

MOBILE, ID = "13912345678", "440102199001011237"
TEXT = f"电话{MOBILE} 身份证{ID} 楼道路灯坏了三天"
SHOWN = "电话139****5678 身份证440102********1237 楼道路灯坏了三天"
DISPATCH_NOTE = f"业主电话{MOBILE}，请先联系"
REPLY = "已联系业主 139-1234-5678，明天上门"
RESULT = f"已更换灯泡，业主身份证 {ID[:6]} {ID[6:14]} {ID[14:]} 已登记"
OTHER_TITLE = f"3栋漏水 联系{MOBILE}"


def leaks(text):
    """The clear numbers in a text, read as a person would: full width, separators and invisible characters gone."""
    plain = re.sub(r"[\s\-./()\u200b-\u200d\u2060\ufeff]", "", unicodedata.normalize("NFKC", text))
    return [n for n in (MOBILE, ID) if n in plain]


@pytest.fixture
def issue(grid, api, settings, receiver, django_capture_on_commit_callbacks):  # noqa: F811
    """The issue's appeal, posted through the API as resident1 did, dispatched to the property company, answered
    and resolved; and a second appeal of theirs, with a number in the title they typed, handled by the office."""
    g = grid
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    for u in (g.resident1, g.community_worker, g.property1, g.grid_worker, g.street_admin):
        u.email = f"{u.username}@example.cn"
        u.save(update_fields=["email"])
    notifications.webhook_create(user=g.community_worker, organisation=g.property_co, url=receiver.url)
    g.receiver = receiver

    def run(user, path, data):
        with django_capture_on_commit_callbacks(execute=True):
            r = api.post(user, path, data)
        assert r.status_code == (201 if path == "/api/v1/appeals" else 200), r.content  # a new appeal, or an action
        return r.json()

    a = run(g.resident1, "/api/v1/appeals", {"category": "lighting", "description": TEXT, "is_public": True,
                                             "compound_id": g.K1.pk})
    ref = f"/api/v1/appeals/{a['id']}/actions"
    run(g.community_worker, f"{ref}/dispatch", {"handler": g.property_co.pk, "note": DISPATCH_NOTE})
    run(g.property1, f"{ref}/take", {})
    run(g.property1, f"{ref}/reply", {"note": REPLY})
    run(g.property1, f"{ref}/resolve", {"note": RESULT})
    b = run(g.resident1, "/api/v1/appeals", {"category": "lighting", "title": OTHER_TITLE, "description": TEXT,
                                             "compound_id": g.K1.pk})
    run(g.community_worker, f"/api/v1/appeals/{b['id']}/actions/dispatch", {"handler": g.office.pk})
    g.a, g.b = a["id"], b["id"]
    return g


def test_the_automatic_title_is_built_from_the_masked_text(issue, api):
    d = api.get(issue.resident1, f"/api/v1/appeals/{issue.a}").json()
    assert d["title"] == "电话139****5678 身份证440102******…"
    assert d["description"] == TEXT  # the author reads what they wrote


class TestWhatOthersSee:
    def test_similar_appeals_api_and_page(self, issue, api, client):
        r = api.get(issue.resident2, "/api/v1/appeals/similar", text="楼道路灯坏了三天", compound=issue.K1.pk)
        assert r.status_code == 200
        [item] = r.json()["items"]  # the public one; the other is not public
        assert item["id"] == issue.a and item["title"] == "电话139****5678 身份证440102******…"
        client.force_login(issue.resident2)
        page = client.get("/appeals/similar/", {"description": "楼道路灯坏了三天", "compound": issue.K1.pk})
        assert page.status_code == 200 and f'id="similar-{issue.a}"' in page.content.decode()
        for body in (r.content.decode(), page.content.decode()):
            assert leaks(body) == []
        # A number typed into the search is looked for as shown: the right one ranks no higher than any other
        # with the same mask, so the suggestions cannot confirm it.
        def found(number):
            r = api.get(issue.resident2, "/api/v1/appeals/similar", text=f"路灯 {number}", compound=issue.K1.pk)
            return [(i["id"], i["similarity"]) for i in r.json()["items"]]

        assert found(MOBILE) == found("13900005678") == found("13999995678") != []

    @pytest.mark.parametrize("username", ["rider1", "nobody"])
    def test_similar_needs_the_right_to_submit_as_its_page_does(self, issue, api, client, username):
        user = getattr(issue, username)
        assert api.get(user, "/api/v1/appeals/similar", text="楼道路灯坏了三天", compound=issue.K1.pk).status_code == 404
        client.force_login(user)
        assert client.get("/appeals/similar/", {"description": "楼道路灯坏了三天", "compound": issue.K1.pk}).status_code == 404

    def test_notifications_emails_and_webhooks(self, issue):
        rows = list(Notification.objects.all())
        assert {n.recipient.username for n in rows} >= {"resident1", "community_worker", "property1"}
        for n in rows:
            assert leaks(n.title + n.body) == [], (n.recipient, n.title, n.body)
        [reply] = [n for n in rows if n.action == "reply"]
        assert reply.title == "您的诉求有新答复：电话139****5678 身份证440102******…"
        assert "说明：已联系业主 139****5678，明天上门" in reply.body
        assert mail.outbox and all(leaks(m.subject + m.body) == [] for m in mail.outbox)
        deliveries = list(WebhookDelivery.objects.all())
        assert {d.action for d in deliveries} == {"dispatch", "take", "reply", "resolve"}
        assert [leaks(json.dumps(d.payload, ensure_ascii=False)) for d in deliveries] == [[]] * 4
        assert len(issue.receiver.requests) == 4
        assert all(leaks(r["body"].decode()) == [] for r in issue.receiver.requests)

    def test_the_audit_log(self, issue, api):
        entries = list(AuditEntry.objects.all())
        for e in entries:
            assert leaks(f"{e.object_repr} {e.detail} {json.dumps(e.changes, ensure_ascii=False)}") == [], e.pk
        assert AuditEntry.objects.filter(object_type="appeals.appeal", object_id=str(issue.b),
                                         object_repr__endswith="3栋漏水 联系139****5678").count() == 2
        listed = api.get(issue.street_admin, "/api/v1/audit", limit=200)
        assert listed.status_code == 200 and leaks(listed.content.decode()) == []

    @pytest.mark.parametrize("url", ["/open311/v2/requests.json", "/open311/v2/requests.xml",
                                     "/open311/v2/requests/{number}.json", "/open311/v2/requests/{number}.xml"])
    def test_open311(self, issue, client, url):
        from gongzhi.appeals.models import Appeal

        number = Appeal.objects.get(pk=issue.a).number
        body = client.get(url.format(number=number)).content.decode()
        assert SHOWN in body and "已更换灯泡，业主身份证 440102********1237 已登记" in body
        assert leaks(body) == []

    def test_staff_over_the_compound_not_handling_it(self, issue, api, client):
        """property1 serves K1 but the office handles appeal b: the staff's view, numbers masked."""
        d = api.get(issue.property1, f"/api/v1/appeals/{issue.b}").json()
        assert d["title"] == "3栋漏水 联系139****5678" and d["description"] == SHOWN
        assert d["reporter_name"] == "resident1"  # the staff's view: who it is from
        listed = api.get(issue.property1, "/api/v1/appeals", queue="all").json()["items"]
        assert {i["id"]: i["title"] for i in listed}[issue.b] == "3栋漏水 联系139****5678"
        client.force_login(issue.property1)
        for url in (f"/appeals/{issue.b}/", "/appeals/?tab=all"):
            page = client.get(url)
            assert page.status_code == 200 and "3栋漏水 联系139****5678" in page.content.decode()
            assert leaks(page.content.decode()) == [], url
        # The list's search matches titles as they are shown: a full number finds nothing.
        found = api.get(issue.property1, "/api/v1/appeals", queue="all", q=MOBILE).json()
        assert found["count"] == 1 and [i["id"] for i in found["items"]] == [issue.a]  # its title was stored masked


class TestWhatTheAuthorAndTheHandlingStaffSee:
    @pytest.mark.parametrize("username", ["resident1", "community_worker", "property1"])
    def test_the_text_as_written(self, issue, api, client, username):
        user = getattr(issue, username)
        d = api.get(user, f"/api/v1/appeals/{issue.a}").json()
        assert d["description"] == TEXT
        notes = [e["note"] for e in d["timeline"]]
        assert REPLY in notes and RESULT in notes
        client.force_login(user)
        body = client.get(f"/appeals/{issue.a}/").content.decode()
        assert TEXT in body and REPLY in body and RESULT in body

    @pytest.mark.parametrize("username", ["resident1", "community_worker"])
    def test_a_typed_title_as_written(self, issue, api, client, username):
        user = getattr(issue, username)
        assert api.get(user, f"/api/v1/appeals/{issue.b}").json()["title"] == OTHER_TITLE
        listed = api.get(user, "/api/v1/appeals", queue="all").json()["items"]
        assert {i["id"]: i["title"] for i in listed}[issue.b] == OTHER_TITLE
        client.force_login(user)
        assert OTHER_TITLE in client.get("/appeals/?tab=all").content.decode()


def test_an_automatic_title_is_cut_where_a_character_ends():
    from gongzhi.appeals.services import summary

    floors = "楼" * 27
    assert summary(floors + "👨\u200d👩\u200d👧" + "坏了") == floors + "…"  # a family emoji is one character
    assert summary(floors + "x" + "e\u0301" + "abc") == floors + "x" + "…"  # so is a letter and its accent
    assert summary(floors + "x" + "🇨🇳🇨🇳") == floors + "x" + "…"  # and a flag
    assert summary("  路灯\n坏了  ") == "路灯 坏了" and summary(None) == ""
