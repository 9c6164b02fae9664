"""Import and export over JSON.

POST /imports (multipart: file, dry_run) starts a job; GET /imports/{id}
reports its status, progress, counts and the bad rows (the first
IMPORT_MAX_ERRORS of them; error_count counts them all); POST
/imports/{id}/confirm runs the real import of a checked file. A job is
visible only to the user who created it (and superusers). The exports return
the file in the import template.
"""
import datetime

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from gongzhi.api.base import ErrorOut, validation_payload

from . import exports
from .imports import jobs

router = Router()


class ImportCountsOut(Schema):  # not CountsOut: the grid's schema has that name in the OpenAPI document
    households_created: int
    households_updated: int
    residents_created: int
    residents_updated: int


class ProgressOut(Schema):
    rows_done: int
    rows_total: int
    percent: int


class RowErrorOut(Schema):
    row: int | None = None
    column: str = ""
    message: str


class ImportJobOut(Schema):
    id: int
    file_name: str
    dry_run: bool
    status: str
    status_display: str
    progress: ProgressOut
    counts: ImportCountsOut
    error_count: int
    errors: list[RowErrorOut]
    errors_not_listed: int  # error_count less the errors listed (the job keeps the first IMPORT_MAX_ERRORS)
    created_at: datetime.datetime
    finished_at: datetime.datetime | None = None


def _out(job):
    done, total, percent = jobs.live_progress(job)
    return {
        "id": job.pk, "file_name": job.file_name, "dry_run": job.dry_run, "status": job.status,
        "status_display": job.get_status_display(),
        "progress": {"rows_done": done, "rows_total": total, "percent": percent},
        "counts": {"households_created": job.households_created, "households_updated": job.households_updated,
                   "residents_created": job.residents_created, "residents_updated": job.residents_updated},
        "error_count": job.error_count, "errors": job.errors, "errors_not_listed": jobs.errors_not_kept(job),
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


@router.post("/imports", response={201: ImportJobOut, 400: ErrorOut, 404: ErrorOut},
             summary="Upload a households/residents file (.xlsx or .csv) and check it (dry_run) or import it")
def import_create(request, file: File[UploadedFile], dry_run: Form[bool] = True):
    job = jobs.import_start(user=request.auth, upload=file, dry_run=dry_run)
    return Status(201, _out(job))


@router.get("/imports/{int:job_id}", response={200: ImportJobOut, 404: ErrorOut},
            summary="An import job: status, progress, counts and its bad rows (the first IMPORT_MAX_ERRORS)")
def import_detail(request, job_id: int):
    return _out(jobs.job_for(request.auth, job_id))


@router.post("/imports/{int:job_id}/confirm", response={200: ImportJobOut, 404: ErrorOut, 409: ErrorOut},
             summary="Import for real a file whose dry run passed")
def import_confirm(request, job_id: int):
    job = jobs.job_for(request.auth, job_id)
    try:
        job = jobs.import_confirm(user=request.auth, job=job)
    except ValidationError as e:
        return Status(409, validation_payload(e))
    return _out(job)


@router.get("/exports/residents.xlsx", summary="Households and residents in the import template (.xlsx)",
            response={200: None, 404: ErrorOut})
def export_xlsx(request, compound: int | None = None):
    return exports.export_response(user=request.auth, fmt="xlsx", compound_id=compound, request=request)


@router.get("/exports/residents.csv", summary="Households and residents in the import template (.csv, UTF-8)",
            response={200: None, 404: ErrorOut})
def export_csv(request, compound: int | None = None):
    return exports.export_response(user=request.auth, fmt="csv", compound_id=compound, request=request)
