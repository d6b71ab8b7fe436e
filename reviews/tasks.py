"""Celery tasks of review campaigns: thin, ids in, safe to run twice or late (each reminder step
goes once per participant, and a campaign closes once).

Beat runs ``campaign_reminders_send`` daily (``CELERY_BEAT_SCHEDULE["campaign-reminders"]``); it
hands each organisation to a task of its own, since row-level security lets a query see one
organisation at a time.
"""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organisation
from reviews.models import Campaign
from reviews.services import campaign_invitations_send_batch, campaigns_daily
from skillsmap.core.tenancy import organisation_context

# Spread the organisations over this many seconds so they do not all start at once.
DISPATCH_SPREAD_SECONDS = 600


@shared_task(name="reviews.tasks.campaigns_daily_send", acks_late=True)
def campaigns_daily_send(*, organisation_id: int) -> dict[str, int]:
    """One organisation's automatic closes and due reminders; returns how many of each."""
    with organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        run = campaigns_daily(organisation=organisation)
    return {"reminders": run.reminders, "closed": run.closed}


@shared_task(name="reviews.tasks.campaign_reminders_send", acks_late=True)
def campaign_reminders_send() -> int:
    """Daily (beat): every organisation's campaigns, one task per organisation."""
    ids = list(Organisation.objects.values_list("pk", flat=True))
    for index, organisation_id in enumerate(ids):
        campaigns_daily_send.apply_async(
            kwargs={"organisation_id": organisation_id},
            countdown=(index * DISPATCH_SPREAD_SECONDS) // max(len(ids), 1),
        )
    return len(ids)


@shared_task(name="reviews.tasks.campaign_invitations_send", acks_late=True)
def campaign_invitations_send(*, organisation_id: int, campaign_id: int, after: int = 0) -> int:
    """One batch of a launched campaign's asks, then the next batch as a task of its own;
    returns how far it got (the last person id asked, 0 when done)."""
    with organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        campaign = Campaign.objects.get(organisation=organisation, pk=campaign_id)
        last = campaign_invitations_send_batch(
            organisation=organisation, campaign=campaign, after=after
        )
    if last is not None:
        campaign_invitations_send.apply_async(
            kwargs={"organisation_id": organisation_id, "campaign_id": campaign_id, "after": last}
        )
    return last or 0
