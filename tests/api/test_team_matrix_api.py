"""The team matrix through the API comes in the page's pages (issue #14, P4): a 1,000-person
team is never one response. Every page is a slice of one order over the whole team, with links to
the next and previous pages; the endorsement filter of the page (#16) works here too."""

from __future__ import annotations

import pytest

from skillsmap.core.tenancy import organisation_context
from tests.endorsements import conftest as endorsing
from tests.endorsements import test_matrix_endorsed_filter as endorsed_filter
from tests.reports import test_matrix_paging as paging
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

# The page's fixtures, so that the API is tested on the very teams the page is.
big_team, paged = paging.big_team, paging.paged
colleague, endorse = endorsing.colleague, endorsing.endorse
team_endorsed = endorsed_filter.team_endorsed


def _url(world, team, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/orgs/{world.organisation.slug}/teams/{team.pk}/matrix/?{params}"


def _names(body) -> list[str]:
    return [row["name"] for row in body["rows"]]


def test_the_pages_hold_the_whole_team_once_and_link_to_each_other(org_a, big_team, paged, api):
    team, *_ = big_team
    client = api(org_a.hr)
    first = client.get(_url(org_a, team, sort="gap")).json()
    assert (first["page"], first["pages"], first["people"]) == (1, 3, 11)
    assert first["previous"] is None and len(first["rows"]) == 4

    pages, body = [first], first
    while body["next"]:
        assert "sort=gap" in body["next"]  # the link keeps the query
        body = client.get(body["next"]).json()
        pages.append(body)
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert pages[-1]["previous"].endswith("page=2")
    names = [name for p in pages for name in _names(p)]
    assert len(names) == len(set(names)) == 11
    # Sorted by gap over the whole team, before the page was cut.
    gaps = [float(r["gap"]) for p in pages for r in p["rows"] if r["gap"] is not None]
    assert gaps == sorted(gaps, reverse=True)
    # Columns and their figures are the team's, the same on every page.
    assert len({str(p["skills"]) for p in pages}) == 1


def test_a_page_past_the_last_is_the_last_and_a_bad_one_is_a_400(org_a, big_team, paged, api):
    team, *_ = big_team
    client = api(org_a.hr)
    last = client.get(_url(org_a, team, page=99)).json()
    assert last["page"] == 3 and last["next"] is None
    assert _names(last) == _names(client.get(_url(org_a, team, page=3)).json())
    for bad in ("0", "two"):
        response = client.get(_url(org_a, team, page=bad))
        assert response.status_code == 400 and "page" in response.json()["errors"]


def test_a_team_that_fits_on_one_page_has_no_links(org_a, big_team, api):
    team, *_ = big_team
    body = api(org_a.hr).get(_url(org_a, team)).json()
    assert (body["page"], body["pages"], body["people"], len(body["rows"])) == (1, 1, 11, 11)
    assert body["next"] is None and body["previous"] is None


def test_the_endorsement_filter_keeps_the_people_endorsed_often_enough(org_a, team_endorsed, api):
    team, api_skill, _sql = team_endorsed
    client = api(org_a.hr)
    everyone = client.get(_url(org_a, team)).json()
    once = client.get(_url(org_a, team, endorsed_skill=api_skill.pk)).json()
    twice = client.get(_url(org_a, team, endorsed_skill=api_skill.pk, endorsed=2)).json()
    member, manager = org_a.people["member"].name, org_a.people["manager"].name
    # Tess's second endorsement is hidden, so she is endorsed once; Nora only for SQL.
    assert sorted(_names(once)) == sorted([member, manager, "Tess Third"])
    assert _names(twice) == [member] and twice["people"] == 1
    # The figures stay the whole team's.
    assert once["skills"] == everyone["skills"] and everyone["people"] == 4


def test_another_organisations_skill_reads_like_a_missing_one(org_a, org_b, team_endorsed, api):
    team, *_ = team_endorsed
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation)
    client = api(org_a.hr)
    theirs = client.get(_url(org_a, team, endorsed_skill=foreign.pk))
    missing = client.get(_url(org_a, team, endorsed_skill=foreign.pk + 10_000))
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json() == missing.json()
    bad = client.get(_url(org_a, team, endorsed_skill=team_endorsed[1].pk, endorsed=0))
    assert bad.status_code == 400 and "endorsed" in bad.json()["errors"]
