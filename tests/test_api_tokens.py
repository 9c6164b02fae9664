"""API tokens: the idle rule, use recorded at most once a minute, logout and the user's own list, all audited."""
import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from gongzhi.accounts.models import ApiToken
from gongzhi.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def login(client, cast, username="grid_worker1"):
    r = client.post("/api/v1/auth/token", {"username": username, "password": cast.password},
                    content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    return ApiToken.objects.get(pk=AuditEntry.objects.filter(action=AuditAction.LOGIN).latest("id").changes["token"]), \
        body["token"], body


def idle():
    return datetime.timedelta(minutes=django_settings.API_TOKEN_IDLE_MINUTES)


def used(token, ago):
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - ago)


def test_the_idle_limit_is_the_sessions_by_default():
    assert django_settings.API_TOKEN_IDLE_MINUTES == django_settings.SESSION_COOKIE_AGE // 60


class TestIdle:
    def test_a_token_unused_past_the_limit_ends_for_good(self, cast, client, settings):
        token, raw, body = login(client, cast)
        assert body["idle_minutes"] == settings.API_TOKEN_IDLE_MINUTES
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
        used(token, idle() + datetime.timedelta(seconds=1))
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 401
        token.refresh_from_db()
        assert token.expires_at <= timezone.now()
        settings.API_TOKEN_IDLE_MINUTES = 24 * 60  # a longer limit later does not bring it back
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 401

    def test_a_token_never_used_counts_from_its_issue(self, cast, client):
        token, raw, _ = login(client, cast)
        ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - idle() - MINUTE)
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 401

    def test_use_within_the_limit_keeps_it_alive(self, cast, client):
        token, raw, _ = login(client, cast)
        used(token, idle() - MINUTE)
        before = ApiToken.objects.get(pk=token.pk).last_used_at
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
        assert ApiToken.objects.get(pk=token.pk).last_used_at > before

    def test_use_is_written_at_most_once_a_minute(self, cast, client):
        token, raw, _ = login(client, cast)
        t0 = token.created_at
        assert ApiToken.authenticate(raw, now=t0 + datetime.timedelta(seconds=1)) is not None
        first = ApiToken.objects.get(pk=token.pk).last_used_at
        assert first == t0 + datetime.timedelta(seconds=1)
        assert ApiToken.authenticate(raw, now=t0 + datetime.timedelta(seconds=59)) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # within the minute: no write
        assert ApiToken.authenticate(raw, now=first + MINUTE) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first + MINUTE
        # Idle is measured from the last use recorded.
        assert ApiToken.authenticate(raw, now=first + MINUTE + idle()) is None

    def test_use_over_http_is_recorded(self, cast, client):
        token, raw, _ = login(client, cast)
        used(token, MINUTE + datetime.timedelta(seconds=1))
        stale = ApiToken.objects.get(pk=token.pk).last_used_at
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
        assert ApiToken.objects.get(pk=token.pk).last_used_at > stale

    def test_zero_turns_the_idle_limit_off(self, cast, client, settings):
        settings.API_TOKEN_IDLE_MINUTES = 0
        token, raw, body = login(client, cast)
        assert body["idle_minutes"] is None
        used(token, datetime.timedelta(hours=6))
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 200

    def test_photos_read_with_a_token_follow_the_same_rule(self, cast):
        token, raw = ApiToken.issue(cast.grid_worker, 1)
        assert ApiToken.user_for(raw) == cast.grid_worker
        used(token, idle() + datetime.timedelta(seconds=1))
        assert ApiToken.user_for(raw) is None


class TestLogout:
    def test_logout_revokes_the_presented_token_only(self, cast, client):
        token, raw, _ = login(client, cast)
        other, other_raw, _ = login(client, cast)
        r = client.post("/api/v1/auth/logout", **bearer(raw))
        assert r.status_code == 204
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 401
        assert not ApiToken.objects.filter(pk=token.pk).exists()
        assert client.get("/api/v1/me", **bearer(other_raw)).status_code == 200
        e = AuditEntry.objects.get(action=AuditAction.LOGOUT)
        assert e.user == cast.grid_worker and e.changes == {"token": token.pk} and e.detail == "api token revoked"
        assert client.post("/api/v1/auth/logout", **bearer(raw)).status_code == 401

    def test_issue_is_audited_with_the_token(self, cast, client):
        token, raw, _ = login(client, cast)
        e = AuditEntry.objects.get(action=AuditAction.LOGIN)
        assert e.user == cast.grid_worker and e.detail == "api token" and e.changes["token"] == token.pk
        assert raw not in str(e.changes) and token.digest not in str(e.changes)

    def test_anonymous_logout_is_401(self, cast, client):
        assert client.post("/api/v1/auth/logout").status_code == 401


class TestOwnTokens:
    def test_list_shows_the_live_ones_and_which_is_this(self, cast, client):
        a, raw_a, _ = login(client, cast)
        b, raw_b, _ = login(client, cast)
        gone, _, _ = login(client, cast)
        used(gone, idle() + MINUTE)
        theirs, _, _ = login(client, cast, "property1")
        rows = client.get("/api/v1/auth/tokens", **bearer(raw_a)).json()
        assert [r["id"] for r in rows] == [b.pk, a.pk]
        assert [r["current"] for r in rows] == [False, True]
        row = rows[1]
        assert row["last_used_at"] is not None and row["idle_expires_at"] <= row["expires_at"]
        assert "digest" not in row and "token" not in row

    def test_revoke_one_of_ones_own(self, cast, client):
        a, raw_a, _ = login(client, cast)
        b, raw_b, _ = login(client, cast)
        assert client.delete(f"/api/v1/auth/tokens/{b.pk}", **bearer(raw_a)).status_code == 204
        assert client.get("/api/v1/me", **bearer(raw_b)).status_code == 401
        assert client.get("/api/v1/me", **bearer(raw_a)).status_code == 200
        e = AuditEntry.objects.get(action=AuditAction.LOGOUT)
        assert e.user == cast.grid_worker and e.changes == {"token": b.pk}

    def test_someone_elses_token_is_not_found(self, cast, client):
        _, raw, _ = login(client, cast)
        theirs, their_raw, _ = login(client, cast, "property1")
        assert client.delete(f"/api/v1/auth/tokens/{theirs.pk}", **bearer(raw)).status_code == 404
        assert client.get("/api/v1/me", **bearer(their_raw)).status_code == 200
        assert not AuditEntry.objects.filter(action=AuditAction.LOGOUT).exists()
        assert client.delete("/api/v1/auth/tokens/99999999", **bearer(raw)).status_code == 404
