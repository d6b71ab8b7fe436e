"""Reads of the SSO domain.

Two reads happen before anyone has signed in, so they cannot start from a membership: the provider
behind a sign-in URL (by the organisation's slug, which the URL carries) and the provider behind an
email address (by its domain, verified by exactly one organisation). Each resolves the organisation
first, through a narrow lookup that returns one id and nothing else, and then reads the provider
inside that organisation's context, so the tenant walls still hold for the provider row itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from domains import selectors as domain_selectors
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider


@dataclass(frozen=True)
class SignInRoute:
    """Where an email address signs in: its organisation and that organisation's provider."""

    organisation: Organisation
    provider: IdentityProvider


def identity_provider_get(*, organisation: Organisation) -> IdentityProvider | None:
    return IdentityProvider.objects.filter(organisation=organisation).first()


def _enabled_provider(organisation: Organisation) -> IdentityProvider | None:
    with organisation_context(organisation):
        return IdentityProvider.objects.filter(organisation=organisation, is_enabled=True).first()


def sign_in_route_for_slug(*, slug: str) -> SignInRoute | None:
    """The enabled provider of the organisation a sign-in URL names (``/accounts/oidc/org-<slug>/``
    or ``/accounts/saml/<slug>/``), or None. The slug is public (it is in every URL of the
    organisation), so this tells an anonymous caller nothing a 404 would not."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        return None
    provider = _enabled_provider(organisation)
    return SignInRoute(organisation, provider) if provider else None


def sign_in_route_for_email(*, email: str) -> SignInRoute | None:
    """The organisation that verified this address's domain, if it signs in through an enabled
    provider; else None (the address signs in with a password)."""
    domain = domain_selectors.email_domain(email)
    if domain is None:
        return None
    organisation_id = domain_selectors.verified_domain_organisation_id(domain=domain)
    if organisation_id is None:
        return None
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return None
    provider = _enabled_provider(organisation)
    return SignInRoute(organisation, provider) if provider else None


def membership_is_active_admin(*, organisation: Organisation, user: User) -> bool:
    """Whether the user is an active admin here: who may use the break-glass password path."""
    return Membership.objects.filter(
        organisation=organisation, user=user, role=Role.ADMIN, is_active=True
    ).exists()
