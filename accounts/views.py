from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import ApiTokenForm, InvitationForm, OrganisationForm, RoleForm
from accounts.permissions import Perm, Role
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view, organisation_by_slug
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home.html")
    organisations = selectors.organisation_list_for_user(user=request.user)
    if len(organisations) == 1:
        return redirect("accounts:organisation_home", org_slug=organisations[0].slug)
    return redirect("organisation_list")


@login_required
def organisation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = selectors.organisation_list_for_user(user=request.user)
    return render(request, "accounts/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(
            name=form.cleaned_data["name"], creator=request.user
        )
        messages.success(request, f"{organisation.name} is ready. You are its admin.")
        return redirect("accounts:organisation_home", org_slug=organisation.slug)
    return render(request, "accounts/organisation_form.html", {"form": form})


@org_view()
def organisation_home(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "accounts/organisation_home.html", {"tenant": tenant})


def _members_page(
    request: HttpRequest,
    tenant: Tenant,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = tenant.can(Perm.MEMBERSHIP_MANAGE)
    context = {
        "tenant": tenant,
        "memberships": list(selectors.membership_list(organisation=tenant.organisation)),
        "can_manage": can_manage,
        "invitations": selectors.invitation_list_open(organisation=tenant.organisation)
        if can_manage
        else [],
        "invite_form": invite_form or InvitationForm(),
        "roles": Role.choices,
    }
    return render(request, "accounts/member_list.html", context, status=status)


@org_view(Perm.MEMBERSHIP_VIEW)
def member_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _members_page(request, tenant)


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def invitation_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _members_page(request, tenant, invite_form=form, status=400)
    try:
        invitation, _token = services.invitation_create(
            organisation=tenant.organisation,
            email=form.cleaned_data["email"],
            role=Role(form.cleaned_data["role"]),
            invited_by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
    except services.InvitationError as error:
        form.add_error("email", str(error))
        return _members_page(request, tenant, invite_form=form, status=400)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("accounts:member_list", org_slug=tenant.organisation.slug)


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def invitation_revoke(
    request: AuthenticatedHttpRequest, tenant: Tenant, invitation_id: int
) -> HttpResponse:
    invitation = selectors.invitation_get(
        organisation=tenant.organisation, invitation_id=invitation_id
    )
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
        messages.success(request, f"The invitation for {invitation.email} was revoked.")
    except services.InvitationError as error:
        messages.error(request, str(error))
    return redirect("accounts:member_list", org_slug=tenant.organisation.slug)


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def membership_role(
    request: AuthenticatedHttpRequest, tenant: Tenant, membership_id: int
) -> HttpResponse:
    membership = selectors.membership_get(
        organisation=tenant.organisation, membership_id=membership_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return redirect("accounts:member_list", org_slug=tenant.organisation.slug)
    try:
        services.membership_change_role(
            membership=membership, role=Role(form.cleaned_data["role"]), by=request.user
        )
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("accounts:member_list", org_slug=tenant.organisation.slug)


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def membership_active(
    request: AuthenticatedHttpRequest, tenant: Tenant, membership_id: int
) -> HttpResponse:
    membership = selectors.membership_get(
        organisation=tenant.organisation, membership_id=membership_id
    )
    is_active = request.POST.get("is_active") == "true"
    try:
        services.membership_set_active(membership=membership, is_active=is_active, by=request.user)
        verb = "reactivated" if is_active else "deactivated"
        messages.success(request, f"{membership.user} was {verb}.")
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("accounts:member_list", org_slug=tenant.organisation.slug)


@org_view(Perm.AUDIT_VIEW)
def audit_event_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    events = selectors.audit_event_list(organisation=tenant.organisation)
    return render(request, "accounts/audit_event_list.html", {"tenant": tenant, "events": events})


@login_required
def invitation_accept(request: AuthenticatedHttpRequest, org_slug: str, token: str) -> HttpResponse:
    """The invitee is not a member yet, so this page resolves the organisation by slug without a
    membership, and every failure (unknown slug, wrong token) reads the same."""
    organisation = organisation_by_slug(org_slug)
    with organisation_context(organisation):
        try:
            invitation = services.invitation_for_token(organisation=organisation, token=token)
        except services.InvitationError as error:
            return render(
                request, "accounts/invitation_invalid.html", {"message": str(error)}, status=404
            )
        if request.method == "POST":
            try:
                services.invitation_accept(
                    organisation=organisation, token=token, user=request.user
                )
            except services.InvitationError as error:
                return render(
                    request, "accounts/invitation_invalid.html", {"message": str(error)}, status=400
                )
            messages.success(request, f"Welcome to {organisation.name}.")
            return redirect("accounts:organisation_home", org_slug=organisation.slug)
        return render(
            request,
            "accounts/invitation_accept.html",
            {"organisation": organisation, "invitation": invitation},
        )


# --- Personal API tokens -------------------------------------------------------------------------


@login_required
def api_token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens; a POST creates one and shows its secret on this response only."""
    memberships = selectors.membership_list_for_user(user=request.user)
    choices = [(m.organisation.slug, m.organisation.name) for m in memberships]
    form = ApiTokenForm(request.POST or None, organisations=choices)
    secret, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            slug = form.cleaned_data["organisation"]
            organisation = next(
                (m.organisation for m in memberships if m.organisation.slug == slug), None
            )
            try:
                _token, secret = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    organisation=organisation,
                    read_only=form.cleaned_data["read_only"],
                )
            except ServiceError as error:
                form.add_error("name", str(error))
            else:
                form = ApiTokenForm(organisations=choices)
        if form.errors:
            status = 400
    context = {
        "form": form,
        "secret": secret,
        "tokens": selectors.api_token_list_for_user(user=request.user),
    }
    response = render(request, "accounts/api_tokens.html", context, status=status)
    # The secret is on this page once: keep it out of every cache and the back button.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"“{token.name}” is revoked; it stops working at once.")
    return redirect("api_tokens")
