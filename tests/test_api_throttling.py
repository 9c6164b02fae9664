"""The JSON API's rate limits (gongzhi.api.throttles): token requests per client address, writes per user.

Limits are set low here with the settings fixture; the defaults (API_THROTTLE_LOGIN, API_THROTTLE_WRITE) are
high enough for the rest of the suite and the benchmarks.
"""
import pytest

from gongzhi.api.urls import api as ninja_api
from gongzhi.people.models import Tag

pytestmark = pytest.mark.django_db

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def token_request(client, password, addr="10.0.0.1"):
    return client.post("/api/v1/auth/token", {"username": "street_admin", "password": password},
                       content_type="application/json", REMOTE_ADDR=addr)


def assert_throttled(r):
    assert r.status_code == 429, r.content
    assert int(r["Retry-After"]) >= 1
    body = r.json()
    assert body["detail"] and set(body) <= {"detail", "field", "errors"}


def test_token_requests_over_the_limit_get_429_with_retry_after(client, cast, settings):
    settings.API_THROTTLE_LOGIN = "3/min"
    assert token_request(client, "wrong").status_code == 401
    assert token_request(client, cast.password).status_code == 200
    assert token_request(client, "wrong").status_code == 401
    r = token_request(client, cast.password)  # the right password too: every attempt counts
    assert_throttled(r)
    assert "token" not in r.json()
    r = client.post("/api/v1/auth/token/form", {"username": "street_admin", "password": cast.password},
                    REMOTE_ADDR="10.0.0.1")
    assert_throttled(r)
    # Another address has its own count.
    assert token_request(client, cast.password, addr="10.0.0.2").status_code == 200


def test_the_login_limit_keys_on_the_connecting_address_not_on_x_forwarded_for(client, cast, settings):
    settings.API_THROTTLE_LOGIN = "2/min"
    for n in range(2):
        r = client.post("/api/v1/auth/token", {"username": "street_admin", "password": "wrong"},
                        content_type="application/json", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", {"username": "street_admin", "password": "wrong"},
                    content_type="application/json", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.99")
    assert_throttled(r)


def test_writes_over_the_limit_get_429_per_user_and_reads_go_on(cast, api, settings):
    settings.API_THROTTLE_WRITE = "2/min"
    for code in ("t1", "t2"):
        assert api.post(cast.street_admin, "/api/v1/tags", {"code": code, "name": code}).status_code == 201
    r = api.post(cast.street_admin, "/api/v1/tags", {"code": "t3", "name": "t3"})
    assert_throttled(r)
    assert not Tag.objects.filter(code="t3").exists(), "a refused write does nothing"
    assert api.patch(cast.street_admin, f"/api/v1/tags/{Tag.objects.get(code='t1').pk}", {"name": "x"}).status_code == 429
    assert api.get(cast.street_admin, "/api/v1/tags").status_code == 200  # reads are not limited
    assert api.get(cast.street_admin, "/api/v1/tags").status_code == 200
    # Counted per user, whichever token they present: another user writes on; a new token of the same user does not.
    other = cast.street_admin.__class__.objects.create_superuser("admin2", password=cast.password)
    assert api.post(other, "/api/v1/tags", {"code": "t4", "name": "t4"}).status_code == 201
    assert api.post(cast.street_admin, "/api/v1/tags", {"code": "t5", "name": "t5"}).status_code == 429


def test_every_write_operation_is_throttled_and_documents_429():
    schema = ninja_api.get_openapi_schema()
    seen = 0
    for bound in ninja_api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                if not set(operation.methods) & set(WRITES):
                    continue
                seen += 1
                assert operation.throttle_objects, (operation.methods, operation.view_func.__name__)
    assert seen > 30
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method.upper() in WRITES:
                assert "429" in {str(c) for c in operation["responses"]}, (method, path)


def test_an_empty_rate_means_no_limit(cast, api, settings):
    settings.API_THROTTLE_WRITE = ""
    for n in range(5):
        assert api.post(cast.street_admin, "/api/v1/tags", {"code": f"n{n}", "name": f"n{n}"}).status_code == 201

