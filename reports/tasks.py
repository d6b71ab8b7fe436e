from celery import shared_task

from reports.jobs import job_run


@shared_task(acks_late=True)
def run_job(*, organisation_id: int, job_id: int) -> None:
    """Thin: ids in, the service does the work; a rerun of a finished job does nothing."""
    job_run(organisation_id=organisation_id, job_id=job_id)
