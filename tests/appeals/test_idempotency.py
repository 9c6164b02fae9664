"""POST /api/v1/appeals with an Idempotency-Key: a retry files the appeal once and gets the first answer."""
import threading

import pytest
from django.db import connection
from django.test import Client

from gongzhi.accounts.models import ApiToken
from gongzhi.appeals import services
from gongzhi.appeals.models import Appeal, AppealEvent
from gongzhi.core.idempotency import purge_expired
from gongzhi.core.models import AuditEntry, IdempotencyKey

KEY = '"4b8f0c6e-2d7a-4e55-9a63-0f3c1d2e9b71"'  # the draft's form: a quoted string
BODY = {"category": "lift", "description": "2栋电梯按钮失灵"}


def submit(api, user, key=KEY, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(user, "/api/v1/appeals", {**BODY, "compound_id": user_compound(user), **body}, **headers)


def user_compound(user):
    return user.resident.household.building.compound_id


def written():
    return (Appeal.objects.count(), AppealEvent.objects.count(),
            AuditEntry.objects.filter(object_type="appeals.appeal").count())


@pytest.mark.django_db
class TestRetries:
    def test_a_retry_files_one_appeal_and_gets_the_first_answer(self, grid, api):
        first = submit(api, grid.resident1)
        assert first.status_code == 201 and "Idempotent-Replayed" not in first
        again = submit(api, grid.resident1)
        bare = submit(api, grid.resident1, key=KEY.strip('"'))  # the same key, unquoted
        for r in (again, bare):
            assert (r.status_code, r.content, r["Idempotent-Replayed"]) == (201, first.content, "true")
        assert written() == (1, 1, 1) and IdempotencyKey.objects.count() == 1

    def test_the_kept_answer_is_the_appeal_as_the_api_shows_it(self, grid, api):
        first = submit(api, grid.resident1).json()
        assert first == api.get(grid.resident1, f"/api/v1/appeals/{first['id']}").json()

    def test_without_a_key_each_post_files_an_appeal(self, grid, api):
        assert [submit(api, grid.resident1, key=None).status_code for _ in range(2)] == [201, 201]
        assert written() == (2, 2, 2) and not IdempotencyKey.objects.exists()

    def test_the_key_with_another_body_is_refused(self, grid, api):
        submit(api, grid.resident1)
        r = submit(api, grid.resident1, description="另一件事：路灯不亮")
        assert r.status_code == 422
        assert r.json() == {"detail": "该幂等键已用于内容不同的请求", "field": "Idempotency-Key", "errors": None}
        assert written() == (1, 1, 1)

    def test_keys_are_each_users_own(self, grid, api):
        mine = submit(api, grid.resident1)
        theirs = submit(api, grid.resident2)
        assert (mine.status_code, theirs.status_code) == (201, 201) and mine.json()["id"] != theirs.json()["id"]
        assert written() == (2, 2, 2)

    def test_an_error_is_not_kept(self, grid, api):
        assert submit(api, grid.resident1, category="no-such-category").status_code == 400
        assert written() == (0, 0, 0) and not IdempotencyKey.objects.exists()
        r = submit(api, grid.resident1)  # corrected and sent again with the key
        assert r.status_code == 201 and written() == (1, 1, 1)

    def test_keys_expire(self, grid, api, settings):
        settings.IDEMPOTENCY_KEY_HOURS = 0  # kept until… now: expired at once
        submit(api, grid.resident1)
        assert submit(api, grid.resident1).status_code == 201 and written() == (2, 2, 2)
        assert IdempotencyKey.objects.count() == 1  # the expired one was replaced
        assert purge_expired() == 1 and not IdempotencyKey.objects.exists()

    @pytest.mark.parametrize("key", ['""', "x" * 256, '"键"', "a\tb"])
    def test_a_malformed_key_is_bad_input(self, grid, api, key):
        r = submit(api, grid.resident1, key=key)
        assert r.status_code == 400 and r.json()["field"] == "Idempotency-Key"
        assert written() == (0, 0, 0)

    def test_the_header_is_in_the_openapi_document(self, client):
        doc = client.get("/api/v1/openapi.json").json()
        post = doc["paths"]["/api/v1/appeals"]["post"]
        [header] = [p for p in post["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and not header["required"]
        assert "IETF httpapi draft" in header["description"]
        assert {"201", "409", "422"} <= set(post["responses"])


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite lets one writer at a time: a second request waits for the first to commit and "
                           "then gets its answer (TestRetries), it is never in flight beside it")
@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_is_in_flight_gets_a_conflict(grid, monkeypatch):
    """The first request is held inside its transaction; the retry is told 409 at once, never files a second
    appeal; once the first commits, a retry gets its answer."""
    entered, release = threading.Event(), threading.Event()
    real = services.appeal_submit

    def held(**kw):
        if not entered.is_set():  # the first request only
            entered.set()
            assert release.wait(60)
        return real(**kw)

    monkeypatch.setattr(services, "appeal_submit", held)
    _, raw = ApiToken.issue(grid.resident1, 1)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_IDEMPOTENCY_KEY": KEY}
    body = {**BODY, "compound_id": grid.K1.pk}
    answers = {}

    def first():
        answers["first"] = Client().post("/api/v1/appeals", body, content_type="application/json", **headers)
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(60)
        second = Client().post("/api/v1/appeals", body, content_type="application/json", **headers)
        assert second.status_code == 409
        assert second.json()["field"] == "Idempotency-Key" and Appeal.objects.count() == 0
    finally:
        release.set()
        thread.join(60)
    assert answers["first"].status_code == 201
    third = Client().post("/api/v1/appeals", body, content_type="application/json", **headers)
    assert (third.status_code, third.content) == (201, answers["first"].content)
    assert Appeal.objects.count() == 1
