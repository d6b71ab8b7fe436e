"""Celery tasks of the digests (``reviews.digests``): thin, ids in, safe to run twice or late,
since each digest goes once per period (its dedupe key in ``notifications``).

Beat runs the dispatcher daily (``CELERY_BEAT_SCHEDULE["reminder-digests"]``): a weekly digest
then goes out on the first run of each week, and a run missed on Monday is made up on Tuesday.
"""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organisation
from reviews.digests import digests_send
from skillsmap.core.tenancy import organisation_context

# Spread the organisations over this many seconds so they do not all start at once.
DISPATCH_SPREAD_SECONDS = 600


@shared_task(name="reviews.tasks_digest.send_digests", acks_late=True)
def send_digests(*, organisation_id: int) -> dict[str, int]:
    """One organisation's digests of this period; returns how many of each went out."""
    with organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        sent = digests_send(organisation=organisation)
    return {"stale": sent.stale, "validation": sent.validation}


@shared_task(name="reviews.tasks_digest.dispatch_digests", acks_late=True)
def dispatch_digests() -> int:
    """Daily (beat): each organisation's digests, one task per organisation, since row-level
    security lets a query see one organisation at a time, and never two at once."""
    ids = list(Organisation.objects.values_list("pk", flat=True))
    for index, organisation_id in enumerate(ids):
        send_digests.apply_async(
            kwargs={"organisation_id": organisation_id},
            countdown=(index * DISPATCH_SPREAD_SECONDS) // max(len(ids), 1),
        )
    return len(ids)
