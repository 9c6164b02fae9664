"""An import job's life: the upload stored and queued, the worker's run (a dry run first, then the real one once
its author confirms), its progress while it runs, its outcome, and runs whose worker died.
"""
import datetime
import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import require
from gongzhi.people.capability import IMPORT
from gongzhi.core.audit import audit
from gongzhi.core.ids import as_id
from gongzhi.core.models import AuditAction

from ..models import ImportJob, ImportStatus
from .files import KINDS, ImportFileError, check_upload
from .importer import Importer

logger = logging.getLogger(__name__)


def imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path



# ---- progress visible while the import's transaction is open ------------------------------------


def progress_file(job_id) -> Path:
    return imports_dir() / f"{int(job_id)}.progress"


class ProgressChannel:
    """Publishes rows_done while the import's transaction is still open, and that the run is alive.

    Writing ImportJob.rows_done through the import's own connection would be
    useless: nobody sees it before the commit (PostgreSQL), and it would only
    be committed at the end. So:

    * PostgreSQL (and any server database): a second, autocommitting
      connection to the same database updates the job row after each batch.
      The import's transaction never touches the job row, so the two never
      wait on each other.
    * SQLite allows one writer at a time and the import holds the write lock
      for its whole transaction, so a second connection could not write. A
      SQLite install is one machine, so the count goes to a small file under
      VAR_DIR/imports/ that the web process reads (`live_rows_done`).

    With either database the file is written at the start and after each
    batch: its time is the run's last sign of life (`fail_stale`). The web
    process and the worker share VAR_DIR/imports/ anyway (the upload is there).
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.sqlite = connections[DEFAULT_DB_ALIAS].vendor == "sqlite"
        self._conn = None

    def start(self):
        self._write(0)

    def _write(self, rows_done):
        path = progress_file(self.job_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(int(rows_done)))
        os.replace(tmp, path)

    def report(self, rows_done):
        self._write(rows_done)
        if self.sqlite:
            return
        if self._conn is None:
            params = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
            self._conn = load_backend(params["ENGINE"]).DatabaseWrapper(params, alias="import_progress")
        table = self._conn.ops.quote_name(ImportJob._meta.db_table)
        with self._conn.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET rows_done = %s WHERE id = %s", [int(rows_done), self.job_id])

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def discard(self):
        """Once the outcome is saved: until then the file says the run is alive."""
        progress_file(self.job_id).unlink(missing_ok=True)


def live_rows_done(job):
    """rows_done as the web process can see it while the job runs (see ProgressChannel)."""
    if job.status == ImportStatus.RUNNING and connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        try:
            return max(job.rows_done, int(progress_file(job.pk).read_text() or 0))
        except (OSError, ValueError):
            pass
    return job.rows_done


def live_progress(job):
    """(rows_done, rows_total, percent) for pages and the API."""
    done = live_rows_done(job)
    total = max(job.rows_total, done)
    if job.status in (ImportStatus.DONE, ImportStatus.CHECKED):
        return done, total, 100
    return done, total, int(100 * done / total) if total else 0



# ---- jobs: start, confirm, run ------------------------------------------------------------------


def _store(upload, kind):
    path = imports_dir() / f"{uuid.uuid4().hex}.{kind}"
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


def _enqueue(job):
    from ..tasks import run_import

    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def sweep_stale(hours=24):
    """Files of checked jobs nobody confirmed are removed after a day."""
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    for job in ImportJob.objects.filter(status=ImportStatus.CHECKED, created_at__lt=cutoff).exclude(file_path=""):
        Path(job.file_path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(file_path="")


def import_start(*, user, upload, dry_run=True):
    """Store an upload, create its ImportJob and queue the run (a dry run unless asked otherwise)."""
    require(user, IMPORT)
    kind = check_upload(upload)
    sweep_stale()
    path = _store(upload, kind)
    try:
        job = ImportJob.objects.create(user=user, file_name=(Path(upload.name).name or "upload")[:200],
                                       file_path=str(path), dry_run=bool(dry_run))
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return _enqueue(job)


def import_confirm(*, user, job):
    """Run the real import of a file whose dry run passed (it is checked again while importing)."""
    require(user, IMPORT)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.CHECKED or not job.dry_run:
            raise ValidationError({"status": _("只有检查通过、尚未导入的任务才能确认导入")})
        if not job.file_path or not Path(job.file_path).exists():
            raise ValidationError({"file": _("上传的文件已过期，请重新上传")})
        job.dry_run = False
        job.status = ImportStatus.PENDING
        job.rows_done = 0
        job.errors = []
        job.error_count = 0
        job.finished_at = None
        job.households_created = job.households_updated = job.residents_created = job.residents_updated = 0
        job.save()
    return _enqueue(job)


def job_for(user, pk):
    """An import job its creator (or a superuser) may see; anything else is 404."""
    require(user, IMPORT)
    pk = as_id(pk)  # an id the database can hold: a huge number would overflow the column
    job = ImportJob.objects.filter(pk=pk).first() if pk else None
    if job is None:
        raise Http404
    if job.user_id != user.pk and not user.is_superuser:
        raise Http404
    if job.status == ImportStatus.RUNNING and fail_stale(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return job


COUNT_KEYS = ("households_created", "households_updated", "residents_created", "residents_updated")


def import_run(job_id):
    """The task body: run the job, record the outcome, remove the file unless a confirm may follow."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.PENDING:
        return None
    kind = KINDS.get(Path(job.file_path).suffix.lower(), "xlsx")
    job.status = ImportStatus.RUNNING
    job.rows_done = 0
    job.save(update_fields=["status", "rows_done"])
    progress = ProgressChannel(job)
    importer = Importer(job, progress)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            progress.start()
            if not job.file_path or not Path(job.file_path).exists():
                raise ImportFileError(_("上传的文件已过期，请重新上传"))
            errors, error_count = importer.run(job.file_path, kind), importer.error_count
            passed = ImportStatus.CHECKED if job.dry_run else ImportStatus.DONE
            status = ImportStatus.FAILED if error_count else passed
        except ImportFileError as e:
            errors, error_count, status = [{"row": None, "column": "", "message": str(e)}], 1, ImportStatus.FAILED
        except Exception:
            logger.exception("import job %s failed", job.pk)
            errors = [{"row": None, "column": "",
                       "message": _("导入时发生意外错误，未写入任何数据。请稍后重试，或联系管理员。")}]
            error_count, status = 1, ImportStatus.ERROR
        finally:
            progress.close()
        job.status = status
        job.errors = errors
        job.error_count = error_count
        job.rows_done = importer.rows_read
        if importer.rows_read:
            job.rows_total = importer.rows_read
        if status in (ImportStatus.CHECKED, ImportStatus.DONE):
            for key in COUNT_KEYS:
                setattr(job, key, importer.counts[key])
        else:
            job.households_created = job.households_updated = job.residents_created = job.residents_updated = 0
        job.finished_at = timezone.now()
        if status != ImportStatus.CHECKED and job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
            job.file_path = ""
        job.save()
        progress.discard()
        if job.dry_run:
            # Checking a file reads every resident in it: who checked which file is recorded like an import.
            checked = status == ImportStatus.CHECKED
            audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
                  object_repr=job.file_name, success=checked,
                  changes={"file": job.file_name, "dry_run": True, "rows": importer.rows_seen, "errors": error_count,
                           "error_rows": importer.error_rows,
                           **({k: importer.counts[k] for k in COUNT_KEYS} if checked else {})},
                  detail=_("试运行检查通过，未写入数据") if checked else _("试运行发现错误，未写入数据"))
        elif status != ImportStatus.DONE:
            audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
                  object_repr=job.file_name, success=False,
                  changes={"file": job.file_name, "errors": error_count}, detail=_("导入未完成，未写入任何数据"))
    return status



# ---- runs whose worker died ---------------------------------------------------------------------


def stale_after():
    """How long a running job may show no progress before it counts as interrupted (settings.IMPORT_STALE_MINUTES)."""
    return datetime.timedelta(minutes=max(1, int(getattr(settings, "IMPORT_STALE_MINUTES", 10))))


def last_sign_of_life(job):
    """When a running job last showed progress: its progress file's time (see ProgressChannel).

    Without the file (the run never started writing it), when the job was created.
    """
    try:
        mtime = progress_file(job.pk).stat().st_mtime
    except OSError:
        return job.created_at
    return datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc)


def fail_stale(jobs=None, now=None):
    """Mark running jobs without progress for stale_after() as interrupted; returns the ids marked.

    A worker that crashed or was killed mid-run leaves its job "running" for
    ever. Its data is safe: the whole run is one transaction, which the
    database rolled back when the worker's connection went. So the job is
    ended with that said, its files removed, and the end audited. Called where
    jobs are shown (the import page, a job's page and the API), and by the
    `import_fail_stale` command.
    """
    now = now or timezone.now()
    limit = stale_after()
    qs = (ImportJob.objects.all() if jobs is None else jobs).filter(status=ImportStatus.RUNNING)
    marked = []
    for job in qs.select_related("user").order_by("id"):
        if now - last_sign_of_life(job) < limit:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            message = _("导入已中断：处理程序超过%(minutes)d分钟没有进展（可能已停止运行），未写入任何数据。请重新上传文件。") % {
                "minutes": int(limit.total_seconds() // 60)}
            detail = _("导入中断，已标记为失败，未写入任何数据")
        rows_done = live_rows_done(job)
        # Only while it is still running: a worker that finishes meanwhile keeps its own outcome.
        changed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.ERROR, errors=[{"row": None, "column": "", "message": message}], error_count=1,
            finished_at=now,
            file_path="", households_created=0, households_updated=0, residents_created=0, residents_updated=0)
        if not changed:
            continue
        if job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
        progress_file(job.pk).unlink(missing_ok=True)
        audit(AuditAction.IMPORT, user=job.user, object_type=ImportJob._meta.label_lower, object_id=str(job.pk),
              object_repr=job.file_name, success=False,
              changes={"file": job.file_name, "dry_run": job.dry_run, "rows_done": rows_done,
                       "stale_minutes": int(limit.total_seconds() // 60)}, detail=detail)
        marked.append(job.pk)
    return marked


# ---- a job's errors, as pages show them -----------------------------------------------------------


def error_lines(job):
    """'第12行 身份证号：身份证号校验位错误' for each error kept, then how many more were found."""
    out = []
    for e in job.errors:
        if e.get("row"):
            out.append(_("第%(row)s行 %(column)s：%(message)s") % e)
        else:
            out.append(e["message"])
    if errors_not_kept(job):
        out.append(errors_not_kept_message(job))
    return out


def errors_not_kept(job):
    return max(0, job.error_count - len(job.errors))


def errors_not_kept_message(job):
    return _("另有%(n)s处错误未列出（只列出前%(kept)s处）。请先改正以上错误，再重新上传检查。") % {
        "n": errors_not_kept(job), "kept": len(job.errors)}
