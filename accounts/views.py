from __future__ import annotations

import csv
import re
from datetime import UTC
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.audit import EVENT_KINDS, audit_sentence, event_kind_label
from accounts.forms import (
    ApiTokenForm,
    AuditFilterForm,
    InvitationForm,
    OrganisationForm,
    RoleForm,
)
from accounts.models import AuditEvent, Invitation, Membership
from accounts.permissions import Perm, Role
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view, organisation_by_slug
from skillsmap.core.errors import ServiceError
from skillsmap.core.tabular import neutralise
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
def organisation_menu(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The account menu's organisation switcher, fetched by htmx when the menu opens on an
    organisation's page, so that the page itself does not read every membership of the user."""
    context = {
        "organisations": selectors.organisation_list_for_user(user=request.user),
        "current": request.GET.get("current", ""),
    }
    return render(request, "accounts/_organisation_menu.html", context)


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


# The link of an invitation just created or resent, shown once on the next members page so that
# the admin can copy it (the database keeps only its hash, so it cannot be shown again later).
_NEW_INVITATION_LINK = "accounts.new_invitation_link"


def _members_page(
    request: HttpRequest,
    tenant: Tenant,
    invite_form: InvitationForm | None = None,
    status: int = 200,
    pending: Invitation | None = None,
) -> HttpResponse:
    can_manage = tenant.can(Perm.MEMBERSHIP_MANAGE)
    new_link = request.session.pop(_NEW_INVITATION_LINK, None) if can_manage else None
    if new_link and new_link.get("org") != tenant.organisation.pk:
        new_link = None
    context = {
        "tenant": tenant,
        "memberships": list(selectors.membership_list(organisation=tenant.organisation)),
        "can_manage": can_manage,
        "invitations": selectors.invitation_list_open(organisation=tenant.organisation)
        if can_manage
        else [],
        "invite_form": invite_form or InvitationForm(),
        "roles": Role.choices,
        "new_link": new_link,
        "pending_invitation": pending,
    }
    response = render(request, "accounts/member_list.html", context, status=status)
    if new_link:
        # The link admits whoever holds it: keep it out of caches and the back button.
        response["Cache-Control"] = "no-store"
    return response


@org_view(Perm.MEMBERSHIP_VIEW)
def member_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _members_page(request, tenant)


def _remember_link(request: HttpRequest, tenant: Tenant, email: str, link: str) -> None:
    request.session[_NEW_INVITATION_LINK] = {
        "org": tenant.organisation.pk,
        "email": email,
        "link": link,
    }


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def invitation_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _members_page(request, tenant, invite_form=form, status=400)
    try:
        invitation, link = services.invitation_create(
            organisation=tenant.organisation,
            email=form.cleaned_data["email"],
            role=Role(form.cleaned_data["role"]),
            invited_by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
    except services.InvitationError as error:
        form.add_error("email", str(error))
        pending = error.invitation if isinstance(error, services.InvitationPendingError) else None
        return _members_page(request, tenant, invite_form=form, status=400, pending=pending)
    _remember_link(request, tenant, invitation.email, link)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("accounts:member_list", org_slug=tenant.organisation.slug)


@org_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def invitation_resend(
    request: AuthenticatedHttpRequest, tenant: Tenant, invitation_id: int
) -> HttpResponse:
    invitation = selectors.invitation_get(
        organisation=tenant.organisation, invitation_id=invitation_id
    )
    try:
        _invitation, link = services.invitation_resend(
            invitation=invitation, by=request.user, base_url=request.build_absolute_uri("/")
        )
    except services.InvitationError as error:
        messages.error(request, str(error))
    else:
        _remember_link(request, tenant, invitation.email, link)
        messages.success(
            request,
            f"Invitation sent again to {invitation.email}, with a new link; the old one no longer works.",
        )
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


AUDIT_PAGE_SIZE = 50


def _audit_filters(request: HttpRequest, tenant: Tenant) -> AuditFilterForm:
    organisation = tenant.organisation
    # Names are not unique: the email tells two Alex Silvas apart.
    actors = [
        (u.pk, f"{u.name} ({u.email})" if u.name else u.email)
        for u in selectors.audit_actor_list(organisation=organisation)
    ]
    recorded = set(selectors.audit_verb_list(organisation=organisation))
    verbs = [(v, label) for v, (label, _) in EVENT_KINDS.items() if v in recorded]
    verbs += [(v, v) for v in sorted(recorded - set(EVENT_KINDS))]
    form = AuditFilterForm(request.GET or None, actors=actors, verbs=verbs)
    form.is_valid()
    return form


def _filtered_events(tenant: Tenant, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    # An invalid filter (a stale actor id, a bad date) is ignored, not an error page: the form
    # shows what was wrong and the rest of the filters still apply.
    cleaned = getattr(form, "cleaned_data", {})
    return selectors.audit_event_list(
        organisation=tenant.organisation,
        actor_id=cleaned.get("actor"),
        verb=cleaned.get("verb") or None,
        since=cleaned.get("since"),
        until=cleaned.get("until"),
    )


@org_view(Perm.AUDIT_VIEW)
def audit_event_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = _audit_filters(request, tenant)
    page = Paginator(_filtered_events(tenant, form), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "tenant": tenant,
        "filter_form": form,
        "page": page,
        "rows": [(event, audit_sentence(event)) for event in page.object_list],
        "query": query.urlencode(),
        "filtered": any(query.get(k) for k in ("actor", "verb", "since", "until")),
    }
    return render(request, "accounts/audit_event_list.html", context)


@org_view(Perm.AUDIT_VIEW)
def audit_event_export(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The filtered audit log as CSV, header first; every cell neutralised so that a name typed
    as ``=HYPERLINK(...)`` stays text in a spreadsheet."""
    events = _filtered_events(tenant, _audit_filters(request, tenant))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{tenant.organisation.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(["When (UTC)", "Who", "Email", "What", "Event code", "Target", "Sentence"])
    for event in events.iterator(chunk_size=1000):
        writer.writerow(
            neutralise(cell)
            for cell in (
                event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                str(event.actor) if event.actor else "The system",
                event.actor.email if event.actor else "",
                event_kind_label(event.verb),
                event.verb,
                event.target_repr,
                audit_sentence(event),
            )
        )
    return response


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


# The tokens page is the user's, outside /o/<slug>/, but it keeps the organisation navigation of
# the organisation the user came from: named by ``?org=`` (the page's own forms carry it), else the
# organisation page the user came from (``Referer``), else their first organisation.
_ORG_PATH = re.compile(r"^/o/(?P<slug>[-\w]+)/")


def _api_token_page_tenant(
    request: AuthenticatedHttpRequest, memberships: list[Membership]
) -> Tenant | None:
    by_slug = {m.organisation.slug: m for m in memberships}
    wanted = request.GET.get("org", "")
    if wanted not in by_slug:
        came_from = _ORG_PATH.match(urlsplit(request.headers.get("Referer", "")).path)
        wanted = came_from["slug"] if came_from else ""
    # Only the user's own memberships are looked at: any other slug is simply not chosen.
    membership = by_slug.get(wanted) or (memberships[0] if memberships else None)
    return Tenant(membership.organisation, membership) if membership else None


def _api_tokens_url(tenant: Tenant | None) -> str:
    url = reverse("api_tokens")
    return f"{url}?{urlencode({'org': tenant.organisation.slug})}" if tenant else url


@login_required
def api_token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens; a POST creates one and shows its secret on this response only."""
    memberships = selectors.membership_list_for_user(user=request.user)
    tenant = _api_token_page_tenant(request, memberships)
    choices = [(m.organisation.slug, m.organisation.name) for m in memberships]
    form = ApiTokenForm(request.POST or None, organisations=choices)
    new_token, secret, status = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            slug = form.cleaned_data["organisation"]
            organisation = next(
                (m.organisation for m in memberships if m.organisation.slug == slug), None
            )
            try:
                new_token, secret = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    organisation=organisation,
                    read_only=form.cleaned_data["read_only"],
                    lifetime=form.cleaned_data["expires_in"],
                )
            except ServiceError as error:
                form.add_error("name", str(error))
            else:
                form = ApiTokenForm(organisations=choices)
        if form.errors:
            status = 400
    context = {
        "tenant": tenant,
        "page_url": _api_tokens_url(tenant),
        "form": form,
        "secret": secret,
        "new_token_expires_at": new_token.expires_at if new_token else None,
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
    memberships = selectors.membership_list_for_user(user=request.user)
    return redirect(_api_tokens_url(_api_token_page_tenant(request, memberships)))
