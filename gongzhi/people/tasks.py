"""Background work of the people app, run by the django-tasks worker."""
from django_tasks import task

from .imports import jobs


@task()
def run_import(job_id: int):
    """Check (dry run) or import the file of one ImportJob; the outcome is recorded on the job."""
    status = jobs.import_run(job_id)
    return str(status) if status else None
