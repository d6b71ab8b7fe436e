"""Email domains an organisation claims and proves it controls with a DNS TXT record.

A verified domain is what lets an organisation's identity provider sign people in (``sso``): its
provider may only assert addresses of the organisation's own verified domains. So a name is
verified by one organisation at most, and the database enforces it (a partial unique index on
``name`` over the verified rows), because two admins verifying at once must not both win.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel

# The TXT record lives on a dedicated label, so proving control never touches the apex's own TXT
# records (SPF, other vendors' proofs).
CHALLENGE_LABEL = "_skillsmap-challenge"
CHALLENGE_PREFIX = "skillsmap-domain-verification="


def new_token() -> str:
    # 32 random bytes, URL-safe: fits a TXT string (255 max) with the prefix and is unguessable.
    return secrets.token_urlsafe(32)


class Domain(TenantModel):
    name = models.CharField(
        max_length=253, help_text="Lower-case ASCII (IDNA) hostname, e.g. acme.example."
    )
    token = models.CharField(max_length=64, default=new_token)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation", "name"], name="domain_org_name_uniq"),
        ]
        # One organisation only may hold a name as verified; others may still claim it (pending),
        # which reveals nothing and lets the rightful owner prove it later. That index,
        # ``domain_verified_uniq`` (UNIQUE (name) WHERE verified_at IS NOT NULL), spans
        # organisations on purpose, which the tenant models' system check (core.E002) refuses in
        # ``Meta``; so migration 0001 creates it in SQL (SQLite and PostgreSQL both have partial
        # indexes) and tests/domains proves it holds.
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def record_name(self) -> str:
        """Where the TXT record goes."""
        return f"{CHALLENGE_LABEL}.{self.name}"

    @property
    def record_value(self) -> str:
        """What the TXT record must say."""
        return f"{CHALLENGE_PREFIX}{self.token}"
