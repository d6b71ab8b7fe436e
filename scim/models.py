"""SCIM provisioning: the organisation's tokens, its setting, and the link between the directory's
users and groups and our people and teams.

The directory's ids and the attributes it sent live here, not on ``Person``/``Team``: those belong
to the product, these to one integration, and an organisation without SCIM never sees them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


class ScimToken(TenantModel):
    """A bearer token the organisation's directory (Entra ID, Okta) provisions with. The secret is
    shown once; only its SHA-256 is kept. It belongs to the organisation, not to a person: it keeps
    working when its creator leaves, until an admin revokes it."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64)
    # The audit trail names the creator as the actor of every write made with the token, and the
    # services below need an account to act as; such an account is not deleted while its token
    # exists (revoke and delete the token first).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation", "token_hash"], name="scimtoken_uniq"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimSettings(TenantModel):
    """The organisation's SCIM options (one row, created on first save)."""

    # Entra and Okta send the enterprise extension's ``department``; some organisations keep
    # their teams by hand and do not want the directory to create any.
    department_to_team = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation"], name="scimsettings_org_uniq"),
        ]

    def __str__(self) -> str:
        return f"SCIM settings of {self.organisation_id}"


class ScimUser(TenantModel):
    """A directory user: its SCIM id is this row's id. ``attributes`` keeps what the directory
    sent (name parts, emails, department, manager) so a GET returns it as it was written."""

    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="+")
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # DELETE only deactivates the membership; the SCIM resource is then gone (404) as RFC 7644
    # §3.6 requires, and the person with every rating stays.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                "organisation",
                Lower("user_name"),
                condition=models.Q(deleted_at__isnull=True),
                name="scimuser_org_username_uniq",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "external_id"], name="scimuser_ext_idx")]

    def __str__(self) -> str:
        return self.user_name

    def attribute(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)


class ScimGroup(TenantModel):
    """A directory group, linked to the team of the same name."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation", "team"], name="scimgroup_team_uniq"),
        ]

    def __str__(self) -> str:
        return f"SCIM group {self.pk}"
