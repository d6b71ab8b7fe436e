"""The team matrix as its readers meet it: the role lens recomputes every figure against the chosen
role, a team without role profiles still shows what its people rated, and the key is visible."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.html import escape

from reports.recompute import recompute_organisation
from reports.selectors import team_matrix
from roles.models import RoleProfile
from roles.services import role_requirement_set
from skills.models import RatingSource
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def _senior(world, api, sql):
    """A stricter role than Backend: API ≥ 5 (weight 3), SQL ≥ 4 (weight 1), and Go ≥ 2, which
    Backend does not ask for; the member knows Go at 3."""
    organisation = world.organisation
    with organisation_context(organisation):
        go = SkillFactory(organisation=organisation, name="Go")
        senior = RoleProfile.objects.create(organisation=organisation, name="Senior Backend")
        role_requirement_set(role=senior, skill=api, target_level=5, weight=Decimal(3), by=None)
        role_requirement_set(role=senior, skill=sql, target_level=4, weight=Decimal(1), by=None)
        role_requirement_set(role=senior, skill=go, target_level=2, weight=Decimal(1), by=None)
        RatingFactory(organisation=organisation, person=world.people["member"], skill=go, level=3)
    return senior, go


def test_the_role_lens_measures_every_figure_against_the_chosen_role(org_a):
    team, api, sql, _backend = _backend_team(org_a)
    senior, go = _senior(org_a, api, sql)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        matrix = team_matrix(organisation=org_a.organisation, team=team, role_id=senior.pk)
    assert matrix.lens == senior
    rows = {row.person: row for row in matrix.rows}
    member, manager = rows[org_a.people["member"]], rows[org_a.people["manager"]]
    skills = [col.skill for col in matrix.columns]
    assert set(skills) == {api, sql, go}
    # Denominator 3·5 + 1·4 + 1·2 = 21. Member: API 2, SQL 3, Go 3 → (3·3 + 1·1) / 21.
    # Manager: API 4, SQL and Go unrated → (3·1 + 1·4 + 1·2) / 21. Both hold Backend, not Senior.
    assert member.gap.gap == round(100 * 10 / 21, 2)
    assert manager.gap.gap == round(100 * 9 / 21, 2)
    shortfalls = {s: c.shortfall for s, c in zip(skills, member.cells, strict=True)}
    assert shortfalls == {api: 3, sql: 1, go: 0}
    assert [c.target for c in manager.cells] == [{api: 5, sql: 4, go: 2}[s] for s in skills]
    coverage = {col.skill: col.coverage for col in matrix.columns}
    assert {s: (c.target, c.coverage, c.bus_factor_risk) for s, c in coverage.items()} == {
        api: (5, 0, True),  # the manager's 4 covers Backend's 4, not Senior's 5
        sql: (4, 0, True),
        go: (2, 1, True),
    }


def test_the_lensed_page_labels_the_lens_and_shows_its_figures(org_a, login):
    team, api, sql, _backend = _backend_team(org_a)
    senior, _go = _senior(org_a, api, sql)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = (
        login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/?role={senior.pk}").content.decode()
    )
    assert "Role lens: <strong>Senior Backend</strong>" in content
    assert "48%" in content and "43%" in content  # 10/21 and 9/21, not Backend's 40 % and 20 %
    assert "40%" not in content
    assert '<sup class="short">−3</sup>' in content  # API 2 against Senior's 5
    assert ">uncovered</span>" in content  # nobody reaches API 5


def test_without_a_lens_the_matrix_keeps_the_stored_figures(org_a, login):
    team, *_ = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        matrix = team_matrix(organisation=org_a.organisation, team=team)
    assert matrix.lens is None
    assert sorted(float(r.gap.gap) for r in matrix.rows) == [20.0, 40.0]


def test_another_organisations_role_as_a_lens_is_missing(org_a, org_b, login):
    team, *_ = _backend_team(org_a)
    with organisation_context(org_b.organisation):
        foreign = RoleProfile.objects.create(organisation=org_b.organisation, name="Theirs")
    client = login(org_a.hr)
    assert client.get(f"/o/alpha/teams/{team.pk}/matrix/?role={foreign.pk}").status_code == 404
    assert client.get(f"/o/alpha/teams/{team.pk}/matrix/?role=999999").status_code == 404


def test_a_team_without_role_profiles_shows_the_skills_its_people_rated(org_a, login):
    organisation = org_a.organisation
    with organisation_context(organisation):
        team = TeamFactory(organisation=organisation, name="Design")
        people = [PersonFactory(organisation=organisation) for _ in range(2)]
        rated = [SkillFactory(organisation=organisation, name=f"Craft {n}") for n in range(3)]
        SkillFactory(organisation=organisation, name="Nobody rated this")
        for person in people:
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
        RatingFactory(organisation=organisation, person=people[0], skill=rated[0], level=4)
        RatingFactory(organisation=organisation, person=people[0], skill=rated[1], level=2)
        RatingFactory(organisation=organisation, person=people[1], skill=rated[2], level=3)
        matrix = team_matrix(organisation=organisation, team=team)
    assert matrix.rated_only
    assert {col.skill for col in matrix.columns} == set(rated)
    assert all(cell.target is None for row in matrix.rows for cell in row.cells)
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    assert "2 people, 3 skills" in content
    assert "the matrix shows the skills the team's people rated" in content
    assert "<span>Nobody rated this</span>" not in content


def test_the_legend_is_visible_and_coverage_zero_reads_uncovered(org_a, login):
    team, api, *_ = _backend_team(org_a)
    with organisation_context(org_a.organisation):
        # The manager's API level falls below Backend's 4: nobody covers API any more.
        RatingFactory(
            organisation=org_a.organisation, person=org_a.people["manager"], skill=api, level=1,
            source=RatingSource.MANAGER, rated_at=timezone.now() + timedelta(minutes=1),
        )  # fmt: skip
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    legend = content[content.index('<div class="matrix-legend"') : content.index("matrix-scroll")]
    assert "visually-hidden" not in legend
    for key in ("Not rated", "Not applicable", "stale", "levels short of the target", "Bus factor"):
        assert key in legend
    footer = content[content.index("<tfoot>") : content.index("</tfoot>")]
    assert ">uncovered</span>" in footer  # API: 0 at target
    assert footer.count("bus factor") == 1  # SQL: the member alone covers it
    assert escape("Team target") in footer
