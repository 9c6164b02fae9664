"""Open311 POST requests with an idempotency key (the Idempotency-Key header, or our idempotency_key
parameter): a retry files the appeal once and gets the first answer."""
import threading

import pytest
from django.db import connection
from django.test import Client

from gongzhi.appeals.models import Appeal
from gongzhi.open311 import services
from gongzhi.open311.models import ServiceRequest

from .conftest import BASE, as_json, as_xml

IN_K1 = {"lat": "24.1402", "long": "115.7301"}
KEY = "c1d2e3f4-0a1b-4c2d-8e3f-405162738495"


def post(client, key, fmt="json", param=None, **data):
    data = {"service_code": "lift", "description": "3栋电梯停在8楼不动", **IN_K1, **data}
    if param is not None:
        data["idempotency_key"] = param
    headers = {"HTTP_IDEMPOTENCY_KEY": f'"{key}"'} if key else {}
    return client.post(f"{BASE}/requests.{fmt}", data, **headers)


def filed():
    return Appeal.objects.count(), ServiceRequest.objects.count()


@pytest.mark.django_db
class TestRetries:
    def test_header_retry_files_one_appeal_and_gets_the_first_answer(self, world, key, client):
        first = post(client, KEY, api_key=key)
        assert first.status_code == 200 and "Idempotent-Replayed" not in first
        again = post(client, KEY, api_key=key)
        assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (200, first.content, "true")
        [item] = as_json(first)
        assert item["service_request_id"] == Appeal.objects.get().number and filed() == (1, 1)

    def test_the_parameter_for_clients_that_cannot_set_headers(self, world, key, client):
        first = post(client, None, param=KEY, api_key=key)
        again = post(client, None, param=KEY, api_key=key)
        both = post(client, KEY, param=KEY, api_key=key)  # the same key both ways: one key
        assert [r.status_code for r in (first, again, both)] == [200, 200, 200]
        assert again.content == first.content == both.content and filed() == (1, 1)

    def test_a_retry_in_the_other_format_gets_the_same_request(self, world, key, client):
        [item] = as_json(post(client, KEY, api_key=key))
        root = as_xml(post(client, KEY, fmt="xml", api_key=key))
        assert root.find("request/service_request_id").text == item["service_request_id"]
        assert root.find("request/token").text == item["token"] and filed() == (1, 1)

    def test_the_key_with_another_request_is_refused(self, world, key, client):
        post(client, KEY, api_key=key)
        r = post(client, KEY, api_key=key, description="路灯不亮")
        assert r.status_code == 422
        assert as_json(r) == [{"code": 422, "description": "该幂等键已用于内容不同的请求"}]
        assert filed() == (1, 1)

    def test_header_and_parameter_disagreeing_is_bad_input(self, world, key, client):
        r = post(client, KEY, param="another-key", api_key=key)
        assert r.status_code == 400 and as_json(r)[0]["description"].startswith("Idempotency-Key")
        assert filed() == (0, 0)

    def test_keys_are_each_clients_own(self, world, key, client):
        other = services.client_create(user=world.street_admin, name="另一个应用")
        _, other_key = services.key_issue(user=world.street_admin, client=other)
        post(client, KEY, api_key=key)
        assert post(client, KEY, api_key=other_key).status_code == 200 and filed() == (2, 2)

    def test_a_new_key_of_the_same_client_is_the_same_client(self, world, key, client):
        """Keys are kept per client, not per API key: a client that rotated its key mid-retry files once."""
        first = post(client, KEY, api_key=key)
        _, rotated = services.key_issue(user=world.street_admin, client=world.api_client)
        assert post(client, KEY, api_key=rotated).content == first.content and filed() == (1, 1)

    def test_an_error_is_not_kept(self, world, key, client):
        assert post(client, KEY, api_key=key, service_code="nope").status_code == 400
        assert post(client, KEY, api_key=key).status_code == 200 and filed() == (1, 1)


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite lets one writer at a time: a second request waits for the first to commit and "
                           "then gets its answer (TestRetries), it is never in flight beside it")
@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_is_in_flight_gets_a_conflict(world, key, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = services.request_create

    def held(**kw):
        if not entered.is_set():
            entered.set()
            assert release.wait(60)
        return real(**kw)

    monkeypatch.setattr(services, "request_create", held)
    answers = {}

    def first():
        answers["first"] = post(Client(), KEY, api_key=key)
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(60)
        second = post(Client(), KEY, fmt="xml", api_key=key)
        assert second.status_code == 409 and as_xml(second).find("error/code").text == "409"
        assert filed() == (0, 0)
    finally:
        release.set()
        thread.join(60)
    assert answers["first"].status_code == 200
    assert post(Client(), KEY, api_key=key).content == answers["first"].content and filed() == (1, 1)
