"""The campaign API as its callers rely on it: HR launches for anyone and a manager for their own
team; refusals are a 400 on the field at fault with nothing written; another organisation's
campaign and ids read exactly like missing ones; ``mine`` counts what the caller has rated; the
launcher closes a campaign once; a member launches and closes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from notifications.models import Notification
from reviews.models import Campaign, CampaignParticipant, CampaignStatus
from roles.models import RoleProfile
from skills.models import ProfileSkill, RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.tenancy import organisation_context
from tests.factories import TeamFactory
from tests.reviews.conftest import DUE

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs/alpha/campaigns/"
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


@pytest.fixture
def api(db):
    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def _rows(world) -> tuple[int, int, int, int]:
    with organisation_context(world.organisation):
        return (
            Campaign.objects.count(),
            CampaignParticipant.objects.count(),
            Notification.objects.count(),
            AuditEvent.objects.filter(verb__startswith="campaign.").count(),
        )


def _create(client, **body):
    body.setdefault("name", "Spring review")
    body.setdefault("due_on", DUE.isoformat())
    return client.post(BASE, body, format="json")


def _rate(world, who, skill, level):
    with organisation_context(world.organisation):
        rating_set(
            organisation=world.organisation,
            person=world.people[who],
            skill=skill,
            level=level,
            source=RatingSource.SELF,
            by=world.user(who),
        )


def test_hr_creates_a_campaign_and_gets_it_back_with_its_progress(cast_a, api, clock):
    world = cast_a.world
    response = _create(api(world.hr), teams=[cast_a.team.pk], message="Please rate.", grace_days=3)
    assert response.status_code == 201, response.content
    body = response.json()
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get()
    assert body["id"] == campaign.pk
    assert (body["name"], body["message"], body["due_on"]) == (
        "Spring review", "Please rate.", "2026-06-30",
    )  # fmt: skip
    assert (body["grace_days"], body["closes_on"]) == (3, "2026-07-03")
    assert body["status"] == CampaignStatus.OPEN
    assert body["participants"] == 2
    assert body["created_by"] == world.hr.email
    assert body["closed_at"] is None and body["completed"] is None
    progress = body["progress"]
    assert (progress["asked"], progress["rated"], progress["percent"]) == (5, 0, 0)
    assert {p["name"] for p in progress["people"]} == {
        world.people["manager"].name,
        world.people["member"].name,
    }
    assert [t["name"] for t in progress["teams"]] == ["Platform"]
    # Listed for its launcher.
    listing = api(world.hr).get(BASE).json()
    assert [c["id"] for c in listing["results"]] == [campaign.pk]


def test_the_grace_period_defaults_from_settings(cast_a, api, clock, settings):
    settings.CAMPAIGN_GRACE_DAYS = 5
    response = _create(api(cast_a.world.hr), teams=[cast_a.team.pk])
    assert response.status_code == 201, response.content
    assert (response.json()["grace_days"], response.json()["closes_on"]) == (5, "2026-07-05")


def test_a_manager_creates_one_for_their_own_team(cast_a, api, clock):
    world = cast_a.world
    response = _create(api(world.manager), teams=[cast_a.team.pk])
    assert response.status_code == 201, response.content
    assert response.json()["participants"] == 2
    assert response.json()["created_by"] == world.manager.email


def test_a_manager_asking_someone_elses_people_is_a_400_and_nothing_written(cast_a, api, clock):
    world = cast_a.world
    with organisation_context(world.organisation):
        sales = TeamFactory(organisation=world.organisation, name="Sales")
    client = api(world.manager)
    before = _rows(world)
    response = _create(client, people=[world.people["hr"].pk], skills=[cast_a.python.pk])
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["people"] == [
        "You can ask only the people in your teams and reporting line."
    ]
    response = _create(client, teams=[sales.pk])
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["teams"] == ["You can ask only the teams you manage."]
    assert _rows(world) == before


def test_hr_asks_everyone_and_a_manager_asking_everyone_is_a_400_with_nothing_written(
    cast_a, api, clock
):
    world = cast_a.world
    with organisation_context(world.organisation):
        # HR is in no team: only "everyone" reaches them.
        ProfileSkill.objects.create(
            organisation=world.organisation, person=world.people["hr"], skill=cast_a.sql
        )
    before = _rows(world)
    refused = _create(api(world.manager), everyone=True)
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"] == {
        "everyone": [
            "Only HR and admins can ask the whole organisation; choose your teams instead."
        ]
    }
    assert _rows(world) == before
    response = _create(api(world.hr), everyone=True)
    assert response.status_code == 201, response.content
    asked = {row["name"] for row in response.json()["progress"]["people"]}
    assert asked == {world.people[who].name for who in ("hr", "manager", "member")}


def test_a_past_due_date_is_a_400_on_the_field_and_nothing_written(cast_a, api, clock):
    world = cast_a.world
    before = _rows(world)
    response = _create(api(world.hr), teams=[cast_a.team.pk], due_on="2026-05-31")
    assert response.status_code == 400
    assert response.json()["errors"] == {"due_on": ["The due date cannot be in the past."]}
    assert response.json()["detail"] == "The due date cannot be in the past."
    assert _rows(world) == before


def test_asking_nobody_is_a_400_with_a_clear_message_and_nothing_written(cast_a, api, clock):
    world = cast_a.world
    with organisation_context(world.organisation):
        empty = TeamFactory(organisation=world.organisation, name="Empty")
    client = api(world.hr)
    before = _rows(world)
    response = _create(client)  # no audience at all
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Choose whom to ask: everyone, teams, role profiles or people."]
    }
    response = _create(client, teams=[empty.pk])  # an audience with nobody in it
    assert response.status_code == 400
    [message] = response.json()["errors"]["non_field_errors"]
    assert message.startswith("This campaign would ask nobody")
    assert _rows(world) == before


def test_a_grace_period_out_of_range_is_a_400_on_the_field(cast_a, api, clock):
    world = cast_a.world
    before = _rows(world)
    response = _create(api(world.hr), teams=[cast_a.team.pk], grace_days=366)
    assert response.status_code == 400
    assert response.json()["errors"] == {"grace_days": ["The grace period is 0 to 365 days."]}
    response = _create(api(world.hr), teams=[cast_a.team.pk], grace_days=-1)
    assert response.status_code == 400
    assert "grace_days" in response.json()["errors"]
    assert _rows(world) == before


def test_another_organisations_ids_in_the_body_read_like_missing_ones(cast_a, cast_b, api, clock):
    world, theirs = cast_a.world, cast_b.world
    with organisation_context(theirs.organisation):
        their_role = RoleProfile.objects.get(name="Backend")
    client = api(world.hr)
    before, before_b = _rows(world), _rows(theirs)
    for field, foreign, noun in [
        ("teams", cast_b.team.pk, "team"),
        ("people", theirs.people["member"].pk, "person"),
        ("roles", their_role.pk, "role profile"),
        ("skills", cast_b.python.pk, "skill"),
    ]:
        body = {"teams": [cast_a.team.pk], field: [foreign]}
        response = _create(client, **body)
        missing = _create(client, **{**body, field: [987_654]})
        assert response.status_code == missing.status_code == 400, field
        assert response.json() == missing.json(), field
        assert response.json()["errors"] == {f"{field}.0": [f"No {noun} with this id."]}
    # And an organisation smuggled into the body is refused, not honoured.
    response = _create(client, teams=[cast_a.team.pk], organisation=theirs.organisation.pk)
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]
    assert _rows(world) == before and _rows(theirs) == before_b


def test_another_organisations_campaign_is_a_404_like_a_missing_one(cast_a, cast_b, launch, api):
    theirs = launch(cast_b.world, teams=[cast_b.team])
    client = api(cast_a.world.hr)
    for suffix in ("", "close/"):
        method = client.get if not suffix else client.post
        foreign = method(f"{BASE}{theirs.pk}/{suffix}", format="json")
        missing = method(f"{BASE}987654/{suffix}", format="json")
        assert foreign.status_code == missing.status_code == 404, suffix
        assert foreign.json() == missing.json() == NOT_FOUND
    assert client.get(BASE).json()["results"] == []
    with organisation_context(cast_b.world.organisation):
        assert Campaign.objects.get(pk=theirs.pk).status == CampaignStatus.OPEN


def test_mine_lists_the_callers_open_todos_and_counts_move_after_rating(cast_a, launch, api, clock):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    client = api(world.member)
    [todo] = client.get(f"{BASE}mine/").json()
    assert todo == {
        "campaign": campaign.pk,
        "name": "Spring review",
        "message": "",
        "due_on": "2026-06-30",
        "asked": 3,
        "rated": 0,
        "complete": False,
        "overdue": False,
        "skills": sorted([cast_a.python.pk, cast_a.sql.pk, cast_a.docker.pk]),
    }
    clock.shift(timedelta(hours=1))
    _rate(world, "member", cast_a.python, 3)
    [todo] = client.get(f"{BASE}mine/").json()
    assert (todo["rated"], todo["asked"], todo["complete"]) == (1, 3, False)
    for skill in (cast_a.sql, cast_a.docker):
        _rate(world, "member", skill, 2)
    [todo] = client.get(f"{BASE}mine/").json()
    assert (todo["rated"], todo["complete"]) == (3, True)
    # Someone not asked has nothing to do; a closed campaign leaves the list.
    assert api(world.hr).get(f"{BASE}mine/").json() == []
    assert api(world.hr).post(f"{BASE}{campaign.pk}/close/", format="json").status_code == 200
    assert client.get(f"{BASE}mine/").json() == []


def test_the_launcher_closes_it_with_the_summary_and_a_second_close_is_a_400(
    cast_a, launch, api, clock
):
    world = cast_a.world
    campaign = launch(world, by=world.manager, teams=[cast_a.team])
    clock.shift(timedelta(hours=1))
    for skill in (cast_a.python, cast_a.sql):
        _rate(world, "manager", skill, 4)
    client = api(world.manager)
    response = client.post(f"{BASE}{campaign.pk}/close/", format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == CampaignStatus.CLOSED
    assert body["closed_at"] is not None
    assert body["completed"] == 1  # the manager rated both their skills
    assert body["ratings_changed"] == 2
    with organisation_context(world.organisation):
        campaign.refresh_from_db()
        assert campaign.closed_by == world.manager
        assert AuditEvent.objects.filter(verb="campaign.closed").count() == 1
    again = client.post(f"{BASE}{campaign.pk}/close/", format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "This campaign is closed already."
    with organisation_context(world.organisation):
        assert AuditEvent.objects.filter(verb="campaign.closed").count() == 1


def test_a_manager_who_did_not_launch_it_may_read_but_not_close(cast_a, launch, api, clock):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])  # by HR, asking the manager's team
    client = api(world.manager)
    assert client.get(f"{BASE}{campaign.pk}/").status_code == 200
    response = client.post(f"{BASE}{campaign.pk}/close/", format="json")
    assert response.status_code == 403
    with organisation_context(world.organisation):
        assert Campaign.objects.get().status == CampaignStatus.OPEN


def test_a_member_can_neither_create_nor_close(cast_a, launch, api, clock):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    client = api(world.member)
    before = _rows(world)
    assert _create(client, teams=[cast_a.team.pk]).status_code == 403
    assert client.post(f"{BASE}{campaign.pk}/close/", format="json").status_code == 403
    assert client.get(f"{BASE}{campaign.pk}/").status_code == 403
    assert _rows(world) == before
    with organisation_context(world.organisation):
        assert Campaign.objects.get().status == CampaignStatus.OPEN
