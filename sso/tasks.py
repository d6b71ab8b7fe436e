"""Celery tasks of SSO: thin, ids in, safe to run twice (``acks_late``)."""

from __future__ import annotations

from celery import shared_task

from sso.metadata import saml_metadata_refresh, saml_metadata_url_organisations

# Spread the daily refresh of every organisation's metadata URL over this many seconds.
REFRESH_SPREAD_SECONDS = 3600


@shared_task(
    name="sso.tasks.saml_metadata_fetch", acks_late=True, soft_time_limit=60, time_limit=90
)
def saml_metadata_fetch(*, organisation_id: int) -> str:
    """Fetch and store the organisation's SAML metadata URL ("stored", "unchanged", "failed",
    "no-url"). Enqueued by the SSO configuration service on save (``transaction.on_commit``)."""
    return saml_metadata_refresh(organisation_id=organisation_id)


@shared_task(name="sso.tasks.saml_metadata_refresh_all", acks_late=True)
def saml_metadata_refresh_all() -> int:
    """Daily: fetch every configured metadata URL again, so that a rolled-over signing
    certificate reaches us before the old one stops being used."""
    ids = saml_metadata_url_organisations()
    for index, organisation_id in enumerate(ids):
        saml_metadata_fetch.apply_async(
            kwargs={"organisation_id": organisation_id},
            countdown=(index * REFRESH_SPREAD_SECONDS) // max(len(ids), 1),
        )
    return len(ids)
