"""Signed webhooks: who may register them, what they carry, signatures, retries with back-off."""
import datetime
import hashlib
import hmac
import json

import pytest

from gongzhi.core import crypto
from gongzhi.core.models import AuditEntry
from gongzhi.notifications import services, webhooks
from gongzhi.notifications.models import MAX_ATTEMPTS, RETRY_DELAYS, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from gongzhi.notifications.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


def hooks(org):
    return f"/api/v1/organisations/{org.pk}/webhooks"


@pytest.fixture
def endpoint(grid, receiver):
    ep, secret = services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)
    ep.plain_secret = secret
    return ep


class TestManagement:
    def test_create_shows_secret_once_and_stores_it_encrypted(self, grid, api, receiver):
        r = api.post(grid.community_worker, hooks(grid.property_co),
                     {"url": receiver.url, "events": ["dispatch", "resolve"], "description": "物业工单系统"})
        assert r.status_code == 201, r.content
        body = r.json()
        secret = body["secret"]
        assert secret.startswith("whsec_") and len(secret) > 30
        ep = WebhookEndpoint.objects.get(pk=body["id"])
        assert ep.events == ["dispatch", "resolve"] and ep.created_by == grid.community_worker
        assert secret not in ep.secret_enc and crypto.decrypt(ep.secret_enc) == secret
        listed = api.get(grid.community_worker, hooks(grid.property_co)).json()
        assert [w["id"] for w in listed] == [ep.pk] and "secret" not in listed[0]
        entry = AuditEntry.objects.get(action="create", object_type="notifications.webhookendpoint")
        assert secret not in json.dumps(entry.changes, ensure_ascii=False)

    @pytest.mark.parametrize("who", ["property1", "resident1", "grid_worker", "member1", "nobody"])
    def test_others_get_404(self, grid, api, receiver, endpoint, who):
        user = getattr(grid, who)
        assert api.get(user, hooks(grid.property_co)).status_code == 404
        assert api.post(user, hooks(grid.property_co), {"url": receiver.url}).status_code == 404
        assert api.delete(user, f"{hooks(grid.property_co)}/{endpoint.pk}").status_code == 404
        assert api.get(user, f"{hooks(grid.property_co)}/{endpoint.pk}/deliveries").status_code == 404
        assert WebhookEndpoint.objects.count() == 1

    def test_out_of_scope_org_is_404(self, grid, api, receiver):
        # the community worker of C may not change the property company of K3 (community C2)
        assert api.post(grid.community_worker, hooks(grid.other_property), {"url": receiver.url}).status_code == 404
        assert api.post(grid.street_admin, hooks(grid.other_property), {"url": receiver.url}).status_code == 201

    def test_superuser_may(self, grid, api, receiver):
        from gongzhi.accounts.models import User
        boss = User.objects.create_superuser(username="boss", password="x" * 12)
        assert api.post(boss, hooks(grid.dept), {"url": receiver.url}).status_code == 201

    @pytest.mark.parametrize("url", [
        "ftp://example.com/hook", "javascript:alert(1)", "http:///nohost", "not a url", "",
        "http://10.0.0.5/hook", "http://192.168.1.10/hook", "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/hook", "http://0.0.0.0/hook", "http://user:pass@example.com/hook",
        "http://example.com:99999/hook", "https://example.com/" + "x" * 600,
    ])
    def test_bad_urls_refused(self, grid, api, url):
        r = api.post(grid.community_worker, hooks(grid.property_co), {"url": url})
        assert r.status_code == 400 and r.json()["field"] == "url", (url, r.content)
        assert WebhookEndpoint.objects.count() == 0

    def test_loopback_only_when_allowed(self, grid, api, settings):
        settings.WEBHOOKS_ALLOW_LOOPBACK = False
        for url in ("http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/hook"):
            r = api.post(grid.community_worker, hooks(grid.property_co), {"url": url})
            assert r.status_code == 400 and r.json()["field"] == "url"
        settings.WEBHOOKS_ALLOW_LOOPBACK = True
        assert api.post(grid.community_worker, hooks(grid.property_co),
                        {"url": "http://127.0.0.1:8000/hook"}).status_code == 201

    def test_unknown_event_refused(self, grid, api, receiver):
        r = api.post(grid.community_worker, hooks(grid.property_co), {"url": receiver.url, "events": ["explode"]})
        assert r.status_code == 400 and r.json()["field"] == "events"

    def test_delete(self, grid, api, endpoint):
        r = api.delete(grid.community_worker, f"{hooks(grid.property_co)}/{endpoint.pk}")
        assert r.status_code == 204
        assert not WebhookEndpoint.objects.exists()
        assert AuditEntry.objects.filter(action="delete", object_type="notifications.webhookendpoint").exists()
        # an endpoint is reached only through its own organisation
        ep, _ = services.webhook_create(user=grid.street_admin, organisation=grid.dept, url=endpoint.url)
        assert api.delete(grid.street_admin, f"{hooks(grid.property_co)}/{ep.pk}").status_code == 404


class TestDelivery:
    def test_signed_and_without_personal_data(self, grid, flow, receiver, endpoint, api):
        a = flow.submit(contact_name="张伟", contact_phone="13800135678", description="我家楼上漏水，电话13800135678")
        assert receiver.requests == []  # no handler yet: nobody's webhook hears of a bare submission
        a = flow.act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        [req] = receiver.requests
        h = req["headers"]
        d = WebhookDelivery.objects.get()
        assert h["x-gongzhi-event"] == "dispatch" and h["x-gongzhi-delivery"] == str(d.pk)
        expected = "sha256=" + hmac.new(endpoint.plain_secret.encode(), h["x-gongzhi-timestamp"].encode() + b"." + req["body"],
                                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(h["x-gongzhi-signature"], expected)
        assert h["content-type"].startswith("application/json")
        body = json.loads(req["body"])
        assert body["event"] == "dispatch" and body["at"]
        assert body["appeal"]["number"] == a.number and body["appeal"]["status"] == "dispatched"
        assert body["appeal"]["handler"]["code"] == grid.property_co.code
        assert body["appeal"]["category"]["code"] == "lift" and body["appeal"]["compound"]["code"] == "K1"
        assert set(body["appeal"]) == {"number", "status", "category", "compound", "handler", "updated_at",
                                       "resolve_due"}
        raw = req["body"].decode()
        for private in ("张伟", "13800135678", "漏水", "resident1", str(grid.resident1.pk) + ","):
            assert private not in raw
        assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == 1 and d.last_status_code == 200
        assert d.delivered_at is not None and d.next_attempt_at is None
        r = api.get(grid.community_worker, f"{hooks(grid.property_co)}/{endpoint.pk}/deliveries")
        assert r.status_code == 200 and [i["status"] for i in r.json()["items"]] == ["succeeded"]

    def test_tampered_body_fails_verification(self, endpoint):
        body = webhooks.encode({"event": "take"})
        sig = webhooks.signature(endpoint.plain_secret, "1700000000", body)
        assert sig != webhooks.signature(endpoint.plain_secret, "1700000000", body + b" ")
        assert sig != webhooks.signature(endpoint.plain_secret, "1700000001", body)
        assert sig != webhooks.signature("another-secret", "1700000000", body)

    def test_event_filter_and_inactive_endpoints(self, grid, flow, receiver):
        ep, _ = services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url,
                                        events=["resolve"])
        services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url + "/off")
        WebhookEndpoint.objects.exclude(pk=ep.pk).update(is_active=False)
        flow.resolved()
        assert [r["headers"]["x-gongzhi-event"] for r in receiver.requests] == ["resolve"]
        assert [r["path"] for r in receiver.requests] == ["/hooks/gongzhi"]

    def test_no_history_before_the_endpoint_existed(self, grid, submit, act, receiver):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)  # not fanned out yet
        services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)
        services.fan_out(a.events.get(action="dispatch").pk)
        assert WebhookDelivery.objects.count() == 0

    def test_called_departments_hear_of_the_appeal(self, grid, flow, receiver):
        services.webhook_create(user=grid.street_admin, organisation=grid.dept, url=receiver.url)
        a = flow.dispatched()
        assert receiver.requests == []
        a = flow.act(grid.street_admin, a, "whistle", departments=[grid.dept.pk, grid.dept2.pk])
        a = flow.act(grid.property1, a, "take")
        assert [r["headers"]["x-gongzhi-event"] for r in receiver.requests] == ["whistle", "take"]

    def test_retried_with_back_off_then_given_up(self, grid, flow, receiver, endpoint):
        receiver.default = 500
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.FAILED, 1, 500)
        assert d.next_attempt_at == d.last_attempt_at + datetime.timedelta(minutes=1)
        assert "500" in d.last_error

        early = d.next_attempt_at - datetime.timedelta(seconds=1)
        services.attempt_delivery(d.pk, now=early)  # not due yet: nothing happens
        d.refresh_from_db()
        assert d.attempts == 1 and len(receiver.requests) == 1

        waits = [d.next_attempt_at - d.last_attempt_at]
        while d.status == DeliveryStatus.FAILED:
            d = services.attempt_delivery(d.pk, now=d.next_attempt_at)
            d.refresh_from_db()
            if d.next_attempt_at:
                waits.append(d.next_attempt_at - d.last_attempt_at)
        assert waits == list(RETRY_DELAYS)
        assert waits == [datetime.timedelta(minutes=1), datetime.timedelta(minutes=5), datetime.timedelta(minutes=30),
                         datetime.timedelta(hours=2), datetime.timedelta(hours=12)]
        assert d.status == DeliveryStatus.GAVE_UP and d.attempts == MAX_ATTEMPTS == 6 and d.next_attempt_at is None
        assert len(receiver.requests) == 6
        services.attempt_delivery(d.pk)  # a late duplicate task changes nothing
        assert len(receiver.requests) == 6
        # every attempt carries the same body and delivery id, freshly signed
        assert len({r["body"] for r in receiver.requests}) == 1
        assert {r["headers"]["x-gongzhi-delivery"] for r in receiver.requests} == {str(d.pk)}

    def test_recovers_after_a_failure(self, grid, flow, receiver, endpoint):
        receiver.statuses = [503]
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert d.status == DeliveryStatus.FAILED
        d = services.attempt_delivery(d.pk, now=d.next_attempt_at)
        assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == 2 and d.last_error == ""

    def test_retry_is_enqueued_to_run_after_the_back_off(self, grid, flow, receiver, endpoint, settings):
        receiver.default = 500
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=d.next_attempt_at - datetime.timedelta(minutes=2))
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
        from django_tasks import default_task_backend
        deliver_webhook.call(d.pk)  # the worker runs the due retry; it fails again
        d.refresh_from_db()
        assert d.attempts == 2 and d.next_attempt_at == d.last_attempt_at + RETRY_DELAYS[1]
        [queued] = default_task_backend.results
        assert queued.task.func is deliver_webhook.func and queued.args == [d.pk]
        assert queued.task.run_after == d.next_attempt_at

    def test_unreachable_receiver(self, grid, flow, endpoint):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/closed")
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert d.status == DeliveryStatus.FAILED and d.last_status_code is None and d.last_error

    def test_target_checked_again_before_sending(self, grid, flow, receiver, endpoint, settings):
        settings.WEBHOOKS_ALLOW_LOOPBACK = False
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert receiver.requests == [] and d.status == DeliveryStatus.FAILED
        assert "内网" in d.last_error

    def test_redirects_are_not_followed(self, grid, flow, receiver, endpoint):
        receiver.statuses = [302]
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert d.status == DeliveryStatus.FAILED and d.last_status_code == 302 and len(receiver.requests) == 1

    def test_sweep_enqueues_only_due(self, grid, flow, receiver, endpoint):
        from django.core.management import call_command

        receiver.default = 500
        flow.dispatched()
        d = WebhookDelivery.objects.get()
        assert services.due_delivery_ids() == []
        WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=d.next_attempt_at - datetime.timedelta(minutes=2))
        assert services.due_delivery_ids() == [d.pk]
        call_command("webhooks_retry", stdout=open("/dev/null", "w"))
        d.refresh_from_db()
        assert d.attempts == 2 and len(receiver.requests) == 2
