"""Changing one's own password: on a page and over the API, checked against the current one and the password
rules; every other session and API token ends; audited without either password."""
import pytest
from django.test import Client

from gongzhi.accounts.models import ApiToken
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = "Xincheng#2027"


def _post(client, old, new, again=None):
    return client.post("/accounts/password/", {"old_password": old, "new_password": new,
                                                "new_password2": new if again is None else again})


def _bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_changed_on_the_page_this_session_goes_on_the_others_end(client, cast):
    user = cast.resident1
    elsewhere = Client()
    elsewhere.force_login(user)
    _, raw = ApiToken.issue(user, 1)
    client.force_login(user)
    assert client.get("/accounts/password/").status_code == 200
    r = _post(client, cast.password, NEW)
    assert r.status_code == 302 and r["Location"] == "/"
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(cast.password)
    assert client.get("/accounts/password/").status_code == 200  # still signed in here
    assert elsewhere.get("/accounts/password/").status_code == 302  # signed out on the other device
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 401  # the API token ended
    entry = AuditEntry.objects.get(detail="password changed")
    assert entry.user == user and entry.changes == {"password": ["***", "***"], "api_tokens_ended": 1}
    assert NEW not in str(entry.changes) and cast.password not in str(entry.changes)


@pytest.mark.parametrize("old,new,again,field,message", [
    ("wrong-one", NEW, None, "old_password", "当前密码不正确"),
    (None, "short1!", None, "new_password", "密码太短，至少需要 8 个字符"),
    (None, "2027202720272027", None, "new_password", "只包含数字"),
    (None, "password123", None, "new_password", "太常见"),
    (None, NEW, "Xincheng#2028", "new_password2", "两次输入的新密码不一致"),
    (None, None, None, "new_password", "不能与当前密码相同"),
])
def test_refused_on_the_page_with_the_reason_on_its_field(client, cast, old, new, again, field, message):
    user = cast.resident1
    client.force_login(user)
    r = _post(client, old or cast.password, new or cast.password, again)
    assert r.status_code == 400
    assert message in " ".join(r.context["form"].errors[field])
    user.refresh_from_db()
    assert user.check_password(cast.password)
    assert not AuditEntry.objects.filter(detail="password changed").exists()


def test_changed_over_the_api_the_token_in_use_goes_on(client, cast):
    user = cast.grid_worker
    _, other = ApiToken.issue(user, 1)
    _, mine = ApiToken.issue(user, 1)
    r = client.post("/api/v1/me/password", {"old_password": cast.password, "new_password": NEW},
                    content_type="application/json", **_bearer(mine))
    assert r.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get("/api/v1/me", **_bearer(mine)).status_code == 200
    assert client.get("/api/v1/me", **_bearer(other)).status_code == 401


def test_refused_over_the_api_naming_the_field(client, cast):
    _, raw = ApiToken.issue(cast.grid_worker, 1)
    r = client.post("/api/v1/me/password", {"old_password": "nope", "new_password": NEW},
                    content_type="application/json", **_bearer(raw))
    assert r.status_code == 400 and r.json()["field"] == "old_password" and "当前密码不正确" in r.json()["detail"]
    cast.grid_worker.refresh_from_db()
    assert cast.grid_worker.check_password(cast.password)


def test_only_for_the_signed_in(client):
    r = client.get("/accounts/password/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert client.post("/api/v1/me/password", {"old_password": "a", "new_password": NEW},
                       content_type="application/json").status_code == 401


def test_the_keepalive_answers_a_live_session_and_sends_an_ended_one_to_log_in(client, cast):
    r = client.get("/accounts/keepalive/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    client.force_login(cast.resident1)
    assert client.get("/accounts/keepalive/").status_code == 204


def test_a_visitor_switching_language_changes_no_account(client, cast):
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert not type(cast.resident1).objects.exclude(language="").exists()
