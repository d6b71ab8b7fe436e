"""Running imports and exports as background jobs: the runner.

Each domain app registers the handler of its ``Job.Kind`` explicitly, from its ``AppConfig.ready``
(``register_job_handler``): a function ``handler(*, job: Job, progress: Progress) -> dict`` that
returns the summary. It runs inside the job's organisation context and one transaction: if it
raises ``JobRowErrors`` nothing it wrote stays, and the rows' messages are stored on the job.
Starting a job is ``skillsmap.core.jobqueue.job_start``; the Celery task is ``tasks.run_job``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context, tenant_cache_key

logger = logging.getLogger(__name__)


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
Handler = Callable[..., dict[str, Any]]

_HANDLERS: dict[str, Handler] = {}


def register_job_handler(kind: str, handler: Handler) -> None:
    """Called once per kind by the app that owns it (teams, skills, reports)."""
    if _HANDLERS.get(kind, handler) is not handler:
        raise ValueError(f"A handler for {kind!r} is registered already.")
    _HANDLERS[kind] = handler


def _progress_key(job: Job) -> str:
    return tenant_cache_key(job.organisation_id, "job", job.pk, "progress")


def job_progress(*, job: Job) -> tuple[int, int]:
    """(processed, total) while running, from the cache; from the row once finished."""
    if job.is_finished:
        return job.processed, job.total
    return cache.get(_progress_key(job), (job.processed, job.total))


def job_run(*, organisation_id: int, job_id: int) -> None:
    """Run a job once. Safe to call twice: a finished job is left alone."""
    with organisation_context(organisation_id):
        job = Job.objects.filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        job.status = Job.Status.RUNNING
        job.save(update_fields=["status"])
    handler = _HANDLERS[job.kind]

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


# --- A job's file (an export's report) -----------------------------------------------------------


class JobFileExpired(Exception):
    """The job's file was deleted by the retention task (or is missing from the storage)."""


def job_file_save(*, job: Job, name: str, content_type: str, data: bytes) -> None:
    """Write the job's file through the storage (``Job.file``: an organisation-scoped, random
    path) and name it on the row. Called last by a handler, so that a failure before it leaves
    no file behind."""
    job.file.save(name, ContentFile(data), save=False)
    Job.objects.filter(pk=job.pk).update(
        file=job.file.name, output_name=name, output_content_type=content_type
    )


def job_file_open(*, job: Job) -> File:
    """The job's file, open for reading (streamed by the caller). ``JobFileExpired`` when it was
    deleted, so the caller answers "expired" rather than a 500."""
    name = job.file.name
    if job.file_expired_at is not None or not name:
        raise JobFileExpired
    try:
        return job.file.storage.open(name, "rb")
    except FileNotFoundError as missing:  # deleted by a retention run whose row update was lost
        raise JobFileExpired from missing


def job_files_expire(*, organisation_id: int, older_than: datetime) -> int:
    """Delete the files of this organisation's jobs finished before ``older_than`` and mark them
    expired; the rows stay. Safe to run twice: a file already gone is skipped by the storage."""
    now = timezone.now()
    with organisation_context(organisation_id):
        jobs = list(
            Job.objects.filter(organisation_id=organisation_id, file_expired_at=None)
            .exclude(file="")
            .filter(Q(finished_at__lt=older_than) | Q(finished_at=None, created_at__lt=older_than))
            .only("pk", "organisation_id", "file")
        )
        for job in jobs:
            # The file first: if the update below is lost, the download still reads a missing
            # file as expired; the other way round would leave personal data past its time.
            if job.file.name:
                job.file.storage.delete(job.file.name)
            Job.objects.filter(pk=job.pk).update(file="", file_expired_at=now)
    return len(jobs)
