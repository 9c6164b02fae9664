"""A dry run of an import reads every resident in the file: who checked which file is audited, like an import."""
import pytest

from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.people.models import ImportJob, ImportStatus, Resident
from test_import_export import GOOD, ID_B, _var_dir, api_upload, row, run, upload, xlsx  # noqa: F401

pytestmark = pytest.mark.django_db

EMPTY = {"name": "", "id_number": "", "phone": "", "relation": ""}  # a household row without a resident


def entries():
    return list(AuditEntry.objects.filter(action=AuditAction.IMPORT).order_by("id"))


def test_a_passing_check_is_audited_with_what_it_would_do(cast, client, api):
    r = api_upload(client, api, cast.community_worker, xlsx(GOOD), name="新城一期.xlsx")
    job = r.json()
    assert job["status"] == "checked"
    [e] = entries()
    assert e.user == cast.community_worker and e.success is True
    assert (e.object_type, e.object_id, e.object_repr) == ("people.importjob", str(job["id"]), "新城一期.xlsx")
    assert e.changes == {"file": "新城一期.xlsx", "dry_run": True, "rows": 4, "errors": 0, "error_rows": 0,
                         "households_created": 2, "households_updated": 0, "residents_created": 3,
                         "residents_updated": 0}
    assert "未写入" in e.detail
    assert not Resident.objects.filter(name="赵一").exists()


def test_a_check_that_finds_errors_is_audited_with_how_many(cast):
    bad_id = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")
    rows = [row(), row(name="钱二", id_number=bad_id, phone="1381111222"), row(room="302", area="九十", **EMPTY), row(room="303", **EMPTY)]
    job = run(cast.community_worker, xlsx(rows), name="坏文件.xlsx")
    assert job.status == ImportStatus.FAILED and len(job.errors) == 3
    [e] = entries()
    assert e.success is False and e.user == cast.community_worker
    assert e.changes["dry_run"] is True and e.changes["rows"] == 4
    assert e.changes["errors"] == 3 and e.changes["error_rows"] == 2
    assert "households_created" not in e.changes
    # Never the cells themselves: the log names the file, not the residents in it.
    assert bad_id not in str(e.changes) + e.detail and "钱二" not in str(e.changes) + e.detail


def test_a_file_that_cannot_be_read_is_audited_too(cast):
    job = run(cast.community_worker, xlsx([]), name="只有表头.xlsx")
    assert job.status == ImportStatus.FAILED
    [e] = entries()
    assert e.success is False and e.changes["rows"] == 0 and e.changes["errors"] == 1
    assert e.object_repr == "只有表头.xlsx"


def test_the_pages_check_is_audited_under_the_signed_in_user(cast, client):
    client.force_login(cast.community_worker)
    r = client.post("/people/import/", {"file": upload(xlsx(GOOD))}, REMOTE_ADDR="10.2.3.4")
    assert r.status_code == 302
    [e] = entries()
    assert e.user == cast.community_worker and e.changes["dry_run"] is True
    assert e.object_id == str(ImportJob.objects.get().pk)


def test_check_then_import_leaves_two_entries(cast, api):
    job = run(cast.community_worker, xlsx(GOOD))
    assert api.post(cast.community_worker, f"/api/v1/imports/{job.pk}/confirm").json()["status"] == "done"
    check, real = entries()
    assert check.changes["dry_run"] is True and "dry_run" not in real.changes
    assert real.changes["residents_created"] == 3 and real.object_id == check.object_id
