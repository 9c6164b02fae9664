"""The audit log: every audited event writes one append-only row; sensitive values never appear in clear."""
import json
from urllib.parse import urlencode

import pytest

from gongzhi.accounts.models import User
from gongzhi.core.audit import audit
from gongzhi.core.models import AppendOnlyError, AuditAction, AuditEntry
from gongzhi.core.identity import id_check_digit
from gongzhi.people.models import Resident


def make_id(first17):
    return first17 + id_check_digit(first17)


NEW_ID = make_id("44148119880808123")
NEW_PHONE = "13912345678"
OTHER_PHONE = "15887654321"


def _entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def _one(**filters):
    entries = _entries(**filters)
    assert len(entries) == 1, entries
    return entries[0]


def _create_resident(cast, api):
    r = api.post(cast.community_worker, "/api/v1/residents",
                 {"household_id": cast.H1.pk, "name": "赵敏", "id_number": NEW_ID, "phone": NEW_PHONE,
                  "relation": "child"})
    assert r.status_code == 201, r.content
    return Resident.objects.get(pk=r.json()["id"])


def test_create_is_audited_with_masked_sensitive_fields(cast, api):
    resident = _create_resident(cast, api)
    e = _one(action=AuditAction.CREATE, object_type="people.resident")
    assert e.user == cast.community_worker and e.username == "community_worker"
    assert e.ip == "127.0.0.1"
    assert e.object_id == str(resident.pk) and e.object_repr == "赵敏"
    assert e.changes["name"] == [None, "赵敏"]
    assert e.changes["relation"] == [None, "child"]
    assert e.changes["household"] == [None, cast.H1.pk]
    assert e.changes["id_number"] == ["", "***"]
    assert e.changes["phone"] == ["", "***"]
    assert e.success is True


def test_update_records_only_changed_fields_before_and_after(cast, api):
    r = api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"name": "张伟明", "phone": OTHER_PHONE,
                                                                        "relation": "head"})
    assert r.status_code == 200, r.content
    e = _one(action=AuditAction.UPDATE, object_type="people.resident")
    assert e.user == cast.grid_worker and e.ip == "127.0.0.1" and e.object_id == str(cast.R1.pk)
    assert e.changes == {"name": ["张伟", "张伟明"], "phone": ["***", "***"]}


def test_update_household_is_audited(cast, api):
    r = api.patch(cast.community_worker, f"/api/v1/households/{cast.H1.pk}", {"floor_area": "101.25"})
    assert r.status_code == 200, r.content
    e = _one(action=AuditAction.UPDATE, object_type="grid.household")
    assert e.changes == {"floor_area": ["98.50", "101.25"]}


def test_no_change_writes_no_update_entry(cast, api):
    r = api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"name": "张伟"})
    assert r.status_code == 200
    assert not _entries(action=AuditAction.UPDATE)


def test_delete_is_audited_with_what_was_removed(cast, api):
    pk = cast.R1c.pk
    r = api.delete(cast.grid_worker, f"/api/v1/residents/{pk}")
    assert r.status_code == 204
    assert not Resident.objects.filter(pk=pk).exists()
    e = _one(action=AuditAction.DELETE)
    assert e.user == cast.grid_worker and e.object_type == "people.resident" and e.object_id == str(pk)
    assert e.object_repr == "王强"
    assert e.changes["name"] == ["王强", None]
    assert e.changes["id_number"] == ["***", ""]


def test_reveal_is_audited_with_the_field_only(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "id_number"})
    assert r.status_code == 200
    e = _one(action=AuditAction.REVEAL)
    assert e.user == cast.community_worker and e.ip == "127.0.0.1"
    assert e.object_type == "people.resident" and e.object_id == str(cast.R1.pk)
    assert e.changes == {"field": "id_number"}


def test_refused_reveal_is_audited_as_denied(cast, api):
    r = api.post(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "id_number"})
    assert r.status_code == 404
    assert not _entries(action=AuditAction.REVEAL)
    e = _one(action=AuditAction.DENIED)
    assert e.user == cast.grid_worker and e.success is False
    assert e.object_id == str(cast.R1.pk) and e.detail == "resident.reveal_id"


def test_login_and_failed_login_are_audited(cast, client):
    ok = client.post("/api/v1/auth/token", {"username": "grid_worker1", "password": cast.password},
                     content_type="application/json", REMOTE_ADDR="10.1.2.3")
    assert ok.status_code == 200
    e = _one(action=AuditAction.LOGIN)
    assert e.user == cast.grid_worker and e.ip == "10.1.2.3" and e.object_id == str(cast.grid_worker.pk)

    bad = client.post("/api/v1/auth/token", {"username": "grid_worker1", "password": "wrong-password"},
                      content_type="application/json", REMOTE_ADDR="10.9.9.9")
    assert bad.status_code == 401
    e = _one(action=AuditAction.LOGIN_FAILED)
    assert e.user is None and e.username == "grid_worker1" and e.ip == "10.9.9.9" and e.success is False
    assert "wrong-password" not in json.dumps(e.changes) + e.detail


def test_permission_denied_is_audited(cast, api):
    r = api.get(cast.grid_worker, f"/api/v1/residents/{cast.R2.pk}")
    assert r.status_code == 404
    e = _one(action=AuditAction.DENIED)
    assert e.user == cast.grid_worker and e.ip == "127.0.0.1"
    assert e.object_type == "people.resident" and e.object_id == str(cast.R2.pk)
    assert e.detail == "resident.view" and e.success is False


def test_membership_and_tag_changes_are_audited(cast, api):
    r = api.post(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members",
                 {"resident_id": cast.R2.pk, "position": "兼职委员", "term_start": "2025-01-01"})
    assert r.status_code == 201, r.content
    e = _one(action=AuditAction.CREATE, object_type="orgs.membership")
    assert e.changes["person_name"] == [None, "陈静"] and e.changes["position"] == [None, "兼职委员"]
    r = api.delete(cast.community_worker, f"/api/v1/organisations/{cast.party.pk}/members/{r.json()['id']}")
    assert r.status_code == 204
    e = _one(action=AuditAction.UPDATE, object_type="orgs.membership")
    assert list(e.changes) == ["term_end"] and e.changes["term_end"][0] is None

    r = api.post(cast.street_admin, "/api/v1/tags", {"code": "veteran", "name": "退役军人"})
    assert r.status_code == 201
    assert _one(action=AuditAction.CREATE, object_type="people.tag").changes["code"] == [None, "veteran"]


def test_sensitive_values_never_in_clear_anywhere_in_the_log(cast, api):
    resident = _create_resident(cast, api)
    assert api.patch(cast.community_worker, f"/api/v1/residents/{resident.pk}",
                     {"phone": OTHER_PHONE, "id_number": make_id("44148119880808124")}).status_code == 200
    for field in ("phone", "id_number"):
        assert api.post(cast.community_worker, f"/api/v1/residents/{resident.pk}/reveal",
                        {"field": field}).status_code == 200
    assert api.post(cast.grid_worker, f"/api/v1/residents/{resident.pk}/reveal",
                    {"field": "id_number"}).status_code == 404
    assert api.delete(cast.community_worker, f"/api/v1/residents/{resident.pk}").status_code == 204
    # A failed create with a valid phone and a bad ID number must not log either.
    bad = api.post(cast.community_worker, "/api/v1/residents",
                   {"household_id": cast.H1.pk, "name": "钱七", "phone": "13711112222", "id_number": NEW_ID[:-1] + "0"})
    assert bad.status_code == 400

    entries = AuditEntry.objects.all()
    assert {e.action for e in entries} >= {"create", "update", "reveal", "delete", "permission_denied"}
    dump = json.dumps([[e.changes, e.object_repr, e.detail] for e in entries], ensure_ascii=False)
    secrets = [NEW_ID, NEW_PHONE, OTHER_PHONE, make_id("44148119880808124"), "13711112222", NEW_ID[6:14]]
    for secret in secrets:
        assert secret not in dump
    # Nor the keyed hashes, which are lookup keys for the same values.
    for secret in secrets[:4]:
        from gongzhi.core.crypto import lookup_hash

        assert lookup_hash(secret) not in dump


def test_entries_cannot_be_changed_or_removed(cast):
    e = audit(AuditAction.EXPORT, user=cast.street_admin, object_type="people.resident", detail="demo")
    e.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=e.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=e.pk).delete()
    e.refresh_from_db()
    assert e.detail == "demo"


def test_deleting_a_user_keeps_their_entries(cast):
    user = User.objects.create_user(username="temp_worker", password=cast.password)
    e = audit(AuditAction.LOGIN, user=user, obj=user)
    user.delete()
    e.refresh_from_db()
    assert e.user_id is None and e.username == "temp_worker"


# ---- the audit API ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["community_worker", "grid_worker", "property1", "owners1", "member1",
                                      "resident1", "rider1", "nobody"])
def test_audit_api_refused_for_non_admins(cast, api, username):
    audit(AuditAction.EXPORT, user=cast.street_admin, object_type="people.resident")
    r = api.get(getattr(cast, username), "/api/v1/audit")
    assert r.status_code == 404
    assert "items" not in r.json()


def test_audit_api_refused_for_anonymous(cast, client):
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_api_filters(cast, api):
    assert api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "phone"}).status_code == 200
    assert api.get(cast.grid_worker, f"/api/v1/residents/{cast.R3.pk}").status_code == 404
    assert api.patch(cast.grid_worker, f"/api/v1/households/{cast.H1.pk}", {"tenure": "tenant"}).status_code == 200

    def get(**params):
        # Built by hand: the api fixture's own first argument is called `user`.
        r = api.get(cast.street_admin, "/api/v1/audit?" + urlencode(params))
        assert r.status_code == 200, r.content
        return r.json()

    everything = get(limit=200)
    assert everything["count"] == AuditEntry.objects.count() >= 3
    ats = [i["at"] for i in everything["items"]]
    assert ats == sorted(ats, reverse=True)

    by_user = get(user="grid_worker1")
    assert by_user["count"] == 2 and {i["username"] for i in by_user["items"]} == {"grid_worker1"}
    assert get(user=str(cast.grid_worker.pk))["count"] == 2

    reveals = get(action="reveal")
    assert reveals["count"] == 1
    item = reveals["items"][0]
    assert item["username"] == "community_worker" and item["object_id"] == str(cast.R1.pk)
    assert item["changes"] == {"field": "phone"} and item["ip"] == "127.0.0.1"
    assert item["action_label"] == "查看明文"

    assert get(object_type="grid.household")["count"] == 1
    assert get(object_type="people.resident", object_id=str(cast.R3.pk))["items"][0]["action"] == "permission_denied"

    from django.utils import timezone

    today = timezone.localdate()
    assert get(date_from=today.isoformat(), date_to=today.isoformat())["count"] == everything["count"]
    assert get(date_to=(today - timezone.timedelta(days=1)).isoformat())["count"] == 0
    assert get(date_from=(today + timezone.timedelta(days=1)).isoformat())["count"] == 0
    assert get(limit=1, offset=1)["items"][0]["id"] == everything["items"][1]["id"]

    bad = api.get(cast.street_admin, "/api/v1/audit", date_from="2026-13-45")
    assert bad.status_code == 422
    assert "date_from" in json.dumps(bad.json())
