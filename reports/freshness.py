"""Change signalling: a change of inputs bumps the organisation's ``inputs_version`` and, once
its transaction commits, enqueues at most one recomputation per organisation every few seconds (a
burst of 500 ratings is a handful of tasks, not 500). If the broker is down the bump is still
committed, so the periodic dispatcher finds the organisation behind and catches up."""

from __future__ import annotations

import contextlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from accounts.models import Organisation
from reports import tasks
from skillsmap.core.tenancy import tenant_cache_key

logger = logging.getLogger(__name__)


# A burst of changes within this window shares one recomputation.
DEBOUNCE_SECONDS = 5


def inputs_changed(*, organisation: Organisation) -> None:
    """Record that ratings, requirements, assignments or teams changed; schedule a recompute."""
    Organisation.objects.filter(pk=organisation.pk).update(inputs_version=F("inputs_version") + 1)
    transaction.on_commit(lambda: recompute_enqueue(organisation_id=organisation.pk))


def recompute_enqueue(*, organisation_id: int, countdown: int = DEBOUNCE_SECONDS) -> bool:
    """Enqueue one recomputation unless one was enqueued in the last few seconds. Returns whether it
    enqueued. Never raises: it runs in ``on_commit``, after the change is saved, so an exception
    here would show the user an error page for a change that was in fact recorded. With Redis (cache
    and broker) down the committed ``inputs_version`` bump is the pending marker, and the periodic
    dispatcher catches up."""
    queued = tenant_cache_key(organisation_id, "recompute", "queued")
    try:
        # In-process tasks (make demo, tests) run at once, so there is no queued task for a later
        # change to join: debouncing would leave that change's results stale.
        eager = tasks.recompute_organisation_task.app.conf.task_always_eager
        if not eager and not cache.add(queued, 1, DEBOUNCE_SECONDS):
            return False
        # No publish retries: the caller is a web request, and the dispatcher is the retry.
        tasks.recompute_organisation_task.apply_async(
            kwargs={"organisation_id": organisation_id}, countdown=countdown, retry=False
        )
    except Exception:
        logger.warning(
            "could not enqueue recompute for organisation %s; the dispatcher will catch up",
            organisation_id,
            exc_info=True,
        )
        # The cache may be as unreachable as the broker; the marker expires by itself anyway.
        with contextlib.suppress(Exception):
            cache.delete(queued)
        return False
    return True
