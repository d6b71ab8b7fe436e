"""Writes of the SSO domain: the organisation's identity provider (configured by an admin) and the
accounts its sign-ins create just in time.

Every function runs inside ``organisation_context`` of the organisation it changes (the pages and
the API provide it; the sign-in adapter opens it once the provider's organisation is known), writes
an audit event and is atomic. The client secret never reaches an audit event or a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import hooks
from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from domains import selectors as domain_selectors
from skillsmap.core.errors import ServiceError
from sso import saml
from sso.crypto import secret_encrypt
from sso.models import IdentityProvider, Protocol
from sso.tasks import saml_metadata_fetch
from teams.models import Person, Team
from teams.services import person_update, team_member_add


class SignInRefused(ServiceError):
    """An SSO sign-in this product will not accept; the message is shown to the person."""


# What an admin sets; the audit events compare these (the secret appears only as "set" or not).
_AUDITED = (
    "protocol",
    "oidc_issuer",
    "oidc_client_id",
    "saml_metadata_url",
    "attribute_email",
    "attribute_name",
    "attribute_title",
    "attribute_team",
    "sso_required",
    "trust_idp_mfa",
)


def _snapshot(provider: IdentityProvider) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(provider, name) for name in _AUDITED}
    data["client_secret_set"] = bool(provider.oidc_client_secret_encrypted)
    data["saml_metadata_set"] = bool(provider.saml_metadata_xml)
    return data


@dataclass(frozen=True)
class ProviderSettings:
    """An admin's configuration, as the page's form or the API's input gives it.

    ``oidc_client_secret`` None keeps the stored secret (the form never shows it again);
    ``saml_metadata_xml`` None keeps the stored metadata."""

    protocol: str
    is_enabled: bool = False
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str | None = None
    saml_metadata_xml: str | None = None
    saml_metadata_url: str = ""
    attribute_email: str = "email"
    attribute_name: str = "name"
    attribute_title: str = "title"
    attribute_team: str = ""
    sso_required: bool = False
    trust_idp_mfa: bool = False


def _metadata_fetch_enqueue(organisation_id: int) -> None:
    transaction.on_commit(lambda: saml_metadata_fetch.delay(organisation_id=organisation_id))


def _check_saml_metadata(xml: str) -> None:
    try:
        saml.saml_metadata_parse(xml)
    except NotImplementedError as error:
        # The SAML part is not installed on this build: say so rather than store what nobody checked.
        raise ServiceError(
            {"saml_metadata_xml": "SAML metadata cannot be checked on this installation yet."}
        ) from error


def _apply(provider: IdentityProvider, data: ProviderSettings) -> bool:
    """Copy the settings onto the row; True when the metadata URL is new (to be fetched)."""
    url_changed = data.saml_metadata_url.strip() != provider.saml_metadata_url
    provider.protocol = data.protocol
    provider.oidc_issuer = data.oidc_issuer.strip().rstrip("/")
    provider.oidc_client_id = data.oidc_client_id.strip()
    if data.oidc_client_secret:
        provider.oidc_client_secret_encrypted = secret_encrypt(data.oidc_client_secret.strip())
    if data.saml_metadata_xml is not None and data.saml_metadata_xml.strip():
        _check_saml_metadata(data.saml_metadata_xml)
        provider.saml_metadata_xml = data.saml_metadata_xml.strip()
        provider.saml_metadata_error = ""
    provider.saml_metadata_url = data.saml_metadata_url.strip()
    if url_changed and provider.saml_metadata_url:
        provider.saml_metadata_fetched_at = None
    provider.attribute_email = data.attribute_email.strip() or "email"
    provider.attribute_name = data.attribute_name.strip()
    provider.attribute_title = data.attribute_title.strip()
    provider.attribute_team = data.attribute_team.strip()
    provider.sso_required = data.sso_required
    provider.trust_idp_mfa = data.trust_idp_mfa
    provider.is_enabled = data.is_enabled
    return url_changed and bool(provider.saml_metadata_url)


# A message, not a secret (ruff's S105 reads the name).
_MISSING_CLIENT_SECRET = "Enter the client secret the identity provider gave you."  # noqa: S105


def _check_complete(provider: IdentityProvider) -> None:
    """What a provider needs before it may take sign-ins (or be saved at all, for OIDC)."""
    errors: dict[str, str] = {}
    if provider.protocol == Protocol.OIDC:
        if not provider.oidc_issuer:
            errors["oidc_issuer"] = "Enter the identity provider's issuer URL."
        elif settings.SSO_REQUIRE_HTTPS and not provider.oidc_issuer.startswith("https://"):
            # The discovery document and the keys that vouch for every ID token come from the
            # issuer: over plain HTTP anyone on the path could swap them.
            errors["oidc_issuer"] = "The issuer URL must start with https://."
        if not provider.oidc_client_id:
            errors["oidc_client_id"] = "Enter the client id the identity provider gave you."
        if not provider.oidc_client_secret_encrypted:
            errors["oidc_client_secret"] = _MISSING_CLIENT_SECRET
    elif provider.protocol == Protocol.SAML:
        if not provider.saml_metadata_xml and not provider.saml_metadata_url:
            errors["saml_metadata_xml"] = "Paste or upload the metadata XML, or give its URL."
        elif provider.is_enabled and not provider.saml_metadata_xml:
            errors["is_enabled"] = (
                "The metadata has not been fetched from its URL yet; enable SSO once it has."
            )
    else:
        errors["protocol"] = "Choose SAML 2.0 or OpenID Connect."
    if errors:
        raise ServiceError(errors)


@transaction.atomic
def identity_provider_save(
    *, organisation: Organisation, by: User, data: ProviderSettings
) -> IdentityProvider:
    """Create or change the organisation's provider. Audited as ``sso.configured`` (first save),
    ``sso.updated`` (a change of settings) and ``sso.enabled`` / ``sso.disabled``."""
    provider = IdentityProvider.objects.filter(organisation=organisation).first()
    created = provider is None
    if provider is None:
        provider = IdentityProvider(organisation=organisation)
        before: dict[str, Any] = {}
        was_enabled = False
    else:
        before = _snapshot(provider)
        was_enabled = provider.is_enabled
    secret_replaced = bool(data.oidc_client_secret) and not created
    fetch = _apply(provider, data)
    _check_complete(provider)
    provider.updated_at, provider.updated_by = timezone.now(), by
    provider.save()
    after = _snapshot(provider)
    if created:
        audit_record(
            organisation=organisation, actor=by, verb="sso.configured", target=provider, after=after
        )
    else:
        changed = [k for k in after if before.get(k) != after.get(k)]
        if changed or secret_replaced:
            new = {k: after[k] for k in changed}
            if secret_replaced:
                new["client_secret"] = "replaced"  # noqa: S105  (that it changed; never the value)
            audit_record(
                organisation=organisation,
                actor=by,
                verb="sso.updated",
                target=provider,
                before={k: before.get(k) for k in changed},
                after=new,
            )
    enabled = provider.is_enabled
    if enabled != was_enabled:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="sso.enabled" if enabled else "sso.disabled",
            target=provider,
            before={"is_enabled": was_enabled},
            after={"is_enabled": enabled},
        )
    if fetch:
        _metadata_fetch_enqueue(organisation.pk)
    return provider


@transaction.atomic
def identity_provider_delete(*, organisation: Organisation, by: User) -> None:
    provider = IdentityProvider.objects.filter(organisation=organisation).first()
    if provider is None:
        raise ServiceError("This organisation has no identity provider.")
    audit_record(
        organisation=organisation,
        actor=by,
        verb="sso.removed",
        target=provider,
        before=_snapshot(provider),
    )
    provider.delete()


# --- Sign-ins ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SsoSignIn:
    user: User
    membership: Membership
    user_created: bool


def _mark_email_verified(user: User, email: str) -> None:
    """The provider asserted this address on a domain the organisation proved it controls."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(
            user=user,
            email=email,
            verified=True,
            primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def _update_person(
    *, organisation: Organisation, user: User, name: str, title: str
) -> Person | None:
    person = Person.objects.filter(organisation=organisation, user=user).first()
    if person is None:
        return None
    new_name = name.strip() or person.name
    new_title = title.strip() or person.job_title
    if (new_name, new_title) == (person.name, person.job_title):
        return person
    return person_update(
        person=person,
        by=user,
        name=new_name,
        email=person.email,
        job_title=new_title,
        manager=person.manager,
        location=person.location,
        start_date=person.start_date,
        is_active=person.is_active,
    )


def _join_team(*, organisation: Organisation, user: User, team_name: str) -> None:
    """The asserted team (mapped attribute), when the organisation has a team of that name: the
    person is added to it. Teams are never created from an assertion (a typo in the directory
    would make one) and never left: the organisation's own team edits and SCIM decide those."""
    if not team_name.strip():
        return
    team = Team.objects.filter(organisation=organisation, name__iexact=team_name.strip()).first()
    person = Person.objects.filter(organisation=organisation, user=user).first()
    if team is not None and person is not None:
        team_member_add(team=team, person=person, by=user)


@transaction.atomic
def sso_sign_in(
    *,
    organisation: Organisation,
    provider: IdentityProvider,
    email: str,
    name: str = "",
    title: str = "",
    team: str = "",
    linked_user: User | None = None,
) -> SsoSignIn:
    """Accept one SSO sign-in of ``organisation``'s provider: the user (created just in time on the
    first sign-in), their membership (a ``member`` one on the first), their person kept current.

    Raises ``SignInRefused``, writing nothing, when the asserted address is not on a domain this
    organisation verified: an organisation's admin controls its identity provider and could make
    it assert anyone's address, so it is believed for the organisation's own domains only."""
    email = email.strip().lower()
    if not provider.is_enabled or provider.organisation_id != organisation.pk:
        raise SignInRefused("Single sign-on is not available for this organisation.")
    if not email or not domain_selectors.email_domain_verified(
        organisation=organisation, email=email
    ):
        raise SignInRefused(
            f"{organisation.name}'s identity provider signed you in as "
            f"{email or 'an account without an email address'}, which is not on a domain "
            f"{organisation.name} has verified. Nothing was created. Ask your administrator."
        )
    user = linked_user or User.objects.filter(email__iexact=email).first()
    user_created = user is None
    if user is None:
        # No password: this person signs in through the identity provider.
        user = User.objects.create_user(email=email, password=None, name=name.strip()[:150])
    elif name.strip() and user.name != name.strip()[:150]:
        user.name = name.strip()[:150]
        user.save(update_fields=["name"])
    # Connecting an existing account of this address is safe only because its domain is verified
    # by this organisation: whoever controls the domain's mail controls the account anyway (they
    # could reset its password), and SOCIALACCOUNT_EMAIL_AUTHENTICATION stays off elsewhere.
    _mark_email_verified(user, email)
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    joined = membership is None
    if membership is None:
        membership = Membership.objects.create(
            organisation=organisation, user=user, role=Role.MEMBER
        )
        audit_record(
            organisation=organisation,
            actor=user,
            verb="membership.created",
            target=membership,
            after={"user": user.email, "role": membership.role},
        )
        hooks.member_joined(organisation=organisation, user=user)
    elif not membership.is_active:
        # A deactivated member (by an admin or SCIM) stays out: SSO does not undo a removal.
        raise SignInRefused(
            f"Your access to {organisation.name} has been turned off. Ask an admin of "
            f"{organisation.name} if this is a mistake."
        )
    if user_created:
        audit_record(
            organisation=organisation,
            actor=user,
            verb="sso.account_created",
            target=membership,
            after={"email": email, "protocol": provider.protocol},
        )
    _update_person(organisation=organisation, user=user, name=name, title=title)
    _join_team(organisation=organisation, user=user, team_name=team)
    audit_record(
        organisation=organisation,
        actor=user,
        verb="sso.signed_in",
        target=membership,
        after={"email": email, "protocol": provider.protocol, "joined": joined},
    )
    return SsoSignIn(user=user, membership=membership, user_created=user_created)


@transaction.atomic
def sso_break_glass_record(*, organisation_id: int, user: User) -> None:
    """An admin signed in with a password although the organisation requires SSO."""
    membership = (
        Membership.objects.filter(organisation_id=organisation_id, user=user)
        .select_related("organisation")
        .first()
    )
    if membership is None:
        return
    audit_record(
        organisation=membership.organisation,
        actor=user,
        verb="sso.break_glass_used",
        target=membership,
        after={"email": user.email},
    )
