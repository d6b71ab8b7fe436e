"""The email-first sign-in page and the organisation's SSO settings page."""

from __future__ import annotations

from typing import Any

from allauth.account.views import LoginView
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from domains import selectors as domain_selectors
from skillsmap.core.errors import ServiceError, form_add_service_error
from sso import selectors, services
from sso.adapter import BREAK_GLASS_PARAM, provider_id_for
from sso.forms import EmailStepForm, IdentityProviderForm
from sso.models import IdentityProvider, Protocol


class EmailFirstLoginView(LoginView):
    """``/accounts/login/`` in two steps. Step 1 asks for the email only: an address whose domain
    an organisation verified and signs in through its enabled provider goes straight to that
    provider; any other address gets step 2, the password (allauth's own form and flow, TOTP
    included). The page never lists organisations or providers, and step 2 is the same whether
    or not the address has an account. A POST with a password is allauth's sign-in as before (the
    "SSO required" rule is enforced there, in ``sso.adapter.AccountAdapter.pre_login``).

    ``?break_glass=1`` skips the routing, for an admin whose identity provider is down."""

    template_name = "account/login.html"

    def _break_glass(self) -> bool:
        return (
            self.request.GET.get(BREAK_GLASS_PARAM) == "1"
            or self.request.POST.get(BREAK_GLASS_PARAM) == "1"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("step", "password" if self.request.method == "POST" else "email")
        context.setdefault("email_form", EmailStepForm())
        context["break_glass"] = self._break_glass()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "password" in request.POST:
            return super().post(request, *args, **kwargs)
        email_form = EmailStepForm(request.POST)
        if not email_form.is_valid():
            context = self.get_context_data(step="email", email_form=email_form)
            return self.render_to_response(context)
        email = email_form.cleaned_data["login"]
        if not self._break_glass():
            route = selectors.sign_in_route_for_email(email=email)
            if route is not None:
                response = self._to_identity_provider(request, route)
                if response is not None:
                    return response
        # Step 2: allauth's form, unbound, with the address filled in.
        form = self.get_form_class()(request=request, initial={"login": email})
        return self.render_to_response(self.get_context_data(form=form, step="password"))

    @staticmethod
    def _to_identity_provider(
        request: HttpRequest, route: selectors.SignInRoute
    ) -> HttpResponse | None:
        adapter = get_social_adapter(request)
        provider_id = provider_id_for(route.provider, route.organisation.slug)
        apps = adapter.list_apps(request, provider=provider_id)
        if not apps:
            # Not offered right now (SAML not installed, secret unreadable): the password step.
            return None
        provider = adapter.get_provider(request, provider_id)
        response = provider.redirect_from_request(request)
        location = response.get("Location", "") if response.status_code in (301, 302) else ""
        if not location or url_has_allowed_host_and_scheme(location, allowed_hosts=None):
            return response
        # Browsers apply the page's CSP ``form-action 'self'`` to the redirects that follow a
        # form's POST too, so a redirect from this form to the identity provider would be
        # blocked. A link is not a form: this page follows it (static/js/sso-continue.js), or
        # the person does without JavaScript. It names neither the organisation nor the provider.
        page = render(request, "sso/continue.html", {"continue_url": location})
        page["Cache-Control"] = "no-store"
        return page


login = EmailFirstLoginView.as_view()


# --- The organisation's SSO settings -------------------------------------------------------------


def _initial(provider: IdentityProvider | None) -> dict[str, Any]:
    if provider is None:
        return {"protocol": Protocol.OIDC}
    return {
        name: getattr(provider, name)
        for name in (
            "protocol",
            "oidc_issuer",
            "oidc_client_id",
            "saml_metadata_url",
            "attribute_email",
            "attribute_name",
            "attribute_title",
            "attribute_team",
            "is_enabled",
            "sso_required",
            "trust_idp_mfa",
        )
    }


def _settings_page(
    request: HttpRequest,
    tenant: Tenant,
    provider: IdentityProvider | None,
    form: IdentityProviderForm,
    status: int = 200,
) -> HttpResponse:
    slug = tenant.organisation.slug
    context = {
        "tenant": tenant,
        "provider": provider,
        "form": form,
        "oidc_redirect_uri": request.build_absolute_uri(
            reverse("openid_connect_callback", kwargs={"provider_id": f"org-{slug}"})
        ),
        "saml_metadata_url": request.build_absolute_uri(f"/accounts/saml/{slug}/metadata/"),
        "saml_acs_url": request.build_absolute_uri(f"/accounts/saml/{slug}/acs/"),
        "verified_domains": [
            d.name
            for d in domain_selectors.domain_list(organisation=tenant.organisation)
            if d.is_verified
        ],
    }
    return render(request, "sso/settings.html", context, status=status)


@org_view(Perm.IDENTITY_MANAGE)
def sso_settings(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    provider = selectors.identity_provider_get(organisation=tenant.organisation)
    secret_set = bool(provider and provider.oidc_client_secret_encrypted)
    if request.method != "POST":
        form = IdentityProviderForm(initial=_initial(provider), secret_set=secret_set)
        return _settings_page(request, tenant, provider, form)
    form = IdentityProviderForm(request.POST, request.FILES, secret_set=secret_set)
    if not form.is_valid():
        return _settings_page(request, tenant, provider, form, status=400)
    data = form.cleaned_data
    try:
        services.identity_provider_save(
            organisation=tenant.organisation,
            by=request.user,
            data=services.ProviderSettings(
                protocol=data["protocol"],
                is_enabled=data["is_enabled"],
                oidc_issuer=data["oidc_issuer"],
                oidc_client_id=data["oidc_client_id"],
                oidc_client_secret=data["oidc_client_secret"] or None,
                saml_metadata_xml=data["saml_metadata_xml"] or None,
                saml_metadata_url=data["saml_metadata_url"],
                attribute_email=data["attribute_email"],
                attribute_name=data["attribute_name"],
                attribute_title=data["attribute_title"],
                attribute_team=data["attribute_team"],
                sso_required=data["sso_required"],
                trust_idp_mfa=data["trust_idp_mfa"],
            ),
        )
    except ServiceError as error:
        form_add_service_error(form, error)
        return _settings_page(request, tenant, provider, form, status=400)
    messages.success(request, "The single sign-on settings are saved.")
    return redirect("sso:settings", org_slug=tenant.organisation.slug)


@org_view(Perm.IDENTITY_MANAGE)
@require_POST
def sso_remove(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    try:
        services.identity_provider_delete(organisation=tenant.organisation, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Single sign-on is removed; everyone signs in with a password.")
    return redirect("sso:settings", org_slug=tenant.organisation.slug)
