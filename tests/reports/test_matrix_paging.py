"""A large team's matrix comes in pages of people (issue #14, P4): every page is a slice of one
order worked out over the whole team, so the pages hold the whole team exactly once, sorting and
the role lens work across them, the columns and the team's figures are the same on every page,
and the pager keeps the query string. The mentor pairs, the one whole-team figure not stored,
come in a request of their own."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from reports import gaps, selectors
from reports.recompute import recompute_organisation
from roles.models import RoleProfile
from roles.services import role_assign, role_requirement_set
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory, SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db

PAGE = 4


@pytest.fixture
def paged(monkeypatch):
    """Pages of four people, so that a team of eleven is three pages."""
    monkeypatch.setattr(selectors, "MATRIX_PAGE_SIZE", PAGE)


@pytest.fixture
def big_team(org_a):
    """The Backend team of ``_backend_team`` (member and manager) and nine engineers, some in a
    sub-team, with levels that give them different gaps; a Senior role to use as a lens; Go in
    its own category. "Engineer 8" wants to grow in API Design, at level 1: the manager (4)
    could mentor them. Results computed."""
    organisation = org_a.organisation
    team, api, sql, backend = _backend_team(org_a)
    with organisation_context(organisation):
        languages = SkillCategoryFactory(organisation=organisation, name="Languages")
        go = SkillFactory(organisation=organisation, name="Go", category=languages)
        role_requirement_set(role=backend, skill=go, target_level=2, weight=Decimal(1), by=None)
        senior = RoleProfile.objects.create(organisation=organisation, name="Senior Backend")
        role_requirement_set(role=senior, skill=api, target_level=5, weight=Decimal(3), by=None)
        role_requirement_set(role=senior, skill=sql, target_level=4, weight=Decimal(1), by=None)
        sub = TeamFactory(organisation=organisation, name="Payments API", parent=team)
        for n in range(9):
            person = PersonFactory(organisation=organisation, name=f"Engineer {n}")
            TeamMembershipFactory(
                organisation=organisation, team=sub if n % 2 else team, person=person
            )
            role_assign(organisation=organisation, person=person, role=backend, by=None)
            RatingFactory(
                organisation=organisation,
                person=person,
                skill=api,
                level=1 if n == 8 else n % 5,
                interest=n == 8,
            )
            if n % 3:
                RatingFactory(organisation=organisation, person=person, skill=sql, level=n % 6)
            if n % 4 == 0:
                RatingFactory(organisation=organisation, person=person, skill=go, level=3)
    recompute_organisation(organisation_id=organisation.pk)
    return team, {"api": api, "sql": sql, "go": go}, senior, languages


def _matrix(world, team, **kwargs) -> selectors.Matrix:
    with organisation_context(world.organisation):
        return selectors.team_matrix(organisation=world.organisation, team=team, **kwargs)


def _pages(world, team, **kwargs) -> list[selectors.Matrix]:
    first = _matrix(world, team, page=1, **kwargs)
    return [first] + [_matrix(world, team, page=n, **kwargs) for n in range(2, first.pages + 1)]


def _names(matrix: selectors.Matrix) -> list[str]:
    return [row.person.name for row in matrix.rows]


def test_the_pages_hold_the_whole_team_exactly_once_in_name_order(org_a, big_team, paged):
    team, *_ = big_team
    whole = _matrix(org_a, team)  # unpaged: the exports and the API
    pages = _pages(org_a, team)
    assert len(whole.rows) == 11 and [p.pages for p in pages] == [3, 3, 3]
    assert [len(p.rows) for p in pages] == [4, 4, 3]
    joined = [name for p in pages for name in _names(p)]
    assert joined == _names(whole) == sorted(joined, key=str.lower)
    assert len(set(joined)) == 11
    assert [p.first_shown for p in pages] == [1, 5, 9] and pages[-1].last_shown == 11
    # Every page knows the whole team, in the same order.
    assert all([x.name for x in p.people] == joined for p in pages)


def test_a_page_past_either_end_is_the_nearest_page(org_a, big_team, paged):
    team, *_ = big_team
    last, first = _matrix(org_a, team, page=99), _matrix(org_a, team, page=0)
    assert last.page == 3 and _names(last) == _names(_matrix(org_a, team, page=3))
    assert first.page == 1 and _names(first) == _names(_matrix(org_a, team, page=1))


def test_sorting_by_gap_orders_the_whole_team_before_the_page_is_cut(org_a, big_team, paged):
    team, *_ = big_team
    whole = _matrix(org_a, team, sort="gap")
    joined = [row for p in _pages(org_a, team, sort="gap") for row in p.rows]
    assert [r.person.name for r in joined] == _names(whole)
    gaps_in_order = [r.gap.gap if r.gap else 0 for r in joined]
    assert gaps_in_order == sorted(gaps_in_order, reverse=True)
    assert gaps_in_order[0] > gaps_in_order[-1]  # the team's gaps differ: the order means something


def test_the_role_lens_measures_and_sorts_the_whole_team_on_every_page(org_a, big_team, paged):
    team, skills, senior, _ = big_team
    whole = _matrix(org_a, team, role_id=senior.pk, sort="gap")
    pages = _pages(org_a, team, role_id=senior.pk, sort="gap")
    joined = [row for p in pages for row in p.rows]
    assert [(r.person.name, r.gap.gap) for r in joined] == [
        (r.person.name, r.gap.gap) for r in whole.rows
    ]
    for page in pages:
        assert page.lens == senior
        assert {c.skill for c in page.columns} == {skills["api"], skills["sql"]}
        # The team's targets and coverage against the lens, the whole team's on every page.
        assert [(c.skill, c.coverage) for c in page.columns] == [
            (c.skill, c.coverage) for c in whole.columns
        ]
        assert all(cell.target in (5, 4) for row in page.rows for cell in row.cells)


@pytest.mark.parametrize(
    "filters",
    [{}, {"category": True}, {"skills": ("sql", "go")}, {"sort": "coverage"}],
    ids=["none", "category", "skills", "coverage"],
)
def test_the_columns_and_team_figures_are_the_same_on_every_page(org_a, big_team, paged, filters):
    team, skills, _senior, languages = big_team
    kwargs: dict[str, object] = {}
    if filters.get("category"):
        kwargs["category_id"] = languages.pk
    if filters.get("skills"):
        kwargs["skill_ids"] = [skills[name].pk for name in filters["skills"]]
    if filters.get("sort"):
        kwargs["sort"] = filters["sort"]
    whole = _matrix(org_a, team, **kwargs)
    figures = [(c.skill.pk, c.coverage) for c in whole.columns]
    assert figures
    for page in _pages(org_a, team, **kwargs):
        assert [(c.skill.pk, c.coverage) for c in page.columns] == figures
        assert all(len(row.cells) == len(figures) for row in page.rows)
    # Each person's cells are the same whichever page they are on.
    cells = {r.person.pk: r.cells for r in whole.rows}
    for page in _pages(org_a, team, **kwargs):
        assert all(r.cells == cells[r.person.pk] for r in page.rows)


def _pager_queries(content: str) -> dict[str, dict[str, list[str]]]:
    """Each pager link's text → its query string, from the first pager on the page."""
    nav = content[content.index('<nav class="pagination matrix-pager"') :]
    nav = nav[: nav.index("</nav>")]
    return {
        text.strip(): parse_qs(urlsplit(html.unescape(href)).query)
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav)
    }


def test_the_pager_links_keep_the_lens_filters_sort_and_other_options(
    org_a, big_team, paged, login
):
    team, skills, senior, languages = big_team
    query = {
        "role": str(senior.pk),
        "category": str(languages.pk),
        "skill": [str(skills["go"].pk), str(skills["sql"].pk)],  # Go alone is in Languages
        "sort": "gap",
        "endorsements": "1",
        "page": "2",
    }
    response = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/", query)
    content = response.content.decode()
    assert response.status_code == 200
    assert "People 5–8 of 11" in content and '<span aria-current="page">Page 2</span>' in content
    links = _pager_queries(content)
    assert set(links) == {"Previous", "1", "3", "Next"}
    for text, page in (("Previous", "1"), ("1", "1"), ("3", "3"), ("Next", "3")):
        kept = {**{k: v if isinstance(v, list) else [v] for k, v in query.items()}, "page": [page]}
        assert links[text] == kept, text
    # Two pagers, above and below the matrix, each named for where it is.
    assert content.count('class="pagination matrix-pager"') == 2


def test_the_page_counts_and_names_the_whole_team(org_a, big_team, paged, login):
    team, *_ = big_team
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    assert "11 people, 3 skills, including sub-teams" in content
    assert "3 pages of people" in content
    # Four rows, then the team target and coverage rows.
    assert content.count('<th scope="row" class="sticky-col">') == PAGE + 2
    # The what-if list offers everyone, not only this page.
    what_if = content[content.index('id="f-without"') :]
    what_if = what_if[: what_if.index("</select>")]
    assert what_if.count("<option") == 11


def test_a_team_that_fits_on_one_page_has_no_pager(org_a, big_team, login):
    team, *_ = big_team
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/?page=2").content.decode()
    assert "matrix-pager" not in content and "pages of people" not in content
    assert content.count('<th scope="row" class="sticky-col">') == 11 + 2


def test_a_paged_matrix_leaves_the_whole_teams_mentor_pairs_to_their_own_request(
    org_a, big_team, paged, login
):
    team, *_ = big_team
    client = login(org_a.hr)
    content = client.get(f"/o/alpha/teams/{team.pk}/matrix/?sort=gap&page=2").content.decode()
    mentors = f"/o/alpha/teams/{team.pk}/matrix/mentors/"
    assert f'hx-get="{mentors}?"' in content and f'<a href="{mentors}?">' in content
    pair = f"API Design: {escape(org_a.people['manager'].name)} (4) could mentor Engineer 8 (1)"
    assert pair not in content
    # With htmx: the card alone, the whole team's pairs (Engineer 8 is on the last page by name).
    partial = client.get(mentors, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card mentor-pairs"')
    assert pair in partial and "<html" not in partial
    # Without JavaScript the link opens a page of its own, with a way back to the matrix.
    page = client.get(mentors).content.decode()
    assert pair in page and "<html" in page and "Back to the skill matrix" in page


def test_an_unpaged_matrix_shows_its_mentor_pairs_inline(org_a, big_team, login):
    team, *_ = big_team
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    assert "hx-get" not in content[content.index('id="mentor-pairs"') - 200 :][:400]
    assert "could mentor Engineer 8 (1)" in content


def test_the_mentor_pairs_follow_the_matrix_filters(org_a, big_team, paged, login):
    team, skills, *_ = big_team
    client = login(org_a.hr)
    only_sql = f"/o/alpha/teams/{team.pk}/matrix/mentors/?skill={skills['sql'].pk}"
    assert "could mentor Engineer 8" not in client.get(only_sql).content.decode()
    content = client.get(
        f"/o/alpha/teams/{team.pk}/matrix/?skill={skills['api'].pk}&page=3"
    ).content.decode()
    assert (
        f"/matrix/mentors/?skill={skills['api'].pk}" in content
    )  # the page's filters, not its page


def test_outsiders_and_other_teams_managers_get_no_mentor_pairs(org_a, org_b, big_team, login):
    team, *_ = big_team
    assert login(org_b.hr).get(f"/o/alpha/teams/{team.pk}/matrix/mentors/").status_code == 404
    assert login(org_a.member).get(f"/o/alpha/teams/{team.pk}/matrix/mentors/").status_code == 403
    assert login(org_a.manager).get(f"/o/alpha/teams/{team.pk}/matrix/mentors/").status_code == 403
    # Another organisation's team id through one's own organisation: missing.
    with organisation_context(org_b.organisation):
        theirs = TeamFactory(organisation=org_b.organisation)
    assert login(org_a.hr).get(f"/o/alpha/teams/{theirs.pk}/matrix/mentors/").status_code == 404
    assert login(org_a.hr).get(f"/o/alpha/teams/{theirs.pk}/matrix/").status_code == 404


def test_every_page_runs_as_many_statements_as_an_unpaged_matrix(
    org_a, big_team, login, monkeypatch
):
    team, *_ = big_team
    client = login(org_a.hr)
    url = f"/o/alpha/teams/{team.pk}/matrix/"
    client.get(url)
    with CaptureQueriesContext(connection) as whole:
        client.get(url)
    monkeypatch.setattr(selectors, "MATRIX_PAGE_SIZE", PAGE)
    for page in (1, 3):
        with CaptureQueriesContext(connection) as one_page:
            assert client.get(f"{url}?page={page}&sort=gap").status_code == 200
        assert len(one_page) == len(whole), "\n".join(q["sql"] for q in one_page)


def _mentor_pairs_reference(members: list[gaps.Member]) -> list[gaps.MentorPair]:
    """The definition as it was written before the one-pass version: skill by skill, every
    member looked at twice."""
    pairs = []
    skills = {s for m in members for s in m.levels} | {s for m in members for s in m.interests}
    for skill_id in sorted(skills):
        mentors = sorted(
            (m for m in members if m.levels.get(skill_id, 0) >= gaps.MENTOR_MIN_LEVEL),
            key=lambda m: (-m.levels[skill_id], m.person_id),
        )
        mentees = sorted(
            (
                m
                for m in members
                if skill_id in m.interests and m.levels.get(skill_id, 0) <= gaps.MENTEE_MAX_LEVEL
            ),
            key=lambda m: (m.levels.get(skill_id, 0), m.person_id),
        )
        for mentee in mentees:
            for mentor in mentors:
                if mentor.person_id != mentee.person_id:
                    pairs.append(
                        gaps.MentorPair(
                            skill_id,
                            mentor.person_id,
                            mentee.person_id,
                            mentor.levels[skill_id],
                            mentee.levels.get(skill_id, 0),
                        )
                    )
    return pairs


_members = st.lists(
    st.tuples(
        st.dictionaries(st.integers(1, 6), st.integers(0, 5), max_size=6),
        st.frozensets(st.integers(1, 6), max_size=3),
    ),
    max_size=8,
).map(
    lambda rows: [
        gaps.Member(person_id=i, requirements=(), levels=levels, interests=interests)
        for i, (levels, interests) in enumerate(rows, start=1)
    ]
)


@given(members=_members, limit=st.one_of(st.none(), st.integers(0, 12)))
def test_mentor_pairs_are_those_of_the_definition_and_stop_at_the_limit(members, limit):
    expected = _mentor_pairs_reference(members)
    assert gaps.mentor_pairs(members, limit=limit) == (
        expected if limit is None else expected[:limit]
    )


def test_equal_cells_are_one_object(org_a, big_team):
    team, *_ = big_team
    kinds: dict[tuple, set[int]] = defaultdict(set)
    for row in _matrix(org_a, team).rows:
        for cell in row.cells:
            kinds[
                (
                    cell.level,
                    cell.not_applicable,
                    cell.rated,
                    cell.stale,
                    cell.validated,
                    cell.target,
                )
            ].add(id(cell))
    assert all(len(ids) == 1 for ids in kinds.values())


def test_the_columns_run_by_category_then_name_with_the_uncategorised_last(org_a, big_team):
    team, *_ = big_team
    assert [c.skill.name for c in _matrix(org_a, team).columns] == ["Go", "API Design", "SQL"]
    # Each column's skill carries its category, without a query of its own (the API shows it).
    with CaptureQueriesContext(connection) as read:
        categories = [c.skill.category for c in _matrix(org_a, team).columns]
    names = [c.name if c else None for c in categories]
    assert names == ["Languages", None, None]
    assert not any("skills_skillcategory" in q["sql"] and "UNION" not in q["sql"] for q in read)


def test_a_hostile_skill_name_renders_escaped_in_headers_filters_and_mentor_pairs(
    org_a, big_team, paged, login
):
    team, skills, *_ = big_team
    hostile = '<img src=x onerror="alert(1)">'
    with organisation_context(org_a.organisation):
        skills["api"].name = hostile
        skills["api"].save(update_fields=["name"])
    client = login(org_a.hr)
    page = client.get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    mentors = client.get(
        f"/o/alpha/teams/{team.pk}/matrix/mentors/", headers={"HX-Request": "true"}
    ).content.decode()
    for content in (page, mentors):
        assert hostile not in content and "<img" not in content
    assert f"<span>{escape(hostile)}</span>" in page  # the column header
    assert f">{escape(hostile)}</option>" in page  # the skill filter
    assert f"{escape(hostile)}: " in mentors  # the pair's skill
