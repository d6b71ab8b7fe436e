"""Endorsement counts where managers and HR look for skills: the team matrix (on request, one
query for the whole matrix) and people search (a column, and "endorsed at least N times" per
criterion, combined with the levels). Hidden endorsements count nowhere."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from endorsements.services import endorsement_hide
from reports.recompute import recompute_organisation
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague
from tests.factories import PersonFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory

pytestmark = pytest.mark.django_db


def _matrix(client, team, **params):
    return client.get(f"/o/alpha/teams/{team.pk}/matrix/", params)


def _cell_titles(html: str, name: str) -> list[str]:
    row = next(r for r in html.split("<tr>") if f">{name}</a>" in r)
    return re.findall(r'<td class="cell[^"]*" title="([^"]*)"', row)


@pytest.fixture
def endorsed_team(org_a, colleague, endorse):
    """The Backend team (member and manager; API Design and SQL): the member endorsed twice for
    API Design (once more, hidden) and once for SQL, the manager once for API Design."""
    team, api, sql, _role = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    member, manager = org_a.people["member"], org_a.people["manager"]
    dave = add_colleague(org_a, "Dave Dev")
    endorse(org_a, colleague, member, api)
    endorse(org_a, org_a.hr, member, api)
    hidden = endorse(org_a, dave, member, api, "hidden one")
    with organisation_context(org_a.organisation):
        endorsement_hide(endorsement=hidden, by=org_a.member)
    endorse(org_a, colleague, member, sql)
    endorse(org_a, colleague, manager, api)
    return team, api, sql


def test_the_matrix_shows_endorsement_counts_per_cell_on_request(org_a, endorsed_team, login):
    team, _api, _sql = endorsed_team
    client = login(org_a.hr)
    member, manager = org_a.people["member"].name, org_a.people["manager"].name
    plain = _matrix(client, team).content.decode()
    assert "endorsement" not in " ".join(_cell_titles(plain, member))
    assert 'class="endorsed"' not in plain.split("<tbody>")[1]
    html = _matrix(client, team, endorsements="1").content.decode()
    # Columns by category then name: API Design, SQL. The hidden endorsement does not count.
    member_cells = _cell_titles(html, member)
    assert member_cells[0].endswith("; 2 endorsements") and member_cells[1].endswith(
        "; 1 endorsement"
    )
    manager_cells = _cell_titles(html, manager)
    assert manager_cells[0].endswith("; 1 endorsement")
    assert "endorsement" not in manager_cells[1]
    assert '<sub class="endorsed">✓2</sub>' in html
    assert 'name="endorsements" value="1" id="f-endorsements" checked' in html


def test_the_matrix_counts_cost_one_query_whatever_the_team_size(
    org_a, endorsed_team, colleague, endorse, login
):
    team, api, _sql = endorsed_team
    client = login(org_a.hr)
    client.get(f"/o/alpha/teams/{team.pk}/matrix/")

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert _matrix(client, team, **params).status_code == 200
        return len(queries)

    plain, small = count(), count(endorsements="1")
    assert small == plain + 1
    with organisation_context(org_a.organisation):
        for _ in range(12):
            person = PersonFactory(organisation=org_a.organisation)
            TeamMembershipFactory(organisation=org_a.organisation, team=team, person=person)
            RatingFactory(organisation=org_a.organisation, person=person, skill=api, level=3)
    for person in list(org_a.people.values())[:2]:
        endorse(org_a, org_a.admin, person, api)
    assert count(endorsements="1") == small


def _search(client, **params):
    return client.get(reverse("skills:people_search", kwargs={"org_slug": "alpha"}), params)


def _names(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    cells = [cell.split("</th>")[0] for cell in body.split('<th scope="row">')[1:]]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_people_search_shows_the_counts_of_the_searched_skills(org_a, endorsed_team, login):
    _team, api, sql = endorsed_team
    html = _search(login(org_a.hr), skill=[api.pk, sql.pk], min=["1", "1"]).content.decode()
    assert _names(html) == [org_a.people["member"].name]  # the manager has no SQL rating
    assert "Endorsements <small>(not hidden)</small>" in html
    assert "API Design: 2" in html and "SQL: 1" in html


def test_people_search_filters_by_endorsed_at_least_n_times_with_the_levels(
    org_a, endorsed_team, login
):
    _team, api, sql = endorsed_team
    client = login(org_a.hr)
    member, manager = org_a.people["member"].name, org_a.people["manager"].name
    both = _search(client, skill=api.pk, min="1").content.decode()
    assert sorted(_names(both)) == sorted([member, manager])
    once = _search(client, skill=api.pk, min="1", endorsed="1").content.decode()
    assert sorted(_names(once)) == sorted([member, manager])
    # The hidden third endorsement does not count: two is the member's, three is nobody's.
    twice = _search(client, skill=api.pk, min="1", endorsed="2").content.decode()
    assert _names(twice) == [member] and "1 person" in twice
    thrice = _search(client, skill=api.pk, min="1", endorsed="3").content.decode()
    assert _names(thrice) == [] and "Nobody you can see meets all of these." in thrice
    # The level still filters: the member is at 2 in API Design.
    high = _search(client, skill=api.pk, min="4", endorsed="1").content.decode()
    assert _names(high) == [manager]
    # Each criterion has its own minimum, and a blank row in between keeps them aligned.
    rows = _search(
        client, skill=["", api.pk, sql.pk], min=["1", "1", "1"], endorsed=["5", "2", "1"]
    ).content.decode()
    assert _names(rows) == [member]
    assert 'id="criterion-endorsed-1" value="2"' in rows
    assert 'id="criterion-endorsed-2" value="1"' in rows


def test_a_manager_searching_sees_only_their_people_even_when_filtering(
    org_a, endorsed_team, login
):
    _team, api, _sql = endorsed_team
    stranger = PersonFactory(organisation=org_a.organisation, name="Stranger Sam")
    RatingFactory(organisation=org_a.organisation, person=stranger, skill=api, level=5)
    html = _search(login(org_a.manager), skill=api.pk, min="1", endorsed="1").content.decode()
    assert "Stranger Sam" not in html
    assert sorted(_names(html)) == sorted(
        [org_a.people["member"].name, org_a.people["manager"].name]
    )


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1000", "1.5"])
def test_a_bad_endorsement_minimum_is_a_clear_form_error(org_a, endorsed_team, login, value):
    _team, api, _sql = endorsed_team
    response = _search(login(org_a.hr), skill=api.pk, min="1", endorsed=value)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a whole number of endorsements, from 1 to 999, or leave it empty." in html
    assert _names(html) == []
