"""The audit trail: every service that changes something a colleague would ask about calls this."""

from __future__ import annotations

from typing import Any

from django.db import models

from accounts.models import AuditEvent, Organisation, User


def audit_record(
    *,
    organisation: Organisation,
    actor: User | None,
    verb: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=before,
        after=after,
    )
