"""Background work of core (django-tasks; the worker is ``mujun db_worker``)."""

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    """Import one uploaded file; the job records progress, counts or problems."""
    from mujun.core.models import ImportJob
    from mujun.core.services import execute_import

    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:  # deleted before the worker came to it: nothing to do
        return "deleted"
    return execute_import(job).status
