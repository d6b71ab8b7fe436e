"""What each person sees: the to-do on the home page and My skills ("1 of 3 rated"), counting a
rating or a "Mark as reviewed" since the launch; and the campaign page's progress per team and
person, with the overdue flag, for those who may follow the campaign."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews.selectors import campaign_todos
from skills.models import RatingSource
from skills.services.ratings import rating_set, ratings_mark_reviewed
from skillsmap.core.tenancy import organisation_context
from tests.reviews.conftest import LAUNCH

pytestmark = pytest.mark.django_db


def _rate(world, who, skill, level, **kwargs):
    with organisation_context(world.organisation):
        return rating_set(
            organisation=world.organisation,
            person=world.people[who],
            skill=skill,
            level=level,
            source=RatingSource.SELF,
            by=world.user(who),
            **kwargs,
        )


def _todo(world, who="member"):
    with organisation_context(world.organisation):
        [todo] = campaign_todos(organisation=world.organisation, person=world.people[who])
        return todo.rated, todo.asked


def test_the_todo_counts_ratings_since_the_launch_and_mark_as_reviewed(cast_a, launch, clock):
    world = cast_a.world
    # Rated before the launch: does not count until rated or reviewed again.
    _rate(world, "member", cast_a.python, 2, rated_at=LAUNCH - timedelta(days=30))
    launch(world, teams=[cast_a.team])
    assert _todo(world) == (0, 3)
    clock.shift(timedelta(hours=1))
    _rate(world, "member", cast_a.sql, 1)
    assert _todo(world) == (1, 3)
    # "Mark as reviewed" confirms every skill already rated: Python and SQL, not Docker.
    with organisation_context(world.organisation):
        ratings_mark_reviewed(
            organisation=world.organisation, person=world.people["member"], by=world.member
        )
    assert _todo(world) == (2, 3)
    _rate(world, "member", cast_a.docker, 3)
    assert _todo(world) == (3, 3)


def test_the_home_page_and_my_skills_show_the_todo(cast_a, launch, login):
    world = cast_a.world
    launch(world, teams=[cast_a.team], name="Spring review")
    _rate(world, "member", cast_a.python, 3)
    client = login(world.member)
    slug = world.organisation.slug
    for url in (
        reverse("accounts:organisation_home", kwargs={"org_slug": slug}),
        reverse("skills:self_rating", kwargs={"org_slug": slug}),
    ):
        page = client.get(url).content.decode()
        assert "Spring review" in page
        assert "1 of 3 rated" in page
        assert "30 Jun 2026" in page
    # Someone not asked sees no to-do.
    page = login(world.hr).get(reverse("skills:self_rating", kwargs={"org_slug": slug}))
    assert "Spring review" not in page.content.decode()


def test_an_htmx_save_on_my_skills_brings_the_todo_up_to_date(cast_a, launch, login, clock):
    """The row's save is swapped in by htmx, not a page load: the to-do above the skills comes
    with it, out of band, so that "0 of 3 rated" does not stay on the page after a rating."""
    world = cast_a.world
    launch(world, teams=[cast_a.team], name="Spring review")
    clock.shift(timedelta(hours=1))
    url = reverse(
        "skills:self_rating_save",
        kwargs={"org_slug": world.organisation.slug, "skill_id": cast_a.sql.pk},
    )
    response = login(world.member).post(url, {"level": "2"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="skill-{cast_a.sql.pk}"' in html
    assert '<section id="campaign-todos"' in html and 'hx-swap-oob="true">' in html
    assert "Spring review</strong>: 1 of 3 rated" in html


def _detail(client, world, campaign):
    url = reverse(
        "reviews:campaign_detail",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
    return client.get(url)


def test_the_campaign_page_shows_progress_per_team_and_person_and_who_is_overdue(
    cast_a, launch, login, clock
):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    for skill in (cast_a.python, cast_a.sql):
        _rate(world, "manager", skill, 4)
    _rate(world, "member", cast_a.python, 2)
    client = login(world.hr)
    page = _detail(client, world, campaign).content.decode()
    assert "60%" in page  # 3 of 5 skills rated
    assert "1 of 2" in page  # one person complete in the team
    assert 'class="badge risk">Overdue' not in page
    clock.move_to(LAUNCH.replace(day=1, month=7))  # past the due date
    with organisation_context(world.organisation):
        from reviews.selectors import campaign_progress

        progress = campaign_progress(organisation=world.organisation, campaign=campaign)
    rows = {r.person.name: (r.rated, r.asked, r.complete, r.overdue) for r in progress.people}
    assert rows == {
        world.people["manager"].name: (2, 2, True, False),
        world.people["member"].name: (1, 3, False, True),
    }
    [team] = progress.teams
    assert (team.team, team.people, team.complete, team.percent, team.overdue) == (
        cast_a.team, 2, 1, 60, 1,
    )  # fmt: skip
    client = login(world.hr)  # a month on, the session has expired
    assert 'class="badge risk">Overdue' in _detail(client, world, campaign).content.decode()


def test_who_may_follow_a_campaign(cast_a, launch, login):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    assert _detail(login(world.hr), world, campaign).status_code == 200
    # The manager's team is in it.
    assert _detail(login(world.manager), world, campaign).status_code == 200
    # A member sees their own to-do, not the campaign's page.
    assert _detail(login(world.member), world, campaign).status_code == 404
    listing = login(world.member).get(
        reverse("reviews:campaign_list", kwargs={"org_slug": world.organisation.slug})
    )
    assert "0 of 3 rated" in listing.content.decode()


def test_a_manager_does_not_follow_a_campaign_of_other_peoples_teams(cast_a, launch, login):
    world = cast_a.world
    from tests.factories import TeamFactory, TeamMembershipFactory

    with organisation_context(world.organisation):
        sales = TeamFactory(organisation=world.organisation, name="Sales")
        TeamMembershipFactory(
            organisation=world.organisation, team=sales, person=world.people["hr"]
        )
    campaign = launch(world, people=[world.people["hr"]], skills=[cast_a.python])
    assert _detail(login(world.manager), world, campaign).status_code == 404


def _join_team(cast, count):
    """``count`` more members with an account in the cast's team, each with a profile skill."""
    from accounts.permissions import Role
    from skills.models import ProfileSkill
    from teams.services import person_link_user
    from tests.factories import MembershipFactory, TeamMembershipFactory, UserFactory

    organisation = cast.world.organisation
    for n in range(count):
        user = UserFactory(email=f"joiner{n}@{organisation.slug}.example", name=f"Joiner {n}")
        MembershipFactory(organisation=organisation, role=Role.MEMBER, user=user)
        with organisation_context(organisation):
            person = person_link_user(organisation=organisation, user=user)
            TeamMembershipFactory(organisation=organisation, team=cast.team, person=person)
            ProfileSkill.objects.create(organisation=organisation, person=person, skill=cast.sql)


def _statements(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # a first visit may write (the session); the count is of the next
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_campaign_page_and_list_run_the_same_statements_for_two_people_or_twelve(
    cast_a, launch, login
):
    world = cast_a.world
    small = launch(world, teams=[cast_a.team], name="Small")
    client = login(world.hr)
    campaigns = reverse("reviews:campaign_list", kwargs={"org_slug": world.organisation.slug})
    few = (_statements(client, _detail_url(world, small)), _statements(client, campaigns))
    _join_team(cast_a, 10)
    large = launch(world, teams=[cast_a.team], name="Large")
    _rate(world, "member", cast_a.python, 3)  # and some progress to show
    many = (_statements(client, _detail_url(world, large)), _statements(client, campaigns))
    assert "Joiner 9" in client.get(_detail_url(world, large)).content.decode()
    assert many == few


def _detail_url(world, campaign):
    return reverse(
        "reviews:campaign_detail",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
