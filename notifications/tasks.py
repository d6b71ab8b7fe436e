"""Sending notification emails, and the sweep that picks up any left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import Organisation
from notifications.emails import RETRYABLE, notification_email_deliver
from notifications.selectors import notification_email_due_ids

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=RETRYABLE,
    # 30 s, 60 s, 120 s, ... capped at 30 minutes, jittered so that a mail server coming back
    # is not hit by every queued email at once.
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=max(settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS - 1, 0),
)
def notification_email_send(self: Task, *, organisation_id: int, notification_id: int) -> str:
    delivery = notification_email_deliver(
        organisation_id=organisation_id, notification_id=notification_id
    )
    if delivery.error is not None and delivery.retry:
        if self.request.is_eager:
            # Embedded mode (no broker: the demo, tests) runs this inside the request that
            # committed the notification; retrying here would make that request wait through the
            # backoff. The failure is recorded and the sweep tries again.
            return str(delivery.state)
        raise delivery.error  # autoretry_for schedules the next attempt with backoff
    return str(delivery.state)


@shared_task(acks_late=True)
def notification_email_sweep() -> int:
    """Every few minutes: enqueue the emails still pending (their enqueue after commit was lost:
    the broker was down, a worker died with the message) or failed with attempts left (their
    retries were lost, or there is no worker to retry them: embedded mode). One organisation at
    a time, as row-level security lets a query see only one. Sending twice is prevented by
    ``notification_email_deliver``, so overlapping with a retry still in flight is harmless."""
    now = timezone.now()
    # Old enough that the email's own enqueue, or its task's own retries (backoff capped at 30
    # minutes), would have run by now.
    pending_before = now - timedelta(seconds=settings.NOTIFICATION_EMAIL_SWEEP_AFTER_SECONDS)
    failed_before = now - timedelta(seconds=settings.NOTIFICATION_EMAIL_RETRY_AFTER_SECONDS)
    queued = 0
    for organisation_id in Organisation.objects.values_list("pk", flat=True):
        for notification_id in notification_email_due_ids(
            organisation_id=organisation_id,
            pending_before=pending_before,
            failed_before=failed_before,
            max_attempts=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
        ):
            try:
                notification_email_send.apply_async(
                    kwargs={"organisation_id": organisation_id, "notification_id": notification_id}
                )
            except Exception:  # the broker is down: the next sweep tries again
                logger.warning("could not queue notification email %s", notification_id)
                return queued
            queued += 1
    return queued
