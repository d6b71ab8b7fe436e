"""allauth, wired to each organisation's own identity provider.

``SocialAccountAdapter`` builds the allauth app of an organisation from its ``IdentityProvider``
row, on demand and unsaved (no ``SocialApp`` rows: they know no organisation and escape row-level
security), and accepts a sign-in only for the provider's own organisation's verified domains,
creating the account just in time. ``AccountAdapter`` enforces "SSO required" on every password
sign-in (the break-glass path aside) and skips the TOTP step for SSO sign-ins of an organisation
that trusts its identity provider's MFA.

The app of an organisation is named after its slug, which its identity provider holds in URLs:
OpenID Connect ``provider_id="org-<slug>"`` (``/accounts/oidc/org-<slug>/login/callback/``);
SAML ``client_id="<slug>"`` (``/accounts/saml/<slug>/acs/``) with ``provider_id="saml-<slug>"``,
so that each organisation's SAML accounts live in their own ``(provider, uid)`` namespace and one
organisation's NameID can never match another's account.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from accounts.throttling import AccountAdapter as ThrottlingAccountAdapter
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from sso import saml, selectors, services
from sso.crypto import secret_decrypt
from sso.models import IdentityProvider, Protocol

logger = logging.getLogger(__name__)

OIDC_PREFIX = "org-"
SAML_PREFIX = "saml-"
# Asked for in the login POST (a hidden field the page carries from ``?break_glass=1``).
BREAK_GLASS_PARAM = "break_glass"
_BREAK_GLASS_SESSION_KEY = "sso.break_glass"


def provider_id_for(provider: IdentityProvider, slug: str) -> str:
    return f"{OIDC_PREFIX}{slug}" if provider.protocol == Protocol.OIDC else f"{SAML_PREFIX}{slug}"


def slug_from_provider_id(provider_id: str) -> tuple[str, str] | None:
    """``("oidc"|"saml", slug)`` for one of our apps' provider ids, else None."""
    for prefix, protocol in ((OIDC_PREFIX, Protocol.OIDC), (SAML_PREFIX, Protocol.SAML)):
        if provider_id.startswith(prefix) and len(provider_id) > len(prefix):
            return str(protocol), provider_id[len(prefix) :]
    return None


def _saml_installed() -> bool:
    return "allauth.socialaccount.providers.saml" in settings.INSTALLED_APPS


def build_app(route: selectors.SignInRoute) -> SocialApp | None:
    """The unsaved allauth app of an organisation's enabled provider, or None if it cannot take
    sign-ins right now (its secret unreadable, SAML not installed)."""
    provider, organisation = route.provider, route.organisation
    slug = organisation.slug
    if provider.protocol == Protocol.OIDC:
        try:
            secret = secret_decrypt(provider.oidc_client_secret_encrypted)
        except ServiceError:
            logger.warning("OIDC client secret of organisation %s unreadable", organisation.pk)
            return None
        return SocialApp(
            provider="openid_connect",
            provider_id=provider_id_for(provider, slug),
            name=organisation.name,
            client_id=provider.oidc_client_id,
            secret=secret,
            settings={
                "server_url": provider.oidc_issuer,
                # Verification of the address is the organisation's verified domain, checked in
                # pre_social_login; allauth's own flag must not sign anyone in by email.
                "email_authentication": False,
                "skillsmap_org": slug,
            },
        )
    # SAML: while allauth's saml provider is not installed, or the SAML part's
    # saml_app_settings is not implemented (NotImplementedError) or refuses the stored metadata,
    # SAML providers are simply not offered; the email-first page then shows the password step.
    if not _saml_installed():
        return None
    try:
        app_settings = dict(saml.saml_app_settings(provider))
    except (NotImplementedError, ServiceError):
        return None
    app_settings["skillsmap_org"] = slug
    app_settings["email_authentication"] = False
    return SocialApp(
        provider="saml",
        provider_id=provider_id_for(provider, slug),
        name=organisation.name,
        client_id=slug,
        settings=app_settings,
    )


def _refused(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    response = render(request, "sso/sign_in_refused.html", {"message": message}, status=403)
    return ImmediateHttpResponse(response)


def _claim(data: dict[str, Any], name: str) -> str:
    """One claim (OIDC) or attribute (SAML, a list of values) by its mapped name."""
    if not name:
        return ""
    value = data.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def _assertion(sociallogin: SocialLogin) -> dict[str, Any]:
    data = sociallogin.account.extra_data or {}
    # OIDC keeps {"userinfo": ..., "id_token": ...}: userinfo is the fuller of the two.
    merged: dict[str, Any] = {}
    for part in ("id_token", "userinfo"):
        if isinstance(data.get(part), dict):
            merged.update(data[part])
    return merged or dict(data)


def _userinfo_is_of_another_subject(sociallogin: SocialLogin) -> bool:
    """OIDC Core 5.3.2: userinfo (unsigned, and what allauth takes the uid from) must be about the
    ID token's subject, or it must not be used."""
    data = sociallogin.account.extra_data or {}
    userinfo, id_token = data.get("userinfo"), data.get("id_token")
    if not isinstance(userinfo, dict) or not isinstance(id_token, dict):
        return False
    return userinfo.get("sub") != id_token.get("sub")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        """Only ever one organisation's app, asked for by its provider id (or SAML's slug):
        listing every organisation's would enumerate tenants, so an unnarrowed call gets none."""
        parsed = slug_from_provider_id(provider or "")
        if parsed is None and provider == "saml" and client_id:
            parsed = (str(Protocol.SAML), client_id)
        if parsed is None:
            return []
        protocol, slug = parsed
        route = selectors.sign_in_route_for_slug(slug=slug)
        if route is None or route.provider.protocol != protocol:
            return []
        app = build_app(route)
        if app is None or (client_id and app.client_id != client_id):
            return []
        return [app]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Every SSO callback: the provider's organisation, the asserted address on one of its
        verified domains, then the account (created just in time) connected to this login."""
        parsed = slug_from_provider_id(sociallogin.account.provider)
        route = selectors.sign_in_route_for_slug(slug=parsed[1]) if parsed else None
        if route is None:
            raise _refused(request, "Single sign-on is not available for this organisation.")
        provider, organisation = route.provider, route.organisation
        if _userinfo_is_of_another_subject(sociallogin):
            logger.warning(
                "OIDC userinfo of organisation %s not about the ID token's subject", organisation.pk
            )
            raise _refused(
                request,
                "Your organisation's identity provider gave answers that disagree about who is "
                "signing in, so you were not signed in and nothing was created. Ask your "
                "administrator.",
            )
        data = _assertion(sociallogin)
        user = sociallogin.user
        email = _claim(data, provider.attribute_email) or (user.email if user else "")
        linked = sociallogin.user if sociallogin.is_existing else None
        try:
            with organisation_context(organisation):
                result = services.sso_sign_in(
                    organisation=organisation,
                    provider=provider,
                    email=email,
                    name=_claim(data, provider.attribute_name),
                    title=_claim(data, provider.attribute_title),
                    team=_claim(data, provider.attribute_team),
                    linked_user=linked if isinstance(linked, User) else None,
                )
        except ServiceError as error:
            raise _refused(request, str(error)) from error
        if not sociallogin.is_existing:
            sociallogin.connect(request, result.user)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Accounts come from pre_social_login (sso.services.sso_sign_in) only, never from
        # allauth's social signup form.
        return False


def trusts_idp_mfa(login_signal_kwargs: dict[str, Any] | None) -> bool:
    """Whether this login is an SSO sign-in of an organisation that trusts its provider's MFA."""
    sociallogin = (login_signal_kwargs or {}).get("sociallogin")
    if not isinstance(sociallogin, SocialLogin):
        return False
    parsed = slug_from_provider_id(sociallogin.account.provider)
    route = selectors.sign_in_route_for_slug(slug=parsed[1]) if parsed else None
    return bool(route and route.provider.trust_idp_mfa)


class AccountAdapter(ThrottlingAccountAdapter):
    def get_login_stages(self) -> list[str]:
        # allauth's TOTP step, made aware of "trust the identity provider's MFA" (sso/stages.py).
        return [
            "sso.stages.AuthenticateStage"
            if path == "allauth.mfa.stages.AuthenticateStage"
            else path
            for path in super().get_login_stages()
        ]

    def pre_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse | None:
        """Every sign-in that is not SSO (a password, an email confirmation) passes here: an
        address on a verified domain of an organisation that requires SSO is refused, unless an
        admin of that organisation asks for break-glass and has two-factor authentication."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        signal_kwargs = kwargs.get("signal_kwargs") or {}
        if "sociallogin" in signal_kwargs or not isinstance(user, User):
            return None
        route = selectors.sign_in_route_for_email(email=user.email)
        if route is None or not route.provider.sso_required:
            return None
        asked = BREAK_GLASS_PARAM in request.POST or BREAK_GLASS_PARAM in request.GET
        if asked and self._break_glass_allowed(route, user):
            # Audited once the sign-in completes (post_login), after the TOTP step.
            request.session[_BREAK_GLASS_SESSION_KEY] = {
                "organisation": route.organisation.pk,
                "user": user.pk,
            }
            return None
        from allauth.account.internal.stagekit import clear_login

        clear_login(request)
        return render(
            request,
            "sso/password_refused.html",
            {"organisation": route.organisation, "break_glass_asked": asked},
            status=403,
        )

    @staticmethod
    def _break_glass_allowed(route: selectors.SignInRoute, user: User) -> bool:
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            return False
        with organisation_context(route.organisation):
            return selectors.membership_is_active_admin(organisation=route.organisation, user=user)

    def post_login(self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> Any:
        marker = request.session.pop(_BREAK_GLASS_SESSION_KEY, None)
        if isinstance(marker, dict) and marker.get("user") == user.pk and isinstance(user, User):
            with organisation_context(int(marker["organisation"])):
                services.sso_break_glass_record(
                    organisation_id=int(marker["organisation"]), user=user
                )
        return super().post_login(request, user, **kwargs)
