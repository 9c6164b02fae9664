"""Staff give a resident who lost their password a one-time one; the resident must choose their own first."""
import re

import pytest
from django.test import Client

from gongzhi.accounts.models import ApiToken
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _one_time(response):
    return re.search(r'一次性密码：<strong class="mono">(\w+)</strong>', response.content.decode()).group(1)


def test_the_grid_worker_resets_and_the_resident_must_choose_their_own(client, cast):
    _, raw = ApiToken.issue(cast.resident1, 1)
    elsewhere = Client()
    elsewhere.force_login(cast.resident1)
    client.force_login(cast.grid_worker)
    page = client.get(f"/people/resident/{cast.R1.pk}/").content.decode()
    assert f"/people/resident/{cast.R1.pk}/password/" in page
    r = client.post(f"/people/resident/{cast.R1.pk}/password/")
    assert r.status_code == 200 and "no-cache" in r["Cache-Control"]
    one_time = _one_time(r)
    assert len(one_time) == 10
    entry = AuditEntry.objects.get(detail="password reset by staff")
    assert entry.user == cast.grid_worker and entry.object_id == str(cast.resident1.pk) and one_time not in str(entry.changes)
    assert elsewhere.get("/accounts/password/").status_code == 302  # their sessions ended
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401  # and their tokens

    resident = Client()
    assert resident.post("/accounts/login/", {"username": "resident1", "password": one_time}).status_code == 302
    assert resident.get("/appeals/")["Location"] == "/accounts/password/"  # nothing else first
    assert "一次性密码" in resident.get("/accounts/password/").content.decode()
    r = resident.post("/api/v1/auth/token", {"username": "resident1", "password": one_time},
                      content_type="application/json")
    assert r.status_code == 403  # no API token either, until they choose
    new = "Xincheng#2027"
    r = resident.post("/accounts/password/", {"old_password": one_time, "new_password": new, "new_password2": new})
    assert r.status_code == 302
    assert resident.get("/appeals/").status_code == 200


@pytest.mark.parametrize("who", ["property1", "owners1", "resident2"])
def test_only_who_may_change_the_record(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.post(f"/people/resident/{cast.R1.pk}/password/").status_code == 404
    assert not AuditEntry.objects.filter(detail="password reset by staff").exists()


def test_over_the_api_and_never_for_a_staff_account(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/password-reset")
    assert r.status_code == 200 and len(r.json()["one_time_password"]) == 10 and r["Cache-Control"] == "no-store"
    cast.grid_worker.resident = cast.R1c  # a staff member who also lives in K1
    cast.grid_worker.save()
    r = api.post(cast.community_worker, f"/api/v1/residents/{cast.R1c.pk}/password-reset")
    assert r.status_code == 400 and r.json()["field"] == "account"
    r = api.post(cast.community_worker, f"/api/v1/residents/{cast.R1b.pk}/password-reset")  # no account
    assert r.status_code == 400 and r.json()["field"] == "account"
