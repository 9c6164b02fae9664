"""Database connections: what a new one costs, and that a server database keeps them between requests."""
import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_postgresql_sessions_start_in_utc():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    fresh = connection.get_new_connection(connection.get_connection_params())
    try:
        # Django sends SET TIME ZONE on every new connection unless the session already reports UTC.
        assert fresh.info.parameter_status("TimeZone") == "UTC"
    finally:
        fresh.close()


def test_postgresql_connections_are_kept_and_checked_before_reuse():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PostgreSQL only")
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is True


def test_database_defaults_follow_the_engine(monkeypatch):
    """CONN_MAX_AGE: 600 s for a server database, 0 for SQLite, unless the environment says otherwise."""
    import importlib

    import gongzhi.settings as module

    try:
        for url, env, expected in (("postgres://u@h:5432/d", None, 600), ("sqlite:////tmp/x.sqlite3", None, 0),
                                   ("postgres://u@h:5432/d", "0", 0), ("sqlite:////tmp/x.sqlite3", "30", 30)):
            monkeypatch.setenv("DATABASE_URL", url)
            if env is None:
                monkeypatch.delenv("CONN_MAX_AGE", raising=False)
            else:
                monkeypatch.setenv("CONN_MAX_AGE", env)
            assert importlib.reload(module).DATABASES["default"]["CONN_MAX_AGE"] == expected, (url, env)
    finally:
        monkeypatch.undo()
        importlib.reload(module)
