"""The pages that read the materialised results: team matrix, what-if, person gap, dashboard."""

import random
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import recompute_organisation
from reports.selectors import DASHBOARD_RISKS_SHOWN, dashboard_risks
from reports.snapshots import snapshot_take
from roles.models import RoleProfile
from skills.models import Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team, TeamManager, TeamMembership
from tests.factories import PersonFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory

pytestmark = pytest.mark.django_db


def _lead(world, team):
    with organisation_context(world.organisation):
        TeamManager.objects.create(
            organisation=world.organisation, team=team, person=world.people["manager"]
        )


def test_the_team_lead_sees_levels_gaps_coverage_and_the_bus_factor(org_a, login):
    team, _api, _sql, _role = _backend_team(org_a)
    _lead(org_a, team)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    response = login(org_a.manager).get(f"/o/alpha/teams/{team.pk}/matrix/")
    content = response.content.decode()
    assert response.status_code == 200
    assert escape(org_a.people["member"].name) in content and "API Design" in content
    assert "40%" in content  # the member's gap against Backend
    assert "−2" in content  # API 2 against a target of 4
    assert "bus factor" in content
    assert "Gap figures computed" in content


def test_a_manager_gets_403_for_a_team_they_do_not_lead_and_a_member_for_any(org_a, login):
    team, *_ = _backend_team(org_a)
    assert login(org_a.manager).get(f"/o/alpha/teams/{team.pk}/matrix/").status_code == 403
    assert login(org_a.member).get(f"/o/alpha/teams/{team.pk}/matrix/").status_code == 403
    assert login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").status_code == 200


def test_the_matrix_says_when_results_are_behind(org_a, login):
    team, *_ = _backend_team(org_a)
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    assert "not been computed yet" in content


def test_what_if_names_the_skill_a_departure_leaves_uncovered(org_a, login):
    team, _api, *_ = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    manager = org_a.people["manager"]
    content = (
        login(org_a.hr)
        .get(f"/o/alpha/teams/{team.pk}/matrix/?without={manager.pk}")
        .content.decode()
    )
    assert f"Without {escape(manager.name)}" in content
    assert "API Design: coverage 1 → 0" in content


def test_the_matrix_has_a_fixed_number_of_queries(org_a, login):
    team, api, _sql, role = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    client = login(org_a.hr)
    url = f"/o/alpha/teams/{team.pk}/matrix/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    with organisation_context(org_a.organisation):
        from roles.services import role_assign

        for _ in range(25):
            person = PersonFactory(organisation=org_a.organisation)
            TeamMembershipFactory(organisation=org_a.organisation, team=team, person=person)
            role_assign(organisation=org_a.organisation, person=person, role=role, by=None)
            RatingFactory(organisation=org_a.organisation, person=person, skill=api, level=3)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    # 27 people, then the team target and coverage rows.
    assert response.content.decode().count('<th scope="row" class="sticky-col">') == 29
    assert len(large) == len(small)


def test_a_person_sees_their_own_readiness_and_missing_skills(org_a, login):
    _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    snapshot_take(organisation_id=org_a.organisation.pk)
    response = login(org_a.member).get(f"/o/alpha/people/{org_a.people['member'].pk}/gap/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "60%</strong> ready" in content and "API Design" in content
    assert 'data-chart="person-trend"' in content


def test_a_colleague_may_not_see_someone_elses_gap(org_a, login):
    # Read as missing, as on the rating pages and in the API: no hint that the person exists.
    _backend_team(org_a)
    response = login(org_a.member).get(f"/o/alpha/people/{org_a.people['manager'].pk}/gap/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "role,status", [("admin", 200), ("hr", 200), ("manager", 403), ("member", 403)]
)
def test_the_dashboard_is_for_hr_and_admins(role, status, org_a, login):
    assert login(org_a.user(role)).get("/o/alpha/dashboard/").status_code == status


def test_the_dashboard_shows_gap_by_team_and_role_and_the_risks(org_a, login):
    team, *_ = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = login(org_a.hr).get("/o/alpha/dashboard/").content.decode()
    assert team.name in content and "Backend" in content
    assert "API Design" in content  # a bus-factor risk


def test_names_render_escaped_on_the_matrix(org_a, login):
    team, *_ = _backend_team(org_a)
    with organisation_context(org_a.organisation):
        person = org_a.people["member"]
        person.name = "<script>alert(1)</script>"
        person.save(update_fields=["name"])
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    assert "<script>alert(1)</script>" not in content


def test_the_team_page_suggests_mentor_pairs(org_a, login):
    team, api, *_ = _backend_team(org_a)
    with organisation_context(org_a.organisation):
        RatingFactory(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            skill=api,
            level=1,
            interest=True,
        )
    content = login(org_a.hr).get(f"/o/alpha/teams/{team.pk}/matrix/").content.decode()
    member, manager = escape(org_a.people["member"].name), escape(org_a.people["manager"].name)
    assert f"API Design: {manager} (4) could mentor {member} (1)" in content


def test_the_matrix_filters_by_skill_and_sorts_skills_by_name(org_a, login):
    team, _api, sql, _ = _backend_team(org_a)
    client = login(org_a.hr)
    only_sql = client.get(f"/o/alpha/teams/{team.pk}/matrix/?skill={sql.pk}").content.decode()
    assert "<span>SQL</span>" in only_sql and "<span>API Design</span>" not in only_sql
    by_name = client.get(f"/o/alpha/teams/{team.pk}/matrix/?sort=skill").content.decode()
    assert by_name.index("<span>API Design</span>") < by_name.index("<span>SQL</span>")


def test_the_dashboard_trend_averages_people_not_empty_teams(org_a):
    from datetime import date
    from decimal import Decimal

    from reports.models import GapSnapshot
    from reports.selectors import organisation_dashboard
    from tests.factories import TeamFactory

    _team, _api, _sql, role = _backend_team(org_a)
    with organisation_context(org_a.organisation):
        TeamFactory(organisation=org_a.organisation, name="Empty parent")
        for day, gaps in ((date(2026, 9, 1), (50, 30)), (date(2026, 9, 8), (40, 20))):
            for person, gap in zip(("member", "manager"), gaps, strict=True):
                GapSnapshot.objects.create(
                    organisation=org_a.organisation,
                    day=day,
                    person=org_a.people[person],
                    role=role,
                    kind="current",
                    gap=Decimal(gap),
                )
        chart = organisation_dashboard(organisation=org_a.organisation)["gap_chart"]
    assert chart["labels"] == ["2026-09-01", "2026-09-08"]
    assert chart["series"][0]["data"] == [40.0, 30.0]  # people's mean, whatever the teams


def test_matrix_cells_say_level_state_and_shortfall():
    from reports.selectors import MatrixCell
    from reports.templatetags.matrix import matrix_cells

    html = matrix_cells(
        [
            MatrixCell(2, False, True, True, True, 4),
            MatrixCell(None, True, True, False, False, None),
            MatrixCell(0, False, False, False, False, 3),
        ]
    )
    assert html == (
        '<td class="cell lvl-2 stale" title="level 2, validated, stale; target 4">2'
        '<sup class="short">−2</sup></td>'
        '<td class="cell lvl-na" title="not applicable">n/a</td>'
        '<td class="cell lvl-0 unrated" title="not rated; target 3">·'
        '<sup class="short">−3</sup></td>'
    )


# --- The dashboard's team table, in pages ------------------------------------------------------


def _many_teams(world, count, prefix="Team"):
    """``count`` teams named ``{prefix} 0000``…: every tenth with no member, the next with one
    member who has no role, the others with one member whose current-role gap is ``n % 50``
    (so that averages tie and the name decides). Returns the teams in the dashboard's order."""
    organisation = world.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name=f"{prefix} role")
        teams = Team.objects.bulk_create(
            Team(organisation=organisation, name=f"{prefix} {n:04}") for n in range(count)
        )
        people = Person.objects.bulk_create(
            Person(organisation=organisation, name=f"{prefix} person {n}", email=f"{n}@{prefix}.x")
            for n in range(count)
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(organisation=organisation, team=team, person=person)
            for n, (team, person) in enumerate(zip(teams, people, strict=True))
            if n % 10 != 0
        )
        scores = [
            GapScore(
                organisation=organisation, person=person, role=role, kind="current",
                gap=Decimal(n % 50), readiness=Decimal(100 - n % 50), met=0, total=1,
                computed_at=timezone.now(), inputs_version=1,
            )
            for n, person in enumerate(people)
            if n % 10 > 1
        ]  # fmt: skip
        GapScore.objects.bulk_create(scores)

    def order(pair):
        n, team = pair
        gap = None if n % 10 < 2 else n % 50
        return (gap is None, -(gap or 0), team.name.lower(), team.name, team.pk)

    return [team for _n, team in sorted(enumerate(teams), key=order)]


def _team_table(content):
    """The team ids the page's "Gap by team" table links to, in order."""
    section = content[content.index("Gap by team") : content.index("Gap by role")]
    return [int(t) for t in re.findall(r'href="/o/[\w-]+/teams/(\d+)/matrix/"', section)]


def test_the_dashboard_shows_fifty_teams_a_page_and_every_team_once(org_a, login):
    teams = _many_teams(org_a, 120)
    client = login(org_a.hr)
    pages = [client.get(f"/o/alpha/dashboard/?teams_page={n}").content.decode() for n in (1, 2, 3)]
    shown = [_team_table(page) for page in pages]
    assert [len(ids) for ids in shown] == [50, 50, 20]
    # The highest average first, ties by name, the teams without one last by name: each once.
    assert [pk for ids in shown for pk in ids] == [t.pk for t in teams]
    assert "Teams 1–50 of 120" in pages[0] and "Teams 51–100 of 120" in pages[1]
    assert "Teams 101–120 of 120" in pages[2]
    assert '<nav class="pagination" aria-label="Pages of teams">' in pages[1]
    assert 'href="?teams_page=1" rel="prev">Previous</a>' in pages[1]
    assert 'href="?teams_page=3" rel="next">Next</a>' in pages[1]
    assert 'rel="prev"' not in pages[0] and 'href="?teams_page=2" rel="next"' in pages[0]
    assert 'rel="next"' not in pages[2]
    last = pages[2][pages[2].index("Gap by team") : pages[2].index("Gap by role")]
    assert "No gap: no members of its own" in last
    assert "No gap: nobody here has a role profile" in last


@pytest.mark.parametrize(
    "asked,page", [("0", 1), ("-1", 1), ("abc", 1), ("", 1), ("4", 3), ("9" * 30, 3)]
)
def test_a_team_page_out_of_range_is_the_nearest_page(asked, page, org_a, login):
    teams = _many_teams(org_a, 120)
    response = login(org_a.hr).get(f"/o/alpha/dashboard/?teams_page={asked}")
    assert response.status_code == 200
    expected = [t.pk for t in teams][(page - 1) * 50 : page * 50]
    assert _team_table(response.content.decode()) == expected


def test_the_dashboard_never_shows_another_organisations_teams(org_a, org_b, login):
    _many_teams(org_a, 60)
    others = _many_teams(org_b, 60, prefix="Beta")
    client = login(org_a.hr)
    pages = [client.get(f"/o/alpha/dashboard/?teams_page={n}").content.decode() for n in (1, 2)]
    assert "Teams 51–60 of 60" in pages[1]
    assert not {t.pk for t in others} & set(_team_table(pages[0]) + _team_table(pages[1]))
    assert not any("Beta" in page for page in pages)


def test_the_dashboard_runs_the_same_statements_for_3_teams_and_1100(org_a, org_b, login):
    _many_teams(org_b, 3)
    _many_teams(org_a, 1100)
    counts = []
    for world, slug, pages in ((org_b, "beta", (1,)), (org_a, "alpha", (1, 22))):
        client = login(world.hr)
        for page in pages:
            url = f"/o/{slug}/dashboard/?teams_page={page}"
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                content = client.get(url).content.decode()
            counts.append(len(captured))
    assert "Teams 1,051–1,100 of 1,100" in content
    assert len(set(counts)) == 1 and counts[0] <= 12


@pytest.mark.parametrize("rows", [40, 900])
def test_the_dashboards_risks_are_the_first_200_of_all_and_counted(rows, org_a, org_b):
    """The risks come from the few teams the first 200 fall in (``dashboard_risks``): the same
    list as ordering every risk, and the number of all of them; another organisation's are not."""
    draw = random.Random(rows)
    for world in (org_b, org_a):  # org_a's last: its rows are the ones checked
        organisation = world.organisation
        with organisation_context(organisation):
            teams = Team.objects.bulk_create(
                Team(organisation=organisation, name=name) for name in ("b", "C", "a", "d", "e")
            )
            skills = Skill.objects.bulk_create(
                Skill(organisation=organisation, name=f"S{n:03}", normalised_name=f"s{n:03}")
                for n in range(200)
            )
            pairs = draw.sample([(t, s) for t in teams for s in skills], rows)
            TeamSkillCoverage.objects.bulk_create(
                TeamSkillCoverage(
                    organisation=organisation, team=team, skill=skill, target=3,
                    coverage=(coverage := draw.choice([0, 1, 1, 2, 3])), required_by=1,
                    avg_shortfall=Decimal(1), bus_factor_risk=coverage <= 1, covered_by=[],
                    computed_at=timezone.now(), inputs_version=1,
                )
                for team, skill in pairs
            )  # fmt: skip
    with organisation_context(org_a.organisation):
        every = TeamSkillCoverage.objects.filter(bus_factor_risk=True).order_by(
            "coverage", "team__name", "skill__name"
        )
        expected = [(r.team_id, r.skill_id) for r in every[:DASHBOARD_RISKS_SHOWN]]
        risks, total = dashboard_risks(organisation=org_a.organisation)
        assert total == every.count()
    assert [(r.team_id, r.skill_id) for r in risks] == expected
    assert len(risks) == min(total, DASHBOARD_RISKS_SHOWN)
