"""Celery tasks of certifications: thin, ids in, safe to run twice (each alert goes once: its
dedupe key in ``notifications``)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organisation
from certifications.alerts import expiry_alerts_send
from skillsmap.core.tenancy import organisation_context

# Spread the organisations over this many seconds so they do not all start at once.
DISPATCH_SPREAD_SECONDS = 600


@shared_task(name="certifications.tasks.send_expiry_alerts", acks_late=True)
def send_expiry_alerts(*, organisation_id: int) -> int:
    """One organisation's due alerts; returns how many notifications went out."""
    with organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        return expiry_alerts_send(organisation=organisation).notifications


@shared_task(name="certifications.tasks.dispatch_expiry_alerts", acks_late=True)
def dispatch_expiry_alerts() -> int:
    """Daily (beat): each organisation's expiry alerts, one task per organisation, since
    row-level security lets a query see one organisation at a time."""
    ids = list(Organisation.objects.values_list("pk", flat=True))
    for index, organisation_id in enumerate(ids):
        send_expiry_alerts.apply_async(
            kwargs={"organisation_id": organisation_id},
            countdown=(index * DISPATCH_SPREAD_SECONDS) // max(len(ids), 1),
        )
    return len(ids)
