"""An import whose worker died mid-run is not left "running" for ever: it is marked interrupted when shown."""
import datetime
import io
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.grid.models import Household
from gongzhi.people.imports import importer, jobs
from gongzhi.people.models import ImportJob, ImportStatus
from test_import_export import GOOD, _var_dir, row, run, xlsx  # noqa: F401

pytestmark = pytest.mark.django_db


def crashed(user, data=None, dry_run=False):
    """A run whose worker dies after its first batch, as a killed process would: no outcome saved."""
    real = importer.Importer._batch
    calls = []

    def dies(self, rows):
        real(self, rows)
        calls.append(len(rows))
        raise SystemExit("worker killed")  # not an Exception: import_run cannot record it

    importer.Importer._batch = dies
    try:
        try:
            run(user, data or xlsx(GOOD), dry_run=dry_run)
        except SystemExit:
            pass
    finally:
        importer.Importer._batch = real
    assert calls, "the run got as far as a batch"
    job = ImportJob.objects.latest("id")
    assert job.status == ImportStatus.RUNNING
    return job


def silent_for(job, minutes):
    """The run last showed progress this long ago (its progress file's time)."""
    path = jobs.progress_file(job.pk)
    if not path.exists():
        path.write_text("0")
    then = (timezone.now() - datetime.timedelta(minutes=minutes)).timestamp()
    os.utime(path, (then, then))


def interrupted(job):
    return job.status == ImportStatus.ERROR and "导入已中断" in job.errors[0]["message"]


def test_a_crashed_import_wrote_nothing_and_is_marked_when_its_job_is_read(cast, api, settings):
    settings.IMPORT_BATCH_SIZE = 2
    before = Household.objects.count()
    job = crashed(cast.community_worker)
    assert Household.objects.count() == before, "the run's transaction rolled back"
    assert jobs.progress_file(job.pk).exists()  # the crash left its last sign of life

    assert api.get(cast.community_worker, f"/api/v1/imports/{job.pk}").json()["status"] == "running"
    silent_for(job, settings.IMPORT_STALE_MINUTES + 1)
    body = api.get(cast.community_worker, f"/api/v1/imports/{job.pk}").json()
    assert body["status"] == "error" and body["finished_at"]
    [error] = body["errors"]
    assert error["row"] is None and "未写入任何数据" in error["message"] and "重新上传" in error["message"]
    assert f"{settings.IMPORT_STALE_MINUTES}分钟" in error["message"]

    job.refresh_from_db()
    assert interrupted(job) and job.file_path == ""
    assert not jobs.progress_file(job.pk).exists() and not list(jobs.imports_dir().glob("*.xlsx"))
    e = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert e.success is False and e.user == cast.community_worker and e.object_id == str(job.pk)
    assert e.changes["dry_run"] is False and e.changes["stale_minutes"] == settings.IMPORT_STALE_MINUTES


def test_a_run_still_making_progress_is_left_alone(cast, client, settings):
    job = crashed(cast.community_worker, dry_run=True)
    silent_for(job, settings.IMPORT_STALE_MINUTES - 1)
    client.force_login(cast.community_worker)
    assert client.get(f"/people/import/{job.pk}/progress/").status_code == 200
    assert client.get("/people/import/").status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


def test_the_import_page_marks_the_users_own_stale_jobs(cast, client, settings):
    mine = crashed(cast.community_worker, dry_run=True)
    theirs = crashed(cast.street_admin, dry_run=True)
    for job in (mine, theirs):
        silent_for(job, settings.IMPORT_STALE_MINUTES + 5)
    client.force_login(cast.community_worker)
    page = client.get("/people/import/").content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert interrupted(mine) and theirs.status == ImportStatus.RUNNING
    assert mine.get_status_display() in page
    page = client.get(f"/people/import/{mine.pk}/").content.decode()
    assert "导入已中断" in page and "hx-trigger" not in page  # no more polling


def test_a_job_that_never_wrote_progress_counts_from_its_creation(cast, settings):
    job = run(cast.community_worker, xlsx(GOOD))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    assert jobs.fail_stale() == []
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES + 1))
    assert jobs.fail_stale() == [job.pk]


def test_a_worker_finishing_meanwhile_keeps_its_outcome(cast, settings):
    job = crashed(cast.community_worker, dry_run=True)
    silent_for(job, settings.IMPORT_STALE_MINUTES + 1)
    stale = list(ImportJob.objects.filter(pk=job.pk))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKED)  # the worker saved its outcome first
    assert jobs.fail_stale(ImportJob.objects.filter(pk__in=[j.pk for j in stale])) == []
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED


def test_the_command_marks_every_stale_job(cast, settings):
    settings.IMPORT_STALE_MINUTES = 30
    a = crashed(cast.community_worker, dry_run=True)
    b = crashed(cast.street_admin)
    fresh = crashed(cast.community_worker, dry_run=True)
    silent_for(a, 31)
    silent_for(b, 45)
    silent_for(fresh, 29)
    out = io.StringIO()
    call_command("import_fail_stale", stdout=out)
    assert out.getvalue().strip() == f"marked=2 stale_minutes=30 ids={a.pk},{b.pk}"
    assert [ImportJob.objects.get(pk=j.pk).status for j in (a, b, fresh)] == [
        ImportStatus.ERROR, ImportStatus.ERROR, ImportStatus.RUNNING]


def test_finished_runs_leave_no_progress_file(cast):
    job = run(cast.community_worker, xlsx([row()]))
    assert job.status == ImportStatus.CHECKED
    assert not jobs.progress_file(job.pk).exists()
