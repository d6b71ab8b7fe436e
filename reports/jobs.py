"""Running imports and exports as background jobs.

A handler is registered per ``Job.Kind`` as a dotted path to a function
``handler(*, job: Job, progress: Progress) -> dict`` that returns the summary. It runs inside the
job's organisation context and one transaction: if it raises ``JobRowErrors`` nothing it wrote
stays, and the rows' messages are stored on the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Organisation, User
from accounts.tenancy import organisation_context, tenant_cache_key
from reports.models import Job

logger = logging.getLogger(__name__)

HANDLERS: dict[str, str] = {
    Job.Kind.PEOPLE_IMPORT: "teams.imports.people_import_handler",
    Job.Kind.RATINGS_IMPORT: "skills.imports.ratings_import_handler",
    Job.Kind.GAP_EXPORT: "reports.exports.gap_export_handler",
}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


class JobRowErrors(Exception):
    """Raised by a handler when any row is bad: the whole job writes nothing."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows have errors")
        self.errors = errors


Progress = Callable[[int, int], None]


def _progress_key(job: Job) -> str:
    return tenant_cache_key(job.organisation_id, "job", job.pk, "progress")


def job_progress(*, job: Job) -> tuple[int, int]:
    """(processed, total) while running, from the cache; from the row once finished."""
    if job.is_finished:
        return job.processed, job.total
    return cache.get(_progress_key(job), (job.processed, job.total))


@transaction.atomic
def job_start(
    *,
    organisation: Organisation,
    kind: Job.Kind,
    by: User,
    filename: str,
    payload: bytes = b"",
    params: dict[str, Any] | None = None,
) -> Job:
    """Record the job and enqueue it once this transaction commits."""
    job = Job.objects.create(
        organisation=organisation,
        kind=kind,
        created_by=by,
        filename=filename,
        payload=payload,
        params=params or {},
    )
    transaction.on_commit(lambda: job_enqueue(organisation_id=organisation.pk, job_id=job.pk))
    return job


NOT_QUEUED = (
    "The job could not be started: background processing is unavailable right now. "
    "Nothing was changed; please try again in a few minutes."
)


def job_enqueue(*, organisation_id: int, job_id: int) -> bool:
    """Hand a saved job to a worker. Runs after commit, so it never raises: with the broker down
    the job is marked failed with a message the user reads on its page, instead of a 500 for a
    request whose job was saved and a job left waiting forever."""
    from reports.tasks import run_job

    try:
        # No publish retries: the caller is a web request waiting for its response.
        run_job.apply_async(
            kwargs={"organisation_id": organisation_id, "job_id": job_id}, retry=False
        )
    except Exception:
        logger.warning("could not queue job %s", job_id, exc_info=True)
        with organisation_context(organisation_id):
            Job.objects.filter(
                organisation_id=organisation_id, pk=job_id, status=Job.Status.PENDING
            ).update(
                status=Job.Status.FAILED,
                errors=[{"line": 0, "message": NOT_QUEUED}],
                finished_at=timezone.now(),
                payload=b"",
            )
        return False
    return True


def job_run(*, organisation_id: int, job_id: int) -> None:
    """Run a job once. Safe to call twice: a finished job is left alone."""
    with organisation_context(organisation_id):
        job = Job.objects.filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        job.status = Job.Status.RUNNING
        job.save(update_fields=["status"])
    handler = import_string(HANDLERS[job.kind])

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job), (done, total), timeout=3600)

    status, errors, summary = Job.Status.SUCCEEDED, [], {}
    try:
        with organisation_context(organisation_id):
            summary = handler(job=job, progress=progress)
    except JobRowErrors as failure:
        status, errors = Job.Status.FAILED, [e.as_dict() for e in failure.errors]
    except Exception:
        logger.exception("job %s failed", job_id)
        status = Job.Status.FAILED
        errors = [{"line": 0, "message": "The job failed unexpectedly; nothing was written."}]
    with organisation_context(organisation_id):
        done, total = cache.get(_progress_key(job), (0, 0))
        Job.objects.filter(pk=job.pk).update(
            status=status,
            errors=errors,
            summary=summary,
            processed=done,
            total=total,
            finished_at=timezone.now(),
            payload=b"",  # the upload is not kept once handled
        )
    cache.delete(_progress_key(job))
