"""The export service refuses with the one service error type, and the export page shows that
refusal on its form instead of failing."""

import pytest
from django.urls import reverse

from reports import exports
from skillsmap.core.errors import ServiceError
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import TeamManager
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _led_team(world):
    with organisation_context(world.organisation):
        team = TeamFactory(organisation=world.organisation, name="Payments")
        TeamManager.objects.create(
            organisation=world.organisation, team=team, person=world.people["manager"]
        )
        other = TeamFactory(organisation=world.organisation, name="Research")
    return team, other


@pytest.mark.parametrize(
    "which,message",
    [
        ("none", "Select at least one team you lead."),
        ("other", "You may export only the teams you lead."),
    ],
)
def test_the_export_service_refuses_with_a_service_error_on_the_teams_field(org_a, which, message):
    _team, other = _led_team(org_a)
    with organisation_context(org_a.organisation), pytest.raises(ServiceError) as refused:
        exports.gap_export_start(
            organisation=org_a.organisation,
            membership=org_a.memberships["manager"],
            by=org_a.manager,
            fmt=exports.CSV,
            team_ids=[] if which == "none" else [other.pk],
        )
    assert refused.value.message_dict == {"teams": [message]}
    assert str(refused.value) == message


def test_the_export_page_shows_a_refusal_of_the_service_on_its_form(org_a, login, monkeypatch):
    # The page offers the teams the manager leads; by the time the job starts they lead none (the
    # team's managers changed in between): the service refuses, and the page says why.
    team, _other = _led_team(org_a)
    client = login(org_a.manager)
    url = reverse("reports:export", kwargs={"org_slug": org_a.organisation.slug})
    rights = iter(
        [
            exports.ExportRights(False, frozenset({team.pk})),  # the page's own reading
            exports.ExportRights(False, frozenset()),  # the service's, a moment later
        ]
    )
    monkeypatch.setattr(exports, "export_rights", lambda **kwargs: next(rights))
    response = client.post(url, {"format": "csv", "scope": "teams", "teams": [team.pk]})
    assert response.status_code == 400
    assert "You may export only the teams you lead." in response.content.decode()
    with organisation_context(org_a.organisation):
        assert not Job.objects.filter(kind=Job.Kind.GAP_EXPORT).exists()
