"""SAML 2.0 for an organisation's ``IdentityProvider``: its stored metadata parsed and turned into
the settings of allauth's ``saml`` provider app. (Interface agreed between the SSO parts; the SAML
part fills it in.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sso.models import IdentityProvider


@dataclass(frozen=True)
class SamlMetadata:
    """What the product needs from an identity provider's metadata XML."""

    entity_id: str
    sso_url: str
    x509_certs: tuple[str, ...]


def saml_metadata_parse(xml: str) -> SamlMetadata:
    """Parse and check pasted, uploaded or fetched IdP metadata; raises ``ServiceError`` with a
    clear message when it is not usable (not XML, no IdP descriptor, no signing certificate)."""
    raise NotImplementedError


def saml_app_settings(provider: IdentityProvider) -> dict[str, Any]:
    """The ``SocialApp.settings`` of allauth's ``saml`` provider for this organisation, built from
    the stored metadata only (never fetched during a sign-in), with the attribute mapping."""
    raise NotImplementedError
