"""Login hardening (等保 level 3): lockout after 5 failures on the page and the API, whatever form of the
login name is typed; idle sessions end after SESSION_COOKIE_AGE; logout ends the session."""
import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone

from gongzhi.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token"
MOBILE = "13912345678"
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def page_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def api_login(client, username, password):
    return client.post(TOKEN, {"username": username, "password": password}, content_type="application/json")


@pytest.fixture
def with_mobile(cast):
    cast.resident1.set_phone(MOBILE)
    cast.resident1.save()
    return cast


def test_settings_are_the_hardened_ones():
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    assert settings.SESSION_COOKIE_AGE == 600 and settings.SESSION_SAVE_EVERY_REQUEST


def test_page_sixth_attempt_with_the_right_password_is_refused(client, cast):
    assert page_login(client, "resident1", cast.password).status_code == 302  # the password is right
    client.logout()
    for _ in range(5):
        page_login(client, "resident1", "wrong-password")
    r = page_login(client, "resident1", cast.password)
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    body = r.content.decode()
    assert "锁定" in body and "30" in body  # a Chinese page saying for how long
    # Another account is not affected.
    assert page_login(client, "resident2", cast.password).status_code == 302


def test_api_sixth_attempt_with_the_right_password_is_refused(client, cast):
    # The fifth failure reaches the limit and is itself answered with the lockout (django-axes).
    codes = [api_login(client, "resident1", "wrong-password").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    r = api_login(client, "resident1", cast.password)
    assert r.status_code == 429
    assert "token" not in r.json()
    assert r.json()["detail"] and "锁定" in r.json()["detail"]  # the API's error format
    assert api_login(client, "resident2", cast.password).status_code == 200


def test_page_and_api_failures_count_together(client, cast):
    for i in range(5):
        (page_login if i % 2 else api_login)(client, "resident1", "wrong-password")
    assert api_login(client, "resident1", cast.password).status_code == 429
    assert page_login(client, "resident1", cast.password).status_code == 429


@pytest.mark.parametrize("variant", [MOBILE, "+86" + MOBILE, "0086" + MOBILE, "139 1234 5678", "139-1234-5678",
                                     "１３９１２３４５６７８"])
def test_the_mobile_number_in_any_form_is_the_same_account(client, with_mobile, variant):
    """Lockout is per account: typing the mobile (in any form the login accepts) instead of the username
    does not start a fresh count."""
    assert page_login(client, variant, with_mobile.password).status_code == 302  # the login accepts this form
    client.logout()
    for _ in range(5):
        page_login(client, "resident1", "wrong-password")
    assert page_login(client, variant, with_mobile.password).status_code == 429
    assert api_login(client, variant, with_mobile.password).status_code == 429


def test_mobile_variants_cannot_buy_more_guesses(client, with_mobile):
    variants = [MOBILE, "+86" + MOBILE, "0086" + MOBILE, "139 1234 5678", "139-1234-5678", "1391234 5678"]
    for v in variants:
        page_login(client, v, "wrong-password")
    assert page_login(client, "resident1", with_mobile.password).status_code == 429


def test_failed_logins_never_record_a_full_mobile(client, with_mobile):
    page_login(client, MOBILE, "wrong-password")
    api_login(client, "+86 139 1234 5678", "wrong-password")
    page_login(client, "13700001234", "wrong-password")  # no such account
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == 3
    for e in failed:
        assert not MOBILE_RE.search(e.username + e.object_repr + str(e.changes) + e.detail)
    assert {e.username for e in failed} == {"resident1", "137****1234"}
    from axes.models import AccessAttempt

    for a in AccessAttempt.objects.all():
        assert not MOBILE_RE.search(f"{a.username} {a.get_data} {a.post_data}")


def test_success_resets_the_count(client, cast):
    for _ in range(4):
        page_login(client, "resident1", "wrong-password")
    assert page_login(client, "resident1", cast.password).status_code == 302
    client.logout()
    for _ in range(4):
        page_login(client, "resident1", "wrong-password")
    assert page_login(client, "resident1", cast.password).status_code == 302


# ---- sessions ------------------------------------------------------------------------------------


def _at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_idle_session_ends_after_ten_minutes_and_activity_keeps_it(client, cast, monkeypatch):
    t0 = timezone.now()
    _at(monkeypatch, t0)
    assert page_login(client, "community_worker", cast.password).status_code == 302
    assert client.get("/appeals/").status_code == 200
    # Activity within the window moves the end of the session.
    _at(monkeypatch, t0 + datetime.timedelta(seconds=500))
    assert client.get("/appeals/").status_code == 200
    _at(monkeypatch, t0 + datetime.timedelta(seconds=500 + 590))
    assert client.get("/appeals/").status_code == 200
    # Ten idle minutes later: back to the login page.
    _at(monkeypatch, t0 + datetime.timedelta(seconds=500 + 590 + 601))
    r = client.get("/appeals/")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_idle_expiry_is_set_on_the_cookie_too(client, cast):
    page_login(client, "community_worker", cast.password)
    r = client.get("/appeals/")
    assert int(r.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 600
    assert r.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


def test_logout_ends_the_session_even_for_a_kept_cookie(client, cast):
    page_login(client, "community_worker", cast.password)
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/appeals/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/appeals/").status_code == 302
    client.cookies[settings.SESSION_COOKIE_NAME] = old  # a copied cookie is worth nothing after logout
    r = client.get("/appeals/")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, username="community_worker").exists()


def test_logout_by_get_does_nothing(client, cast):
    page_login(client, "community_worker", cast.password)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/appeals/").status_code == 200


def test_lockout_in_english_with_the_language_cookie(client, cast):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(5):
        page_login(client, "resident1", "wrong-password")
    r = page_login(client, "resident1", cast.password)
    assert r.status_code == 429 and "the account is locked" in r.content.decode()


def test_a_login_by_mobile_is_logged_under_the_username(client, with_mobile):
    from axes.models import AccessLog

    assert page_login(client, "+86 139 1234 5678", with_mobile.password).status_code == 302
    assert api_login(client, MOBILE, with_mobile.password).status_code == 200
    logs = list(AccessLog.objects.all())
    assert logs and {log.username for log in logs} == {"resident1"}
    for e in AuditEntry.objects.all():
        assert not MOBILE_RE.search(f"{e.username} {e.object_repr} {e.changes} {e.detail}")
