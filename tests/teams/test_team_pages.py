import pytest
from django.utils.html import escape

from skillsmap.core.tenancy import organisation_context
from teams.models import Team, TeamManager
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_everyone_sees_the_teams_with_managers_and_size(org_a, login):
    with organisation_context(org_a.organisation):
        team = TeamFactory(organisation=org_a.organisation, name="Payments")
        TeamManager.objects.create(
            organisation=org_a.organisation, team=team, person=org_a.people["manager"]
        )
    content = login(org_a.member).get("/o/alpha/teams/").content.decode()
    assert "Payments" in content and escape(org_a.people["manager"].name) in content
    assert "Skill matrix" not in content  # a member reads no one's ratings
    assert "New team" not in content


def test_a_manager_is_offered_the_matrix_of_the_teams_they_lead_and_below(org_a, login):
    with organisation_context(org_a.organisation):
        parent = TeamFactory(organisation=org_a.organisation, name="Engineering")
        child = TeamFactory(organisation=org_a.organisation, name="Payments", parent=parent)
        other = TeamFactory(organisation=org_a.organisation, name="Sales")
        TeamManager.objects.create(
            organisation=org_a.organisation, team=parent, person=org_a.people["manager"]
        )
    content = login(org_a.manager).get("/o/alpha/teams/").content.decode()
    assert f"/o/alpha/teams/{parent.pk}/matrix/" in content
    assert f"/o/alpha/teams/{child.pk}/matrix/" in content
    assert f"/o/alpha/teams/{other.pk}/matrix/" not in content


def test_hr_creates_a_team_and_sets_its_managers(org_a, login):
    client = login(org_a.hr)
    response = client.post("/o/alpha/teams/new/", {"name": "Platform"})
    with organisation_context(org_a.organisation):
        team = Team.objects.get(name="Platform")
    assert response["Location"] == f"/o/alpha/teams/{team.pk}/edit/"
    client.post(
        f"/o/alpha/teams/{team.pk}/edit/",
        {"name": "Platform", "parent": "", "managers": [org_a.people["manager"].pk]},
    )
    with organisation_context(org_a.organisation):
        assert list(TeamManager.objects.filter(team=team).values_list("person_id", flat=True)) == [
            org_a.people["manager"].pk
        ]


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_hr_and_admins_change_teams(role, org_a, login):
    with organisation_context(org_a.organisation):
        team = TeamFactory(organisation=org_a.organisation, name="Payments")
    client = login(org_a.user(role))
    assert client.post("/o/alpha/teams/new/", {"name": "X"}).status_code == 403
    assert client.post(f"/o/alpha/teams/{team.pk}/edit/", {"name": "Y"}).status_code == 403
    with organisation_context(org_a.organisation):
        assert list(Team.objects.values_list("name", flat=True)) == ["Payments"]


def test_a_team_cannot_be_placed_below_its_own_sub_team(org_a, login):
    with organisation_context(org_a.organisation):
        parent = TeamFactory(organisation=org_a.organisation, name="Engineering")
        child = TeamFactory(organisation=org_a.organisation, name="Payments", parent=parent)
    response = login(org_a.hr).post(
        f"/o/alpha/teams/{parent.pk}/edit/", {"name": "Engineering", "parent": child.pk}
    )
    assert response.status_code == 400
    assert "cannot sit below itself" in response.content.decode()
    with organisation_context(org_a.organisation):
        parent.refresh_from_db()
        assert parent.parent_id is None


def test_another_organisations_manager_or_parent_is_refused(org_a, org_b, login):
    with organisation_context(org_a.organisation):
        team = TeamFactory(organisation=org_a.organisation, name="Payments")
    with organisation_context(org_b.organisation):
        foreign_team = TeamFactory(organisation=org_b.organisation, name="Beta team")
    client = login(org_a.hr)
    response = client.post(
        f"/o/alpha/teams/{team.pk}/edit/",
        {"name": "Payments", "parent": foreign_team.pk, "managers": [org_b.people["manager"].pk]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    with organisation_context(org_a.organisation):
        assert not TeamManager.objects.exists()


def test_duplicate_team_names_are_refused(org_a, login):
    with organisation_context(org_a.organisation):
        TeamFactory(organisation=org_a.organisation, name="Payments")
    response = login(org_a.hr).post("/o/alpha/teams/new/", {"name": "payments"})
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_the_team_list_has_a_fixed_number_of_queries(org_a, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(org_a.hr)
    with organisation_context(org_a.organisation):
        TeamFactory(organisation=org_a.organisation)
    client.get("/o/alpha/teams/")
    with CaptureQueriesContext(connection) as few:
        client.get("/o/alpha/teams/")
    with organisation_context(org_a.organisation):
        for _ in range(12):
            team = TeamFactory(organisation=org_a.organisation)
            TeamManager.objects.create(
                organisation=org_a.organisation, team=team, person=org_a.people["manager"]
            )
    with CaptureQueriesContext(connection) as many:
        client.get("/o/alpha/teams/")
    assert len(many) == len(few)
