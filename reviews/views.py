"""Campaign pages: the list (a member's own to-dos; a launcher's campaigns too), a campaign's
progress per team and person, the launch form and the close button.

Thin: ``org_view`` resolves the organisation, a selector fetches through it and decides whether
the caller may follow the campaign (another organisation's, one they may not see and a missing one
are the same 404), a form checks shapes, one service writes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from reviews import selectors, services
from reviews.forms import CampaignForm
from skills.selectors.ratings import person_for_user
from skillsmap.core.errors import ServiceError, form_add_service_error


def _may_launch(tenant: Tenant) -> bool:
    return tenant.can(Perm.CAMPAIGNS_LAUNCH_TEAMS) or tenant.can(Perm.CAMPAIGNS_LAUNCH_ALL)


@org_view()
def campaign_list(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    try:
        person = person_for_user(organisation=organisation, user=request.user)
    except Http404:
        todos = []
    else:
        todos = selectors.campaign_todos(organisation=organisation, person=person)
    return render(
        request,
        "reviews/campaign_list.html",
        {
            "tenant": tenant,
            "todos": todos,
            "may_launch": _may_launch(tenant),
            "campaigns": selectors.campaigns_visible(
                organisation=organisation, membership=tenant.membership
            ),
        },
    )


@org_view()
def campaign_detail(
    request: AuthenticatedHttpRequest, tenant: Tenant, campaign_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    campaign = selectors.campaign_get_for(
        organisation=organisation, membership=tenant.membership, campaign_id=campaign_id
    )
    progress = selectors.campaign_progress(
        organisation=organisation,
        campaign=campaign,
        person_ids=selectors.progress_people_for(
            organisation=organisation, membership=tenant.membership, campaign=campaign
        ),
    )
    return render(
        request,
        "reviews/campaign_detail.html",
        {
            "tenant": tenant,
            "campaign": campaign,
            "progress": progress,
            "may_close": campaign.is_open
            and selectors.may_close(membership=tenant.membership, campaign=campaign),
        },
    )


@org_view(Perm.CAMPAIGNS_LAUNCH_TEAMS)
def campaign_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    teams, roles, _, skills = selectors.launch_choices(
        organisation=organisation, membership=tenant.membership
    )
    is_post = request.method == "POST"
    may_ask_everyone = tenant.can(Perm.CAMPAIGNS_LAUNCH_ALL)
    form = CampaignForm(
        request.POST if is_post else None,
        teams=teams,
        roles=roles,
        people_lookup=lambda emails: selectors.launch_people_by_email(
            organisation=organisation, membership=tenant.membership, emails=emails
        ),
        skills=skills,
        may_ask_everyone=may_ask_everyone,
    )
    if is_post and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_launch(
                organisation=organisation,
                by=request.user,
                name=data["name"],
                message=data["message"],
                due_on=data["due_on"],
                grace_days=data["grace_days"],
                everyone=data.get("everyone", False),
                teams=list(data["teams"]),
                roles=list(data["roles"]),
                people=list(data["people"]),
                skills=list(data["skills"]),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            launched = f"{campaign.name} was launched."
            if missing := campaign.without_account:
                who, were = ("person", "was") if missing == 1 else ("people", "were")
                launched += (
                    f" {missing} {who} named without an account to sign in with {were} not "
                    "asked: invite them from Members first."
                )
            messages.success(request, launched)
            return redirect(
                "reviews:campaign_detail", org_slug=organisation.slug, campaign_id=campaign.pk
            )
    return render(
        request,
        "reviews/campaign_form.html",
        {"tenant": tenant, "form": form, "may_ask_everyone": may_ask_everyone},
        status=400 if form.errors else 200,
    )


@org_view(Perm.CAMPAIGNS_LAUNCH_TEAMS)
@require_POST
def campaign_close(
    request: AuthenticatedHttpRequest, tenant: Tenant, campaign_id: int
) -> HttpResponse:
    campaign = selectors.campaign_get_for(
        organisation=tenant.organisation, membership=tenant.membership, campaign_id=campaign_id
    )
    if not selectors.may_close(membership=tenant.membership, campaign=campaign):
        raise PermissionDenied("Only its launcher, HR or an admin can close this campaign.")
    try:
        services.campaign_close(campaign=campaign, by=request.user)
    except ServiceError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{campaign.name} was closed.")
    return redirect(
        "reviews:campaign_detail", org_slug=tenant.organisation.slug, campaign_id=campaign.pk
    )
