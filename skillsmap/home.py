"""The organisation home page (``accounts:organisation_home``, /o/<slug>/): each role's start.

It lives in the composition root because its figures come from every layer (accounts'
invitations, skills' validation queue and stale ratings, reports' readiness, risks, gap and
exports), which ``accounts`` may not import. The URL keeps its name in the ``accounts`` namespace
(skillsmap/urls.py), which every template links to.

Which panels a user sees follows the role table (``accounts.permissions``), never role names, so a
panel never links to a page its reader may not open:

- everyone who rates themselves (members and managers first of all): readiness, what to rate next;
- who validates reports (managers): the ratings waiting and their teams' bus-factor risks;
- who reads everyone's ratings (HR, admins): the organisation's gap, stale ratings, exports;
- who manages members (admins): pending invitations;
- who launches review campaigns (managers, HR, admins): the open ones they launched.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render

from accounts import selectors as account_selectors
from accounts.models import Invitation
from accounts.permissions import Perm, Role
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from reports import home as report_home
from reports.selectors import export_list_recent
from reviews.selectors import campaign_todos, campaigns_launched_open
from skills import home as skill_home
from skills.selectors.ratings import person_for_user

RATE_NEXT_SHOWN = 5
EXPORTS_SHOWN = 3
INVITATIONS_SHOWN = 5
CAMPAIGNS_SHOWN = 3


def _personal(tenant: Tenant, request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    organisation = tenant.organisation
    try:
        person = person_for_user(organisation=organisation, user=request.user)
    except Http404:
        return None  # a member without a person record has nothing of their own to show yet
    readiness = report_home.current_readiness(organisation=organisation, person=person)
    # The skills their role misses most are the ratings that move their readiness first.
    missing = [m.skill.pk for m in readiness.missing if m.skill] if readiness else []
    return {
        "person": person,
        "readiness": readiness,
        "rate_next": skill_home.rate_next(
            organisation=organisation, person=person, limit=RATE_NEXT_SHOWN, first=missing
        ),
    }


@org_view()
def organisation_home(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    role = tenant.membership.role
    # HR and admins start from the organisation's figures; their own ratings are one click away
    # under "My skills", so their page is not crowded with a personal panel too.
    personal = _personal(tenant, request) if role in (Role.MEMBER, Role.MANAGER) else None
    context: dict[str, Any] = {"tenant": tenant, "personal": personal}
    # Everyone asked by a review campaign sees its to-do, whatever their role: HR is asked too.
    try:
        me = person_for_user(organisation=organisation, user=request.user)
    except Http404:
        me = None
    if me is not None:
        context["campaign_todos"] = campaign_todos(organisation=organisation, person=me)
    if tenant.can(Perm.CAMPAIGNS_LAUNCH_TEAMS) or tenant.can(Perm.CAMPAIGNS_LAUNCH_ALL):
        context["launched"] = campaigns_launched_open(
            organisation=organisation, user=request.user, limit=CAMPAIGNS_SHOWN
        )
    if tenant.can(Perm.RATINGS_VALIDATE_REPORTS):
        context["risks"] = report_home.team_risks(organisation=organisation, tenant=tenant)
        if not tenant.can(Perm.RATINGS_VIEW_ALL):
            context["to_validate"] = skill_home.ratings_to_validate(
                organisation=organisation, membership=tenant.membership
            )
    if tenant.can(Perm.RATINGS_VIEW_ALL):
        context["org_gap"] = report_home.organisation_gap(organisation=organisation)
        context["stale"] = skill_home.stale_ratings(organisation=organisation)
        context["exports"] = export_list_recent(
            organisation=organisation, user=request.user, limit=EXPORTS_SHOWN
        )
    if tenant.can(Perm.MEMBERSHIP_MANAGE):
        invitations = account_selectors.invitation_list_open(organisation=organisation)
        pending = [i for i in invitations if i.status == Invitation.Status.PENDING]
        context["invitations"] = {
            "pending": len(pending),
            "expired": len(invitations) - len(pending),
            "shown": pending[:INVITATIONS_SHOWN],
        }
    return render(request, "accounts/organisation_home.html", context)
