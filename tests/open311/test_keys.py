"""Issuing and revoking API keys: the keys page, the Django admin, the demo key."""
import pytest
from django.http import Http404

from gongzhi.core.models import AuditEntry
from gongzhi.open311 import services
from gongzhi.open311.models import ApiClient, ApiKey, key_digest

pytestmark = pytest.mark.django_db

POINT = {"service_code": "lift", "description": "电梯坏了", "lat": "24.1402", "long": "115.7301"}


def test_only_digest_and_prefix_are_stored(world, key):
    stored = ApiKey.objects.get()
    assert stored.digest == key_digest(key) and stored.prefix == key[:8] and len(key) >= 32
    values = [str(v) for v in ApiKey.objects.values_list(flat=False).get()]
    assert key not in values
    assert services.key_authenticate(key) == stored
    assert services.key_authenticate(key + "x") is None and services.key_authenticate("") is None
    assert AuditEntry.objects.filter(object_type="open311.apikey", object_id=str(stored.pk)).exists()


def test_only_category_managers_issue_keys(world):
    for user in (world.community_worker, world.resident1, world.property1):
        with pytest.raises(Http404):
            services.client_create(user=user, name="某应用")
    client = services.client_create(user=world.street_admin, name="某应用")
    with pytest.raises(Http404):
        services.key_issue(user=world.community_worker, client=client)
    assert not ApiKey.objects.exists()


def test_keys_page_issue_use_revoke(world, client, o311):
    client.force_login(world.street_admin)
    page = client.get("/open311/keys/")
    assert page.status_code == 200 and "开放接口密钥" in page.content.decode()

    r = client.post("/open311/keys/", {"action": "create", "name": "兴宁市民通", "contact": "it@example.cn"})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    stored = ApiKey.objects.get()
    raw = r.context["new_key"]["raw"]
    assert raw in r.content.decode() and key_digest(raw) == stored.digest
    assert raw not in client.get("/open311/keys/").content.decode()  # shown once
    assert o311.post("json", api_key=raw, **POINT).status_code == 200

    r = client.post("/open311/keys/", {"action": "issue", "client": stored.client_id})
    second = r.context["new_key"]["raw"]
    assert ApiKey.objects.count() == 2 and second != raw

    r = client.post("/open311/keys/", {"action": "revoke", "key": stored.pk})
    assert r.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert o311.post("json", api_key=raw, **POINT).status_code == 403
    assert o311.post("json", api_key=second, **POINT).status_code == 200

    r = client.post("/open311/keys/", {"action": "create", "name": "兴宁市民通"}, follow=True)
    assert "已有同名的客户端" in r.content.decode() and ApiClient.objects.count() == 1


def test_keys_page_is_for_admins_only(world, client):
    assert client.get("/open311/keys/").status_code == 302  # to the login page
    for user in (world.community_worker, world.resident1):
        client.force_login(user)
        assert client.get("/open311/keys/").status_code == 404
        assert client.post("/open311/keys/", {"action": "create", "name": "x"}).status_code == 404
    assert not ApiClient.objects.exists()


def test_admin_issue_and_revoke(world, client, o311):
    from gongzhi.accounts.models import User

    admin = User.objects.create_superuser("root", password="x-Pass-2026")
    client.force_login(admin)
    api_client = ApiClient.objects.create(name="热线系统")
    assert client.get("/admin/open311/apiclient/").status_code == 200
    assert client.get(f"/admin/open311/apiclient/{api_client.pk}/change/").status_code == 200
    r = client.post("/admin/open311/apiclient/", {"action": "issue_key", "_selected_action": [api_client.pk]})
    assert r.status_code == 200
    raw = r.context["issued"][0][2]
    assert raw in r.content.decode()
    assert o311.post("json", api_key=raw, **POINT).status_code == 200
    assert client.get("/admin/open311/apikey/").status_code == 200
    assert client.get("/admin/open311/servicerequest/").status_code == 200
    key = ApiKey.objects.get()
    client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert o311.post("json", api_key=raw, **POINT).status_code == 403


def test_demo_key(world, o311):
    first = services.ensure_demo_key()
    assert services.ensure_demo_key() == first  # idempotent
    assert ApiKey.objects.filter(client=first).count() == 1
    assert first.name == "演示客户端"
    assert o311.post("json", api_key="demo-open311-key", **POINT).status_code == 200


def test_no_demo_key_without_the_demo(world, o311):
    assert o311.post("json", api_key="demo-open311-key", **POINT).status_code == 403
