"""Pages that read the materialised results: the team matrix (managers' main screen), what-if,
a person's gap view and the organisation dashboard. Mounted under /o/<org_slug>/ as "dashboards"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.permissions import Perm
from accounts.views_base import Tenant, org_view
from reports import selectors
from skills.models import RoleProfile, Skill, SkillCategory
from teams.models import Person, TeamMembership


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def team_matrix(request: HttpRequest, tenant: Tenant, team_id: int) -> HttpResponse:
    organisation = tenant.organisation
    team = selectors.team_get_for(organisation=organisation, team_id=team_id, tenant=tenant)
    role_id, category_id = _int(request.GET.get("role")), _int(request.GET.get("category"))
    skill_ids = [i for i in (_int(v) for v in request.GET.getlist("skill")) if i]
    sort = request.GET.get("sort", "person")
    matrix = selectors.team_matrix(
        organisation=organisation,
        team=team,
        role_id=role_id,
        category_id=category_id,
        skill_ids=skill_ids or None,
        sort=sort if sort in {"person", "gap", "coverage", "skill"} else "person",
    )
    what_if = None
    what_if_person = _int(request.GET.get("without"))
    if what_if_person:
        what_if = selectors.team_what_if(
            organisation=organisation, team=team, person_id=what_if_person
        )
    context = {
        "tenant": tenant,
        "matrix": matrix,
        "roles": RoleProfile.objects.filter(organisation=organisation).order_by("name"),
        "categories": SkillCategory.objects.filter(organisation=organisation).order_by("name"),
        "filters": {"role": role_id, "category": category_id, "sort": sort, "skills": skill_ids},
        "skills": Skill.objects.filter(organisation=organisation, is_archived=False).order_by(
            "name"
        ),
        "what_if": what_if,
        "what_if_person": next(
            (r.person for r in matrix.rows if r.person.pk == what_if_person), None
        ),
        "levels": range(6),
        "mentor_pairs": selectors.team_mentor_pairs(organisation=organisation, team=team),
    }
    return render(request, "reports/team_matrix.html", context)


@org_view()
def person_gap(request: HttpRequest, tenant: Tenant, person_id: int) -> HttpResponse:
    organisation = tenant.organisation
    person = Person.objects.filter(organisation=organisation, pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    from skills.selectors.ratings import people_visible_to

    if person.pk not in people_visible_to(organisation=organisation, membership=tenant.membership):
        raise PermissionDenied("Only the person, their managers and HR see their gap.")
    view = selectors.person_gap_view(organisation=organisation, person=person)
    teams = TeamMembership.objects.filter(organisation=organisation, person=person).select_related(
        "team"
    )
    return render(
        request,
        "reports/person_gap.html",
        {"tenant": tenant, "person": person, "teams": [t.team for t in teams], **view},
    )


@org_view(Perm.RATINGS_VIEW_ALL)
def organisation_dashboard(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    data = selectors.organisation_dashboard(organisation=tenant.organisation)
    return render(request, "reports/dashboard.html", {"tenant": tenant, **data})


app_name = "dashboards"
urlpatterns = [
    path("teams/<int:team_id>/matrix/", team_matrix, name="team_matrix"),
    path("people/<int:person_id>/gap/", person_gap, name="person_gap"),
    path("dashboard/", organisation_dashboard, name="organisation_dashboard"),
]
