"""Import and export pages: they parse input, call imports/exports, and render."""
import csv
import io
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, deny, require, scoped
from .capability import EXPORT, IMPORT
from gongzhi.grid.models import Compound

from . import exports
from .imports import jobs as import_jobs
from .imports.files import human_mb, max_bytes
from .imports.template import HEADERS, column_help
from .models import ImportJob, ImportStatus


def _no_session_refresh(view):
    """Pages polled while an import runs do not save the session.

    The progress fragment is fetched every second: that is not user activity,
    so it must not keep an idle session alive (the idle timeout is a security
    setting). And on SQLite the running import holds the database's only
    write lock, so saving the session would make the poll wait for the import
    to finish — progress would never be seen.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        session = getattr(request, "session", None)
        if session is not None:
            session.save = lambda *a, **kw: None  # SessionMiddleware calls this after the view
        return response

    return wrapped


def _require_import_or_export(user):
    if not (can(user, IMPORT) or can(user, EXPORT)):
        deny(user, IMPORT)
        raise Http404


def _page(request, *, error=None, status=200):
    user = request.user
    may_import = can(user, IMPORT)
    if may_import:
        import_jobs.fail_stale(ImportJob.objects.filter(user=user))
    jobs = ImportJob.objects.filter(user=user).order_by("-created_at")[:10] if may_import else []
    compounds = scoped(user, EXPORT, Compound.objects.select_related("community")).order_by("code") \
        if can(user, EXPORT) else []
    return render(request, "people/import.html", {
        "may_import": may_import, "may_export": can(user, EXPORT), "jobs": jobs, "compounds": compounds,
        "error": error, "headers": HEADERS, "columns": column_help(),
        "max_mb": human_mb(max_bytes()),
    }, status=status)


@login_required
@never_cache
def import_page(request):
    """GET: the upload form, recent jobs, template and export. POST: upload a file for a dry run."""
    _require_import_or_export(request.user)
    if request.method == "POST":
        require(request.user, IMPORT)
        upload = request.FILES.get("file")
        if upload is None:
            return _page(request, error=_("请选择要导入的文件"), status=400)
        try:
            job = import_jobs.import_start(user=request.user, upload=upload, dry_run=True)
        except ValidationError as e:
            return _page(request, error=" ".join(e.messages), status=400)
        return redirect("people:import_job", job.pk)
    return _page(request)


def _job_context(job):
    done, total, percent = import_jobs.live_progress(job)
    return {
        "job": job, "done": done, "total": total, "percent": percent,
        "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "errors": job.errors, "error_count": job.error_count,  # the job keeps at most IMPORT_MAX_ERRORS
        "errors_more": import_jobs.errors_not_kept_message(job) if import_jobs.errors_not_kept(job) else "",
        "file_error": len(job.errors) == 1 and not job.errors[0].get("row"),
    }


@login_required
@never_cache
@_no_session_refresh
def import_job(request, pk):
    job = import_jobs.job_for(request.user, pk)
    return render(request, "people/import_job.html", _job_context(job))


@login_required
@never_cache
@_no_session_refresh
def import_progress(request, pk):
    """The polled fragment: progress while running, then the outcome."""
    job = import_jobs.job_for(request.user, pk)
    return render(request, "people/import_job.html#status", _job_context(job))


@login_required
@require_POST
def import_confirm(request, pk):
    job = import_jobs.job_for(request.user, pk)
    try:
        import_jobs.import_confirm(user=request.user, job=job)
    except ValidationError as e:
        context = _job_context(job)
        context["confirm_error"] = " ".join(e.messages)
        return render(request, "people/import_job.html", context, status=409)
    return redirect("people:import_job", job.pk)


@login_required
@never_cache
def import_errors(request, pk):
    """The error report as CSV: the errors the job kept, and how many more were found."""
    job = import_jobs.job_for(request.user, pk)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([_("行号"), _("列"), _("原因")])
    for e in job.errors:
        writer.writerow([e.get("row") or "", exports.escape_cell(e.get("column") or ""),
                         exports.escape_cell(e.get("message") or "")])
    if import_jobs.errors_not_kept(job):
        writer.writerow(["", "", import_jobs.errors_not_kept_message(job)])
    response = HttpResponse(buf.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
def import_template(request):
    _require_import_or_export(request.user)
    fmt = request.GET.get("format", "xlsx")
    return exports.template_response("csv" if fmt == "csv" else "xlsx")


@login_required
@never_cache
def export(request):
    """/people/export/?format=xlsx|csv&compound=<id>: the user's households and residents in the template."""
    try:
        return exports.export_response(user=request.user, fmt=request.GET.get("format", "xlsx"),
                                       compound_id=request.GET.get("compound") or None, request=request)
    except ValidationError as e:
        return HttpResponse(" ".join(e.messages), status=400, content_type="text/plain; charset=utf-8")
