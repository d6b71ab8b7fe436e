"""An organisation's own identity provider (#15): SAML 2.0 or OpenID Connect, one per organisation.

allauth's ``saml`` and ``openid_connect`` providers sign people in; the apps they need are built
from this row by ``sso.adapter`` (never stored as allauth ``SocialApp`` rows, which know no
organisation and escape row-level security). A SAML metadata URL is fetched by a Celery task and
the result kept in ``saml_metadata_xml``: nothing is fetched during a sign-in. The OIDC client
secret is kept encrypted with a key from the environment (``sso.crypto``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


class Protocol(models.TextChoices):
    SAML = "saml", "SAML 2.0"
    OIDC = "oidc", "OpenID Connect"


class IdentityProvider(TenantModel):
    protocol = models.CharField(max_length=8, choices=Protocol.choices)
    # Off until the admin has tested it: a half-configured provider must not take sign-ins.
    is_enabled = models.BooleanField(default=False)

    # SAML: the identity provider's metadata, pasted, uploaded or fetched from the URL.
    saml_metadata_xml = models.TextField(blank=True)
    saml_metadata_url = models.URLField(max_length=500, blank=True)
    saml_metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    saml_metadata_error = models.CharField(max_length=500, blank=True)

    # OpenID Connect: discovery at ``<issuer>/.well-known/openid-configuration``.
    oidc_issuer = models.URLField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=255, blank=True)
    oidc_client_secret_encrypted = models.TextField(blank=True)

    # Where each of our fields comes from in the assertion (SAML attribute names or OIDC claims).
    attribute_email = models.CharField(max_length=255, default="email")
    attribute_name = models.CharField(max_length=255, default="name", blank=True)
    attribute_title = models.CharField(max_length=255, default="title", blank=True)
    attribute_team = models.CharField(max_length=255, blank=True)

    # Members on the organisation's verified domains may not use a password (break-glass aside).
    sso_required = models.BooleanField(default=False)
    # The identity provider enforces MFA, so an SSO sign-in is not asked for TOTP again.
    trust_idp_mfa = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation"], name="sso_one_provider_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} for organisation {self.organisation_id}"
