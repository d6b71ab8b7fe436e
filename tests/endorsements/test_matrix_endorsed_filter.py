"""The team matrix's endorsement filter (#16): "Endorsed in <skill>, at least N times" keeps only
the people with that many visible endorsements in the skill, over the whole team before the page
is cut, with the counting of ``endorsements.selectors.endorsement_counts`` (hidden endorsements
count nowhere) and the bounds of people search. Levels, gaps, coverage and mentor pairs stay the
whole team's."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from endorsements.services import endorsement_hide
from reports import selectors
from reports.recompute import recompute_organisation
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague
from tests.factories import PersonFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

ERROR = "Give a whole number of endorsements, from 1 to 999, or leave it empty."
MISSING_SKILL = 987_654


@pytest.fixture
def team_endorsed(org_a, colleague, endorse):
    """The Backend team (member, manager; API Design and SQL) with Tess and Nora: the member is
    endorsed twice for API Design, the manager once, Tess once and once more hidden, Nora never
    (she has one for SQL). Results computed."""
    team, api, sql, _role = _backend_team(org_a)
    organisation = org_a.organisation
    dave = add_colleague(org_a, "Dave Dev")
    tess_user = add_colleague(org_a, "Tess Third")
    add_colleague(org_a, "Nora None")
    tess, nora = org_a.people["Tess Third"], org_a.people["Nora None"]
    with organisation_context(organisation):
        for person in (tess, nora):
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            RatingFactory(organisation=organisation, person=person, skill=api, level=3)
    member, manager = org_a.people["member"], org_a.people["manager"]
    endorse(org_a, colleague, member, api)
    endorse(org_a, org_a.hr, member, api)
    endorse(org_a, colleague, manager, api)
    endorse(org_a, colleague, tess, api)
    hidden = endorse(org_a, dave, tess, api, "hidden one")
    with organisation_context(organisation):
        endorsement_hide(endorsement=hidden, by=tess_user)
    endorse(org_a, colleague, nora, sql)
    recompute_organisation(organisation_id=organisation.pk)
    return team, api, sql


@pytest.fixture
def beta_endorsed(org_b, endorse):
    """Beta's own "API Design", its member endorsed for it three times."""
    organisation = org_b.organisation
    with organisation_context(organisation):
        api = SkillFactory(organisation=organisation, name="API Design")
    for name in ("Bea Beta", "Bob Beta", "Ben Beta"):
        endorse(org_b, add_colleague(org_b, name), org_b.people["member"], api)
    return api


def _get(client, team, **params):
    return client.get(f"/o/alpha/teams/{team.pk}/matrix/", params)


def _names(content: str) -> list[str]:
    body = content.split("<tbody>")[1].split("</tbody>")[0]
    return [html.unescape(n) for n in re.findall(r'/gap/">([^<]*)</a>', body)]


def _selector(world, team, **kwargs) -> selectors.Matrix:
    with organisation_context(world.organisation):
        return selectors.team_matrix(organisation=world.organisation, team=team, **kwargs)


def test_endorsed_at_least_n_times_keeps_only_those_people(org_a, team_endorsed, login):
    team, api, _sql = team_endorsed
    client = login(org_a.hr)
    member, manager = org_a.people["member"].name, org_a.people["manager"].name
    everyone = _names(_get(client, team).content.decode())
    assert len(everyone) == 4
    # Tess has two, but one is hidden: it counts nowhere.
    twice = _get(client, team, endorsed_skill=api.pk, endorsed="2").content.decode()
    assert _names(twice) == [member]
    assert "Only the people endorsed at least 2 times in <strong>API Design</strong>: 1 of 4" in (
        twice
    )
    assert "1 of 4 people, 2 skills" in twice
    once = _get(client, team, endorsed_skill=api.pk, endorsed="1").content.decode()
    assert sorted(_names(once)) == sorted([member, manager, "Tess Third"])
    # N left empty is once; three times is nobody.
    assert _names(_get(client, team, endorsed_skill=api.pk).content.decode()) == _names(once)
    nobody = _get(client, team, endorsed_skill=api.pk, endorsed="3").content.decode()
    assert _names(nobody) == [] and "0 of 4" in nobody
    # The form shows the filter again.
    assert (
        f'<option value="{api.pk}" selected>API Design</option>'
        in twice.split('id="f-endorsed-skill"')[1].split("</select>")[0]
    )
    assert 'name="endorsed" id="f-endorsed" value="2"' in twice


def test_the_filter_never_changes_levels_gaps_coverage_or_mentor_pairs(org_a, team_endorsed):
    team, api, _sql = team_endorsed
    whole = _selector(org_a, team)
    kept = _selector(org_a, team, endorsed=selectors.EndorsedAtLeast(skill_id=api.pk, times=1))
    assert kept.endorsed is not None and kept.endorsed.skill.name == "API Design"
    assert len(kept.rows) == 3 and len(whole.rows) == 4
    rows = {r.person.pk: (r.cells, r.gap, r.role) for r in whole.rows}
    assert all((r.cells, r.gap, r.role) == rows[r.person.pk] for r in kept.rows)
    assert [(c.skill, c.coverage) for c in kept.columns] == [
        (c.skill, c.coverage) for c in whole.columns
    ]
    assert kept.mentor_pairs == whole.mentor_pairs
    assert [p.pk for p in kept.team_people] == [p.pk for p in whole.people]
    # With a lens too: the live figures are the whole team's.
    lens = {"role_id": whole.rows[0].role.pk}
    whole_lens = _selector(org_a, team, **lens)
    kept_lens = _selector(
        org_a, team, endorsed=selectors.EndorsedAtLeast(skill_id=api.pk, times=2), **lens
    )
    assert [c.coverage for c in kept_lens.columns] == [c.coverage for c in whole_lens.columns]
    gaps = {r.person.pk: r.gap for r in whole_lens.rows}
    assert [r.gap for r in kept_lens.rows] == [gaps[r.person.pk] for r in kept_lens.rows]


def _without_csrf(content: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)


def test_another_organisations_skill_is_no_filter_exactly_like_a_missing_one(
    org_a, team_endorsed, beta_endorsed, login
):
    team, _api, _sql = team_endorsed
    client = login(org_a.hr)
    missing = _get(client, team, endorsed_skill=MISSING_SKILL, endorsed="1")
    theirs = _get(client, team, endorsed_skill=beta_endorsed.pk, endorsed="1")
    plain = _get(client, team, endorsed="1")
    assert missing.status_code == theirs.status_code == plain.status_code == 200
    assert _without_csrf(theirs.content.decode()) == _without_csrf(missing.content.decode())
    assert _without_csrf(theirs.content.decode()) == _without_csrf(plain.content.decode())
    assert len(_names(theirs.content.decode())) == 4
    assert "Only the people endorsed" not in theirs.content.decode()
    # A skill id that is not a number, or an archived skill, is no filter either.
    not_a_number = _get(client, team, endorsed_skill="abc", endorsed="1").content.decode()
    assert _without_csrf(not_a_number) == _without_csrf(plain.content.decode())


def test_another_organisations_endorsements_never_count(org_a, team_endorsed, beta_endorsed, login):
    team, api, _sql = team_endorsed
    # Beta's member has three endorsements of Beta's API Design; Alpha's count only Alpha's.
    content = _get(login(org_a.hr), team, endorsed_skill=api.pk, endorsed="3").content.decode()
    assert _names(content) == [] and "0 of 4" in content
    kept = _selector(
        org_a, team, endorsed=selectors.EndorsedAtLeast(skill_id=beta_endorsed.pk, times=1)
    )
    assert kept.endorsed is None and len(kept.rows) == 4


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1000", "1.5", " 2x"])
def test_a_bad_number_of_endorsements_is_a_clear_form_error(org_a, team_endorsed, login, value):
    team, api, _sql = team_endorsed
    response = _get(login(org_a.hr), team, endorsed_skill=api.pk, endorsed=value)
    assert response.status_code == 400
    content = response.content.decode()
    assert ERROR in content and 'aria-invalid="true" aria-describedby="f-endorsed-error"' in content
    # The matrix shows without the filter, saying so by not naming it.
    assert len(_names(content)) == 4 and "Only the people endorsed" not in content


def test_the_number_is_shown_again_escaped(org_a, team_endorsed, login):
    team, api, _sql = team_endorsed
    payload = '"><script>alert(1)</script>'
    content = _get(login(org_a.hr), team, endorsed_skill=api.pk, endorsed=payload).content
    assert b"<script>alert(1)</script>" not in content
    assert html.escape(payload).encode() in content


def test_the_filter_costs_one_statement_and_only_when_used(org_a, team_endorsed, login):
    team, api, _sql = team_endorsed
    client = login(org_a.hr)
    _get(client, team)

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert _get(client, team, **params).status_code == 200
        return len(queries)

    plain = count()
    assert count(endorsed_skill=api.pk, endorsed="2") == plain + 1
    assert count(endorsed_skill=MISSING_SKILL, endorsed="2") == plain
    assert count(endorsed="2") == plain


PAGE = 2


@pytest.fixture
def paged(monkeypatch):
    monkeypatch.setattr(selectors, "MATRIX_PAGE_SIZE", PAGE)


@pytest.fixture
def big_endorsed(org_a, team_endorsed, endorse):
    """Six more engineers; Engineers 0, 2 and 4 endorsed twice for API Design, the others once."""
    team, api, sql = team_endorsed
    organisation = org_a.organisation
    endorsers = [org_a.admin, org_a.hr]
    with organisation_context(organisation):
        engineers = [
            PersonFactory(organisation=organisation, name=f"Engineer {n}") for n in range(6)
        ]
        for person in engineers:
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
    for n, person in enumerate(engineers):
        for by in endorsers[: 2 if n % 2 == 0 else 1]:
            endorse(org_a, by, person, api)
    return team, api, sql


def test_the_filter_applies_over_the_whole_team_before_the_page_is_cut(
    org_a, big_endorsed, paged, login
):
    team, api, _sql = big_endorsed
    endorsed = selectors.EndorsedAtLeast(skill_id=api.pk, times=2)
    whole = _selector(org_a, team, endorsed=endorsed)
    expected = ["Engineer 0", "Engineer 2", "Engineer 4", org_a.people["member"].name]
    assert sorted(r.person.name for r in whole.rows) == sorted(expected)
    first = _selector(org_a, team, endorsed=endorsed, page=1)
    pages = [first] + [
        _selector(org_a, team, endorsed=endorsed, page=n) for n in range(2, first.pages + 1)
    ]
    assert [len(p.rows) for p in pages] == [2, 2]
    joined = [r.person.name for p in pages for r in p.rows]
    assert joined == [r.person.name for r in whole.rows]
    # Through the page: "People 3–4 of 4", and the pager links keep the filter.
    client = login(org_a.hr)
    query = {"endorsed_skill": str(api.pk), "endorsed": "2", "sort": "gap", "page": "2"}
    content = _get(client, team, **query).content.decode()
    assert "People 3–4 of 4" in content and "4 of 10 people" in content
    nav = content[content.index('<nav class="pagination matrix-pager"') :]
    nav = nav[: nav.index("</nav>")]
    links = {
        text.strip(): parse_qs(urlsplit(html.unescape(href)).query)
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav)
    }
    assert set(links) == {"Previous", "1"}
    for link in links.values():
        assert link == {**{k: [v] for k, v in query.items()}, "page": ["1"]}
    # The what-if form keeps the filter and still offers the whole team.
    what_if = content[content.index('<section class="card what-if">') :]
    assert f'name="endorsed_skill" value="{api.pk}"' in what_if
    assert 'name="endorsed" value="2"' in what_if
    offered = what_if[what_if.index('id="f-without"') :]
    assert offered[: offered.index("</select>")].count("<option") == 10
    # The mentor pairs' request is the whole team's: no endorsement filter in it.
    hx = re.search(r'hx-get="([^"]*)"', content)
    assert hx is not None and "endorsed" not in hx.group(1)
