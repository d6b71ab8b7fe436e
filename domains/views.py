"""The verified-domains settings page: admins only (``identity.manage``); other roles get 403 like
every admin page, non-members 404, and another organisation's domain id reads as missing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from domains import selectors, services
from domains.forms import DomainClaimForm
from domains.models import CHALLENGE_LABEL, CHALLENGE_PREFIX
from skillsmap.core.errors import ServiceError, form_add_service_error


def _page(
    request: HttpRequest, tenant: Tenant, form: DomainClaimForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "tenant": tenant,
        "domains": list(selectors.domain_list(organisation=tenant.organisation)),
        "form": form or DomainClaimForm(),
        "challenge_label": CHALLENGE_LABEL,
        "challenge_prefix": CHALLENGE_PREFIX,
    }
    return render(request, "domains/domain_list.html", context, status=status)


def _to_list(tenant: Tenant) -> HttpResponse:
    return redirect("domains:domain_list", org_slug=tenant.organisation.slug)


@org_view(Perm.IDENTITY_MANAGE)
def domain_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _page(request, tenant)


@org_view(Perm.IDENTITY_MANAGE)
@require_POST
def domain_claim(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = DomainClaimForm(request.POST)
    if not form.is_valid():
        return _page(request, tenant, form=form, status=400)
    try:
        domain = services.domain_claim(
            organisation=tenant.organisation, name=form.cleaned_data["name"], by=request.user
        )
    except ServiceError as error:
        form_add_service_error(form, error, field="name")
        return _page(request, tenant, form=form, status=400)
    messages.success(
        request, f"{domain.name} is claimed. Add its TXT record, then choose “Verify now”."
    )
    return _to_list(tenant)


@org_view(Perm.IDENTITY_MANAGE)
@require_POST
def domain_verify(
    request: AuthenticatedHttpRequest, tenant: Tenant, domain_id: int
) -> HttpResponse:
    domain = selectors.domain_get(organisation=tenant.organisation, domain_id=domain_id)
    try:
        domain = services.domain_verify(domain=domain, by=request.user)
    except ServiceError as error:
        messages.error(request, f"{domain.name}: {error}")
        return _to_list(tenant)
    if domain.verified_at is not None:
        messages.success(request, f"{domain.name} is verified.")
    else:
        messages.error(request, f"{domain.name} is not verified yet: {domain.last_error}")
    return _to_list(tenant)


@org_view(Perm.IDENTITY_MANAGE)
@require_http_methods(["GET", "POST"])
def domain_remove(
    request: AuthenticatedHttpRequest, tenant: Tenant, domain_id: int
) -> HttpResponse:
    """GET asks for confirmation (a page, so that it works without JavaScript); POST removes."""
    domain = selectors.domain_get(organisation=tenant.organisation, domain_id=domain_id)
    if request.method == "POST":
        name = domain.name
        services.domain_remove(domain=domain, by=request.user)
        messages.success(request, f"{name} was removed.")
        return _to_list(tenant)
    return render(request, "domains/domain_remove.html", {"tenant": tenant, "domain": domain})
