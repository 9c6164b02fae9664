"""Per-connection set-up that the production server pays on every request (CONN_MAX_AGE=0)."""
import pytest
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
