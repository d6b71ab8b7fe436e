"""Starting a background job: record it, and hand it to a worker once the transaction commits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from skillsmap.core.models import Job
from skillsmap.core.tasks import run_job
from skillsmap.core.tenancy import organisation_context

if TYPE_CHECKING:
    # The stubs' alias for settings.AUTH_USER_MODEL: the core names no domain app's model.
    from django.contrib.auth.models import _User

logger = logging.getLogger(__name__)


@transaction.atomic
def job_start(
    *,
    organisation: models.Model,
    kind: Job.Kind,
    by: _User,
    filename: str,
    payload: bytes = b"",
    params: dict[str, Any] | None = None,
) -> Job:
    """Record the job and enqueue it once this transaction commits."""
    job = Job.objects.create(  # type: ignore[misc]  # organisation is an accounts.Organisation, a type the core may not import
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
