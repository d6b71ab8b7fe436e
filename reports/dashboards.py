"""Pages that read the materialised results: the team matrix (managers' main screen), what-if,
a person's gap view and the organisation dashboard. Mounted under /o/<org_slug>/ as "dashboards"."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import Perm
from accounts.views_base import HtmxHttpRequest, Tenant, org_view
from endorsements.search import endorsed_minimum_parse
from endorsements.selectors import endorsement_counts
from reports import selectors
from skills.selectors.ratings import person_get_visible


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _matrix_filters(request: HttpRequest) -> dict[str, Any]:
    """The matrix's lens and column filters from the query string, as the selectors take them."""
    skill_ids = [i for i in (_int(v) for v in request.GET.getlist("skill")) if i]
    return {
        "role_id": _int(request.GET.get("role")),
        "category_id": _int(request.GET.get("category")),
        "skill_ids": skill_ids or None,
    }


def _endorsed_filter(request: HttpRequest) -> tuple[selectors.EndorsedAtLeast | None, str, str]:
    """The matrix's "endorsed in <skill> at least N times" (#16), worded and bounded as people
    search's (``endorsements.search``): (the filter, the number as typed, its error). N left
    empty is 1; a bad N is an error and no filter. The skill is checked against the
    organisation's by the selector: an unknown one is no filter, as in the skill list."""
    raw = request.GET.get("endorsed", "")
    times, error = endorsed_minimum_parse(raw)
    skill_id = _int(request.GET.get("endorsed_skill"))
    if error or not skill_id:
        return None, raw, error
    return selectors.EndorsedAtLeast(skill_id=skill_id, times=times or 1), raw, ""


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def team_matrix(request: HttpRequest, tenant: Tenant, team_id: int) -> HttpResponse:
    organisation = tenant.organisation
    filters = _matrix_filters(request)
    at_least, endorsed_raw, endorsed_error = _endorsed_filter(request)
    sort = request.GET.get("sort", "person")
    # A page of the people (selectors.MATRIX_PAGE_SIZE), sorted and measured over the whole team.
    matrix = selectors.team_matrix_for(
        organisation=organisation,
        tenant=tenant,
        team_id=team_id,
        sort=sort if sort in {"person", "gap", "coverage", "skill"} else "person",
        page=_int(request.GET.get("page")) or 1,
        endorsed=at_least,
        **filters,
    )
    team_people = matrix.team_people
    what_if = None
    what_if_person = _int(request.GET.get("without"))
    if what_if_person:
        what_if = selectors.team_what_if(
            organisation=organisation, team=matrix.team, person_id=what_if_person
        )
    # Endorsement counts per cell (#16), on request: one query for the page's cells. They are
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
        "choices": matrix.choices,
        "filters": {
            "role": filters["role_id"],
            "category": filters["category_id"],
            "sort": sort,
            "skills": filters["skill_ids"] or [],
            "endorsements": show_endorsements,
            "endorsed_skill": _int(request.GET.get("endorsed_skill")),
            "endorsed": endorsed_raw,
            "endorsed_error": endorsed_error,
        },
        "what_if": what_if,
        # Everyone, whether the endorsement filter keeps them or not: what-if is the team's.
        "what_if_people": team_people,
        "what_if_person": next((p for p in team_people if p.pk == what_if_person), None),
        "mentor_pairs": matrix.mentor_pairs,
    }
    # A bad number is the form's error, as in people search; the matrix shows without it.
    status = 400 if endorsed_error else 200
    return render(request, "reports/team_matrix.html", context, status=status)


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def team_matrix_mentors(request: HtmxHttpRequest, tenant: Tenant, team_id: int) -> HttpResponse:
    """A paged matrix's mentor pairs (the whole team's), in a request of their own: the matrix
    page loads them with htmx when they scroll into view, or links here without JavaScript."""
    team, pairs = selectors.team_mentor_pairs_for(
        organisation=tenant.organisation, tenant=tenant, team_id=team_id, **_matrix_filters(request)
    )
    template = "reports/_mentor_pairs.html" if request.htmx else "reports/team_mentor_pairs.html"
    return render(request, template, {"tenant": tenant, "team": team, "mentor_pairs": pairs})


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
    # A page of the team table (selectors.DASHBOARD_TEAMS_PAGE_SIZE teams): a number that is not
    # one is the first page, one past the last the last.
    data = selectors.organisation_dashboard(
        organisation=tenant.organisation, teams_page=_int(request.GET.get("teams_page")) or 1
    )
    return render(request, "reports/dashboard.html", {"tenant": tenant, **data})
