"""Pages that read the materialised results: the team matrix (managers' main screen), what-if,
a person's gap view and the organisation dashboard. Mounted under /o/<org_slug>/ as "dashboards"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import Perm
from accounts.views_base import Tenant, org_view
from endorsements.selectors import endorsement_counts
from reports import selectors
from skills.selectors.ratings import person_get_visible


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
    # Endorsement counts per cell (#16), on request: one query for the whole matrix. They are
    # shown beside the levels and never change them.
    show_endorsements = request.GET.get("endorsements") == "1"
    endorsed: list[list[int] | None] = [None] * len(matrix.rows)
    if show_endorsements:
        counts = endorsement_counts(
            organisation=organisation,
            person_ids=[r.person.pk for r in matrix.rows],
            skill_ids=[c.skill.pk for c in matrix.columns],
        )
        endorsed = [
            [counts.get((r.person.pk, c.skill.pk), 0) for c in matrix.columns] for r in matrix.rows
        ]
    context = {
        "tenant": tenant,
        "matrix": matrix,
        "matrix_rows": list(zip(matrix.rows, endorsed, strict=True)),
        **selectors.matrix_filter_choices(organisation=organisation),
        "filters": {
            "role": role_id,
            "category": category_id,
            "sort": sort,
            "skills": skill_ids,
            "endorsements": show_endorsements,
        },
        "what_if": what_if,
        "what_if_person": next(
            (r.person for r in matrix.rows if r.person.pk == what_if_person), None
        ),
        "mentor_pairs": matrix.mentor_pairs,
    }
    return render(request, "reports/team_matrix.html", context)


@org_view()
def person_gap(request: HttpRequest, tenant: Tenant, person_id: int) -> HttpResponse:
    # Someone whose ratings the caller may not read is missing, as on the rating pages and in the API.
    person = person_get_visible(
        organisation=tenant.organisation, membership=tenant.membership, person_id=person_id
    )
    view = selectors.person_gap_view(organisation=tenant.organisation, person=person)
    return render(request, "reports/person_gap.html", {"tenant": tenant, "person": person, **view})


@org_view(Perm.RATINGS_VIEW_ALL)
def organisation_dashboard(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    data = selectors.organisation_dashboard(organisation=tenant.organisation)
    return render(request, "reports/dashboard.html", {"tenant": tenant, **data})
