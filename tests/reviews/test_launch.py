"""Launching a review campaign: HR asks anyone, a manager only their own teams; bad input is
refused with a clear message and nothing written; another organisation's ids read as missing."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from notifications.kinds import Kind
from notifications.models import Notification
from reviews.models import Campaign, CampaignParticipant, CampaignSkill
from reviews.services import CampaignError
from skills.models import ProfileSkill
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reviews.conftest import LAUNCH

pytestmark = pytest.mark.django_db


def _rows(world):
    with organisation_context(world.organisation):
        return (
            Campaign.objects.count(),
            CampaignParticipant.objects.count(),
            CampaignSkill.objects.count(),
            Notification.objects.count(),
            AuditEvent.objects.filter(verb__startswith="campaign.").count(),
        )


def _asked(world, campaign):
    with organisation_context(world.organisation):
        return {
            p.person.name: sorted(s.name for s in p.skills.all())
            for p in CampaignParticipant.objects.filter(campaign=campaign).select_related("person")
        }


def test_hr_launches_for_the_whole_organisation_with_each_persons_own_skills(cast_a, launch):
    world = cast_a.world
    everyone = list(world.people.values())
    campaign = _launch_people(launch, world, everyone)
    asked = _asked(world, campaign)
    # Role requirements for the two in the role, plus the member's profile skill; people with
    # no skill at all are not asked.
    assert asked == {
        world.people["manager"].name: ["Python", "SQL"],
        world.people["member"].name: ["Docker", "Python", "SQL"],
    }
    with organisation_context(world.organisation):
        assert campaign.launched_at == LAUNCH
        asks = Notification.objects.filter(kind=Kind.CAMPAIGN_ASK)
        assert {n.recipient for n in asks} == {world.member, world.manager}
        event = AuditEvent.objects.get(verb="campaign.launched")
        assert event.after["participants"] == 2


def _launch_people(launch, world, people, **fields):
    return launch(world, people=people, **fields)


def test_an_explicit_skill_list_is_asked_of_everyone(cast_a, launch):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team], skills=[cast_a.docker])
    assert _asked(world, campaign) == {
        world.people["manager"].name: ["Docker"],
        world.people["member"].name: ["Docker"],
    }


def test_a_manager_launches_for_their_own_team(cast_a, launch):
    world = cast_a.world
    campaign = launch(world, by=world.manager, teams=[cast_a.team])
    assert set(_asked(world, campaign)) == {
        world.people["manager"].name,
        world.people["member"].name,
    }


def test_a_manager_asking_people_outside_their_teams_is_refused_and_nothing_written(cast_a, launch):
    world = cast_a.world
    before = _rows(world)
    with pytest.raises(CampaignError) as refused:
        launch(world, by=world.manager, people=[world.people["hr"]], skills=[cast_a.python])
    assert "people" in refused.value.message_dict
    other = TeamFactory(organisation=world.organisation, name="Sales")
    with pytest.raises(CampaignError) as refused:
        launch(world, by=world.manager, teams=[other])
    assert refused.value.message_dict["teams"] == ["You can ask only the teams you manage."]
    assert _rows(world) == before


def test_a_manager_asking_a_role_gets_only_their_own_people(cast_a, launch):
    world = cast_a.world
    with organisation_context(world.organisation):
        from roles.models import RoleProfile
        from roles.services import role_assign

        role = RoleProfile.objects.get(name="Backend")
        role_assign(
            organisation=world.organisation, person=world.people["hr"], role=role, by=world.admin
        )
    campaign = launch(world, by=world.manager, roles=[role])
    assert world.people["hr"].name not in _asked(world, campaign)


def test_a_due_date_in_the_past_is_refused_and_nothing_written(cast_a, launch):
    world = cast_a.world
    before = _rows(world)
    with pytest.raises(CampaignError) as refused:
        launch(world, teams=[cast_a.team], due_on=date(2026, 5, 31))
    assert refused.value.message_dict["due_on"] == ["The due date cannot be in the past."]
    assert _rows(world) == before


def test_a_campaign_that_asks_nobody_is_refused_and_nothing_written(cast_a, launch):
    world = cast_a.world
    empty = TeamFactory(organisation=world.organisation, name="Empty")
    before = _rows(world)
    with pytest.raises(CampaignError) as refused:
        launch(world, teams=[empty])
    assert "would ask nobody" in refused.value.messages[0]
    with pytest.raises(CampaignError):
        launch(world)  # no audience at all
    assert _rows(world) == before


def test_another_organisations_team_or_person_is_refused_like_a_missing_one(
    cast_a, cast_b, launch, login, clock
):
    world = cast_a.world
    before = _rows(world)
    with pytest.raises(CampaignError) as refused:
        launch(world, teams=[cast_b.team])
    assert refused.value.message_dict["teams"] == ["Select a valid choice."]
    client = login(world.hr)
    url = reverse("reviews:campaign_create", kwargs={"org_slug": world.organisation.slug})
    form = {"name": "Q", "due_on": "2026-06-30"}
    foreign = client.post(url, {**form, "people": cast_b.world.people["member"].email})
    missing = client.post(url, {**form, "people": "nobody@alpha.example"})
    assert foreign.status_code == missing.status_code == 400
    theirs = cast_b.world.people["member"].email
    assert f"Nobody you may ask has the email {theirs}." in foreign.content.decode()
    assert "Nobody you may ask has the email nobody@alpha.example." in missing.content.decode()
    assert _rows(world) == before


def test_the_launch_page_names_people_by_email_within_the_launchers_reach(cast_a, login, clock):
    world = cast_a.world
    slug = world.organisation.slug
    url = reverse("reviews:campaign_create", kwargs={"org_slug": slug})
    form = {"name": "Q", "due_on": "2026-06-30", "skills": [cast_a.python.pk]}
    member, hr = world.people["member"], world.people["hr"]
    # Any case, commas or new lines; a repeat counts once.
    typed = f"{member.email.upper()},\n{member.email}"
    assert login(world.manager).post(url, {**form, "people": typed}).status_code == 302
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get()
        assert list(campaign.participants.values_list("person_id", flat=True)) == [member.pk]
    # HR is outside the manager's teams: not found, like an unknown address; nothing written.
    refused = login(world.manager).post(url, {**form, "people": hr.email})
    assert refused.status_code == 400
    assert f"Nobody you may ask has the email {hr.email}." in refused.content.decode()
    with organisation_context(world.organisation):
        assert Campaign.objects.count() == 1
    # The page lists nobody: a large organisation's launch page stays small.
    page = login(world.hr).get(url).content.decode()
    assert member.name not in page


def test_the_launch_page_launches_and_redirects_to_the_campaign(cast_a, login, clock):
    world = cast_a.world
    client = login(world.manager)
    slug = world.organisation.slug
    response = client.post(
        reverse("reviews:campaign_create", kwargs={"org_slug": slug}),
        {"name": "Team review", "due_on": "2026-06-30", "teams": [cast_a.team.pk]},
    )
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reviews:campaign_detail", kwargs={"org_slug": slug, "campaign_id": campaign.pk}
    )


def test_a_member_may_not_open_the_launch_page(cast_a, login):
    client = login(cast_a.world.member)
    url = reverse("reviews:campaign_create", kwargs={"org_slug": cast_a.world.organisation.slug})
    assert client.get(url).status_code == 403


def test_another_organisations_campaign_is_a_404(cast_a, cast_b, launch, login):
    theirs = launch(cast_b.world, teams=[cast_b.team])
    client = login(cast_a.world.hr)
    slug = cast_a.world.organisation.slug
    for name in ("reviews:campaign_detail",):
        url = reverse(name, kwargs={"org_slug": slug, "campaign_id": theirs.pk})
        assert client.get(url).status_code == 404
    close = reverse("reviews:campaign_close", kwargs={"org_slug": slug, "campaign_id": theirs.pk})
    assert client.post(close).status_code == 404


def test_the_launch_page_offers_the_grace_period_with_the_settings_default(
    cast_a, login, clock, settings
):
    settings.CAMPAIGN_GRACE_DAYS = 10
    world = cast_a.world
    client = login(world.hr)
    url = reverse("reviews:campaign_create", kwargs={"org_slug": world.organisation.slug})
    page = client.get(url).content.decode()
    assert '<label for="id_grace_days">Grace period (days)</label>' in page
    assert 'name="grace_days" value="10"' in page
    assert "Empty: 10 days." in page
    form = {"name": "Q", "due_on": "2026-06-30", "teams": [cast_a.team.pk]}
    assert client.post(url, {**form, "grace_days": "3"}).status_code == 302
    assert client.post(url, {**form, "grace_days": ""}).status_code == 302
    with organisation_context(world.organisation):
        assert list(Campaign.objects.order_by("pk").values_list("grace_days", flat=True)) == [3, 10]


def test_a_bad_grace_period_shows_on_its_field_and_nothing_is_written(cast_a, login, clock):
    world = cast_a.world
    client = login(world.hr)
    url = reverse("reviews:campaign_create", kwargs={"org_slug": world.organisation.slug})
    before = _rows(world)
    form = {"name": "Q", "due_on": "2026-06-30", "teams": [cast_a.team.pk]}
    for value, message in [
        ("-1", "The grace period is 0 to 365 days."),
        ("400", "The grace period is 0 to 365 days."),
        ("soon", "Enter the grace period as a whole number of days."),
    ]:
        response = client.post(url, {**form, "grace_days": value})
        assert response.status_code == 400, value
        assert (
            f'<p class="error" id="id_grace_days_error">{message}</p>' in response.content.decode()
        )
    assert _rows(world) == before


def test_people_without_an_account_are_not_asked_and_the_launcher_is_told(cast_a, login, clock):
    world = cast_a.world
    with organisation_context(world.organisation):
        # Imported into the team, never invited: nobody could answer for them.
        TeamMembershipFactory(
            organisation=world.organisation,
            team=cast_a.team,
            person=PersonFactory(organisation=world.organisation, name="Imported Ivy"),
        )
    client = login(world.hr)
    slug = world.organisation.slug
    response = client.post(
        reverse("reviews:campaign_create", kwargs={"org_slug": slug}),
        {"name": "Team review", "due_on": "2026-06-30", "teams": [cast_a.team.pk]},
        follow=True,
    )
    page = response.content.decode()
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get()
        asked = set(campaign.participants.values_list("person__name", flat=True))
    assert "Imported Ivy" not in asked and len(asked) == 2
    assert "1 person named without an account to sign in with was not asked" in page
    assert "1 person named at launch had no account to sign in with and was not asked." in page


def test_hr_asks_the_whole_organisation_including_people_in_no_team(cast_a, launch, login):
    world = cast_a.world
    with organisation_context(world.organisation):
        # HR is in no team and has a skill on their profile; Ivy has no account to answer with.
        ProfileSkill.objects.create(
            organisation=world.organisation, person=world.people["hr"], skill=cast_a.sql
        )
        PersonFactory(organisation=world.organisation, name="Imported Ivy")
    campaign = launch(world, everyone=True)
    assert _asked(world, campaign) == {
        world.people["hr"].name: ["SQL"],
        world.people["manager"].name: ["Python", "SQL"],
        world.people["member"].name: ["Docker", "Python", "SQL"],
    }
    assert campaign.without_account == 1
    page = login(world.hr).get(
        reverse(
            "reviews:campaign_detail",
            kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
        )
    )
    html = page.content.decode()
    assert "<dt>Asked</dt><dd>Everyone in the organisation</dd>" in html
    assert "<dt>Skills</dt><dd>Each person&#x27;s own:" in html
    assert "1 person named at launch had no account to sign in with" in html


def test_a_manager_asking_the_whole_organisation_is_refused_and_nothing_written(cast_a, launch):
    world = cast_a.world
    before = _rows(world)
    with pytest.raises(CampaignError) as refused:
        launch(world, by=world.manager, everyone=True)
    assert refused.value.message_dict["everyone"] == [
        "Only HR and admins can ask the whole organisation; choose your teams instead."
    ]
    assert _rows(world) == before


def test_the_launch_page_offers_everyone_to_hr_only(cast_a, login, clock):
    world = cast_a.world
    slug = world.organisation.slug
    url = reverse("reviews:campaign_create", kwargs={"org_slug": slug})
    box = 'name="everyone"'
    assert box not in login(world.manager).get(url).content.decode()
    # A manager's posted box is no field of theirs: ignored, and then nobody is named.
    refused = login(world.manager).post(
        url, {"name": "Q", "due_on": "2026-06-30", "everyone": "on"}
    )
    assert refused.status_code == 400
    assert "Choose whom to ask: teams, role profiles or people." in refused.content.decode()
    client = login(world.hr)
    assert box in client.get(url).content.decode()
    response = client.post(
        url, {"name": "All hands", "due_on": "2026-06-30", "everyone": "on"}, follow=True
    )
    assert response.redirect_chain and response.status_code == 200
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get()
        assert campaign.participants.count() == 2  # the two with skills to rate
    assert "<dt>Asked</dt><dd>Everyone in the organisation</dd>" in response.content.decode()


def test_the_campaign_page_names_the_teams_roles_people_and_skills_asked(cast_a, launch, login):
    world = cast_a.world
    with organisation_context(world.organisation):
        from roles.models import RoleProfile

        role = RoleProfile.objects.get(name="Backend")
    campaign = launch(
        world,
        teams=[cast_a.team],
        roles=[role],
        people=[world.people["member"]],
        skills=[cast_a.python, cast_a.sql],
    )
    url = reverse(
        "reviews:campaign_detail",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
    html = login(world.hr).get(url).content.decode()
    assert (
        "<dt>Asked</dt><dd>Teams: Platform; Role profiles: Backend; 1 person by name</dd>" in html
    )
    assert "<dt>Skills</dt><dd>Python, SQL</dd>" in html


def test_the_launch_page_shows_a_past_due_date_and_an_empty_audience_and_writes_nothing(
    cast_a, login, clock
):
    world = cast_a.world
    client = login(world.hr)
    url = reverse("reviews:campaign_create", kwargs={"org_slug": world.organisation.slug})
    empty = TeamFactory(organisation=world.organisation, name="Empty")
    before = _rows(world)
    past = client.post(url, {"name": "Q", "due_on": "2026-05-31", "teams": [cast_a.team.pk]})
    assert past.status_code == 400
    assert (
        '<p class="error" id="id_due_on_error">The due date cannot be in the past.</p>'
        in past.content.decode()
    )
    nobody = client.post(url, {"name": "Q", "due_on": "2026-06-30", "teams": [empty.pk]})
    assert nobody.status_code == 400
    assert "This campaign would ask nobody" in nobody.content.decode()
    unnamed = client.post(url, {"name": "Q", "due_on": "2026-06-30"})
    assert unnamed.status_code == 400
    assert "Choose whom to ask: everyone, teams, role profiles or people." in (
        unnamed.content.decode()
    )
    assert _rows(world) == before
