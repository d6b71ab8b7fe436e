"""The core's Celery task: run one background job. Thin, ids in, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from skillsmap.core.jobs import job_run


# The name predates the move from reports: queued messages and workers keep using it.
@shared_task(name="reports.tasks.run_job", acks_late=True)
def run_job(*, organisation_id: int, job_id: int) -> None:
    job_run(organisation_id=organisation_id, job_id=job_id)
