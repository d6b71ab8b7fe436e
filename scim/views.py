"""The organisation's SCIM page: tokens for its directory, the SCIM base URL, one setting."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from scim import selectors, services
from scim.forms import ScimSettingsForm, ScimTokenForm
from skillsmap.core.errors import ServiceError, form_add_service_error


def scim_base_url(request: HttpRequest, tenant: Tenant) -> str:
    return request.build_absolute_uri(
        reverse("scim_v2:root", kwargs={"org_slug": tenant.organisation.slug})
    )


def _page(
    request: HttpRequest,
    tenant: Tenant,
    *,
    token_form: ScimTokenForm | None = None,
    settings_form: ScimSettingsForm | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = tenant.organisation
    current = selectors.scim_settings_get(organisation=organisation)
    context = {
        "tenant": tenant,
        "token_form": token_form or ScimTokenForm(),
        "settings_form": settings_form
        or ScimSettingsForm(initial={"department_to_team": current.department_to_team}),
        "secret": secret,
        "base_url": scim_base_url(request, tenant),
        "tokens": list(selectors.scim_token_list(organisation=organisation)),
    }
    response = render(request, "scim/settings.html", context, status=status)
    # The secret is on this response once: keep it out of every cache and the back button.
    response["Cache-Control"] = "no-store"
    return response


@org_view(Perm.IDENTITY_MANAGE)
def scim_settings(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """GET: the page. POST: create a token, whose secret this response shows once."""
    if request.method != "POST":
        return _page(request, tenant)
    form = ScimTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, secret = services.scim_token_create(
                organisation=tenant.organisation, name=form.cleaned_data["name"], by=request.user
            )
        except ServiceError as error:
            form_add_service_error(form, error, field="name")
        else:
            return _page(request, tenant, secret=secret)
    return _page(request, tenant, token_form=form, status=400)


@org_view(Perm.IDENTITY_MANAGE)
@require_POST
def scim_settings_update(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = ScimSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, tenant, settings_form=form, status=400)
    services.scim_settings_update(
        organisation=tenant.organisation,
        department_to_team=form.cleaned_data["department_to_team"],
        by=request.user,
    )
    messages.success(request, "SCIM settings saved.")
    return redirect("scim:settings", org_slug=tenant.organisation.slug)


@org_view(Perm.IDENTITY_MANAGE)
@require_POST
def scim_token_revoke(
    request: AuthenticatedHttpRequest, tenant: Tenant, token_id: int
) -> HttpResponse:
    token = selectors.scim_token_get(organisation=tenant.organisation, token_id=token_id)
    services.scim_token_revoke(token=token, by=request.user)
    messages.success(
        request, f"“{token.name}” is revoked; the directory's next request is refused."
    )
    return redirect("scim:settings", org_slug=tenant.organisation.slug)
