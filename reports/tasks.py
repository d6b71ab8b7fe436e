"""Celery tasks: thin, ids in, safe to run twice (``acks_late``: a task whose worker died is run
again, and a rerun rebuilds the same rows)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import Organisation
from reports import recompute, snapshots
from skillsmap.core.jobs import job_files_expire

# Spread the dispatcher's organisations over this many seconds so they do not all start at once.
DISPATCH_SPREAD_SECONDS = 60


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def recompute_organisation_task(*, organisation_id: int, only_if_behind: bool = False) -> str:
    """Returns "computed", "current" (``only_if_behind`` and nothing lags) or "busy" (another run
    holds the organisation's lock)."""
    return recompute.recompute_organisation_outcome(
        organisation_id=organisation_id, only_if_behind=only_if_behind
    )


@shared_task(acks_late=True)
def dispatch_recomputes() -> int:
    """Periodic: recompute every organisation whose results lag its inputs (including changes whose
    own task was lost, e.g. while Redis was down)."""
    behind = recompute.organisations_behind()
    for index, organisation_id in enumerate(behind):
        recompute_organisation_task.apply_async(
            # A task of an earlier cycle may catch the organisation up before this one runs.
            kwargs={"organisation_id": organisation_id, "only_if_behind": True},
            countdown=(index * DISPATCH_SPREAD_SECONDS) // max(len(behind), 1),
        )
    return len(behind)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def snapshot_organisation_task(*, organisation_id: int) -> int:
    recompute.recompute_organisation(organisation_id=organisation_id)
    return snapshots.snapshot_take(organisation_id=organisation_id)


@shared_task(acks_late=True)
def dispatch_snapshots() -> int:
    """Nightly: the trend snapshot of every organisation, spread over an hour."""
    ids = list(Organisation.objects.values_list("pk", flat=True))
    for index, organisation_id in enumerate(ids):
        snapshot_organisation_task.apply_async(
            kwargs={"organisation_id": organisation_id},
            countdown=(index * 3600) // max(len(ids), 1),
        )
    return len(ids)


@shared_task(acks_late=True)
def expire_export_files() -> int:
    """Hourly: delete the export files older than ``EXPORT_RETENTION_DAYS`` (the jobs stay, marked
    expired). One organisation at a time, as row-level security lets a query see only one."""
    older_than = timezone.now() - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    return sum(
        job_files_expire(organisation_id=organisation_id, older_than=older_than)
        for organisation_id in Organisation.objects.values_list("pk", flat=True)
    )
