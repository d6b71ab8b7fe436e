"""The pages that read the materialised results: team matrix, what-if, person gap, dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from reports.recompute import recompute_organisation
from reports.snapshots import snapshot_take
from skillsmap.core.tenancy import organisation_context
from teams.models import TeamManager
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
