"""The organisation home page is each role's start: the engineer's readiness and what to rate
next, the manager's ratings to validate and team risks, HR's gap, stale ratings and exports, the
admin's pending invitations; each panel links to where its reader acts, and nowhere else."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from reports.recompute import recompute_organisation
from roles.models import RoleProfile
from roles.services import role_assign, role_requirement_set
from skills.models import RatingSource
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import TeamManager
from tests.factories import InvitationFactory, JobFactory, PersonFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import ProfileSkillFactory, RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

HOME = "/o/alpha/"


def _page(login, user) -> str:
    response = login(user).get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def _lead(world, team):
    with organisation_context(world.organisation):
        TeamManager.objects.create(
            organisation=world.organisation, team=team, person=world.people["manager"]
        )


def test_the_home_keeps_its_url_name():
    assert reverse("accounts:organisation_home", kwargs={"org_slug": "alpha"}) == HOME


def test_the_engineer_sees_their_readiness_and_what_to_rate_next(org_a, login):
    _backend_team(org_a)
    organisation = org_a.organisation
    with organisation_context(organisation):
        kotlin = SkillFactory(organisation=organisation, name="Kotlin")
        ProfileSkillFactory(organisation=organisation, person=org_a.people["member"], skill=kotlin)
    recompute_organisation(organisation_id=organisation.pk)
    content = _page(login, org_a.member)
    # The member's gap against Backend is 40 % (tests/reports/test_recompute.py): 60 % ready.
    assert "<strong>60%</strong> ready for Backend" in content
    assert "API Design (2 of 4)" in content
    assert "Kotlin" in content and "not yet rated" not in content and "not rated yet" in content
    member = org_a.people["member"]
    assert f'href="/o/alpha/people/{member.pk}/gap/"' in content
    assert 'href="/o/alpha/me/skills/"' in content
    # Nothing of the manager's or HR's pages, which a member may not open.
    assert "/ratings/validate/" not in content and "/dashboard/" not in content


def test_what_to_rate_next_leads_with_the_skills_the_role_misses(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    with organisation_context(organisation):
        needed = SkillFactory(organisation=organisation, name="Zookeeping")
        extra = SkillFactory(organisation=organisation, name="Abacus")
        role = RoleProfile.objects.create(organisation=organisation, name="Keeper")
        role_requirement_set(role=role, skill=needed, target_level=3, weight=Decimal(1), by=None)
        role_assign(organisation=organisation, person=member, role=role, by=None)
        for skill in (needed, extra):
            ProfileSkillFactory(organisation=organisation, person=member, skill=skill)
    recompute_organisation(organisation_id=organisation.pk)
    panel = _page(login, org_a.member).split("What to rate next")[1]
    assert panel.index("Zookeeping") < panel.index("Abacus")


def test_a_stale_own_rating_is_offered_to_rate_again(org_a, login):
    organisation = org_a.organisation
    with organisation_context(organisation):
        old = timezone.now() - timedelta(days=organisation.review_period_days + 5)
        RatingFactory(
            organisation=organisation, person=org_a.people["member"], rated_at=old, level=2
        )
        fresh = RatingFactory(organisation=organisation, person=org_a.people["member"], level=3)
    content = _page(login, org_a.member)
    assert "rating is stale" in content
    assert escape(fresh.skill.name) not in content.split("What to rate next")[1]


def test_an_engineer_without_a_role_is_told_so(org_a, login):
    assert "no current role profile yet" in _page(login, org_a.member)


def test_the_manager_sees_the_ratings_to_validate_and_their_teams_risks(org_a, login):
    team, *_ = _backend_team(org_a)
    _lead(org_a, team)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = _page(login, org_a.manager)
    # The member's two self-assessments (API Design, SQL) wait for the manager.
    assert "<strong>2</strong> ratings to validate, from 1 person" in content
    assert 'href="/o/alpha/ratings/validate/"' in content
    # API Design is covered by the manager alone (bus factor 1).
    assert "Your teams' bus-factor risks" in content
    assert "API Design" in content and f'href="/o/alpha/teams/{team.pk}/matrix/"' in content
    assert "/dashboard/" not in content


def test_a_validated_rating_leaves_the_queue(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    with organisation_context(organisation):
        rating = RatingFactory(organisation=organisation, person=member, level=2)
        RatingFactory(
            organisation=organisation, person=member, skill=rating.skill, level=3,
            source=RatingSource.MANAGER, rated_at=rating.rated_at + timedelta(seconds=1),
        )  # fmt: skip
    assert "Nothing waits for your validation." in _page(login, org_a.manager)


def test_a_manager_does_not_see_risks_of_a_team_they_do_not_lead(org_a, login):
    _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = _page(login, org_a.manager)
    assert "API Design" not in content
    assert "No skill in your teams depends on a single person." in content


def test_hr_sees_the_organisations_gap_stale_ratings_and_recent_exports(org_a, login):
    team, *_ = _backend_team(org_a)
    organisation = org_a.organisation
    with organisation_context(organisation):
        RatingFactory(
            organisation=organisation,
            person=org_a.people["admin"],
            rated_at=timezone.now() - timedelta(days=organisation.review_period_days + 1),
        )
        export = JobFactory(
            organisation=organisation,
            kind=Job.Kind.GAP_EXPORT,
            created_by=org_a.hr,
            status=Job.Status.SUCCEEDED,
        )
    recompute_organisation(organisation_id=organisation.pk)
    content = _page(login, org_a.hr)
    # member 40 %, manager 20 % (tests/reports/test_recompute.py): 30 % on average.
    assert "<strong>30%</strong> average gap of the 2 people in a current role" in content
    assert escape(team.name) in content and 'href="/o/alpha/dashboard/"' in content
    assert "<strong>1</strong> rating of 1 person older than the review period" in content
    assert f'href="/o/alpha/jobs/{export.pk}/download/"' in content
    assert 'href="/o/alpha/reports/export/"' in content
    assert "Bus-factor risks" in content and "API Design" in content
    # HR validates everyone, but the queue of a whole organisation is not their start page.
    assert "ratings to validate" not in content
    assert "Pending invitations" not in content


def test_hr_does_not_see_someone_elses_exports(org_a, login):
    with organisation_context(org_a.organisation):
        JobFactory(
            organisation=org_a.organisation, kind=Job.Kind.GAP_EXPORT, created_by=org_a.admin
        )
    assert "You have not exported anything yet." in _page(login, org_a.hr)


def test_the_admin_sees_pending_invitations(org_a, org_b, login):
    with organisation_context(org_a.organisation):
        InvitationFactory(organisation=org_a.organisation, email="new.hire@alpha.example")
        InvitationFactory(
            organisation=org_a.organisation,
            email="late@alpha.example",
            expires_at=timezone.now() - timedelta(days=1),
        )
    with organisation_context(org_b.organisation):
        InvitationFactory(organisation=org_b.organisation, email="other@beta.example")
    content = _page(login, org_a.admin)
    assert "<strong>1</strong> invitation waiting to be accepted · 1 expired" in content
    assert "new.hire@alpha.example" in content
    assert "other@beta.example" not in content
    assert 'href="/o/alpha/members/"' in content
    # The admin reads everyone's figures too.
    assert "The organisation's gap" in content


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_only_admins_see_invitations(role, org_a, login):
    with organisation_context(org_a.organisation):
        InvitationFactory(organisation=org_a.organisation, email="new.hire@alpha.example")
    content = _page(login, org_a.user(role))
    assert "new.hire@alpha.example" not in content and "Pending invitations" not in content


def test_an_outsider_gets_404(org_a, outsider, login):
    assert login(outsider).get(HOME).status_code == 404


def _grow(world, team, role, skills, people: int) -> None:
    organisation = world.organisation
    with organisation_context(organisation):
        for _ in range(people):
            person = PersonFactory(organisation=organisation, manager=world.people["manager"])
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            role_assign(organisation=organisation, person=person, role=role, by=None)
            for skill in skills:
                RatingFactory(organisation=organisation, person=person, skill=skill, level=1)
    recompute_organisation(organisation_id=organisation.pk)


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_the_home_page_query_count_does_not_grow_with_the_people(role, org_a, login):
    team, api, sql, profile = _backend_team(org_a)
    _lead(org_a, team)
    with organisation_context(org_a.organisation):
        InvitationFactory(organisation=org_a.organisation)
    _grow(org_a, team, profile, [api, sql], people=2)
    client = login(org_a.user(role))
    client.get(HOME)
    with CaptureQueriesContext(connection) as small:
        client.get(HOME)
    _grow(org_a, team, profile, [api, sql], people=20)
    with CaptureQueriesContext(connection) as large:
        response = client.get(HOME)
    assert response.status_code == 200
    assert len(large) == len(small)


# --- Review campaigns: the launcher's panel ------------------------------------------------------


def _campaign(world, cast, by, name, days, **fields):
    from reviews.services import campaign_launch

    fields.setdefault("teams", [cast.team])
    with organisation_context(world.organisation):
        return campaign_launch(
            organisation=world.organisation,
            by=by,
            name=name,
            due_on=timezone.localdate() + timedelta(days=days),
            **fields,
        )


def _rate_self(world, who, skill, level):
    from skills.services.ratings import rating_set

    with organisation_context(world.organisation):
        rating_set(
            organisation=world.organisation,
            person=world.people[who],
            skill=skill,
            level=level,
            source=RatingSource.SELF,
            by=world.user(who),
        )


def _launched_panel(content: str) -> str:
    start = content.index('aria-labelledby="home-launched"')
    return content[start : content.index("</section>", start)]


def test_a_launcher_sees_their_open_campaigns_with_completion_and_links(org_a, login):
    from tests.reviews.conftest import cast_of

    cast = cast_of(org_a)
    campaign = _campaign(org_a, cast, org_a.manager, "Team review", 20)
    _campaign(org_a, cast, org_a.hr, "HR's own review", 10)  # asks the team, launched by HR
    panel = _launched_panel(_page(login, org_a.manager))
    assert "Your open campaigns" in panel
    url = reverse(
        "reviews:campaign_detail", kwargs={"org_slug": "alpha", "campaign_id": campaign.pk}
    )
    assert f'<a href="{url}">Team review</a>' in panel
    assert "0% rated" in panel
    assert "HR&#x27;s own review" not in panel and "HR's own review" not in panel
    assert 'href="/o/alpha/campaigns/new/">Launch a campaign</a>' in panel
    assert 'href="/o/alpha/campaigns/">All campaigns</a>' in panel
    # The manager asked 2 skills, the member 3: two of five rated is 40 %, as on its page.
    for skill in (cast.python, cast.sql):
        _rate_self(org_a, "manager", skill, 4)
    assert "40% rated" in _launched_panel(_page(login, org_a.manager))


def test_the_panel_shows_three_soonest_due_and_leaves_out_closed_ones(org_a, login):
    from reviews.services import campaign_close
    from tests.reviews.conftest import cast_of

    cast = cast_of(org_a)
    for name, days in [("Fourth", 40), ("Second", 20), ("First", 10), ("Third", 30)]:
        _campaign(org_a, cast, org_a.hr, name, days)
    closed = _campaign(org_a, cast, org_a.hr, "Closed", 5)
    with organisation_context(org_a.organisation):
        campaign_close(campaign=closed, by=org_a.hr)
    panel = _launched_panel(_page(login, org_a.hr))
    assert "Closed" not in panel and "Fourth" not in panel
    assert panel.index("First") < panel.index("Second") < panel.index("Third")


def test_a_launcher_without_open_campaigns_is_offered_to_launch_one(org_a, login):
    panel = _launched_panel(_page(login, org_a.admin))
    assert "You have no open review campaign." in panel
    assert "Launch a campaign" in panel


def test_a_member_sees_no_launcher_panel(org_a, login):
    from tests.reviews.conftest import cast_of

    cast = cast_of(org_a)
    _campaign(org_a, cast, org_a.hr, "Spring review", 10)
    content = _page(login, org_a.member)
    assert "Your open campaigns" not in content and "Launch a campaign" not in content
    assert "Spring review" in content  # their own to-do, not the launcher's panel


def test_the_launcher_panel_costs_the_same_however_many_campaigns_and_people(org_a, login):
    from tests.reviews.conftest import cast_of

    cast = cast_of(org_a)
    _campaign(org_a, cast, org_a.hr, "One", 10)
    client = login(org_a.hr)
    client.get(HOME)
    with CaptureQueriesContext(connection) as small:
        client.get(HOME)
    everyone = list(org_a.people.values())
    for n in range(3):
        _campaign(org_a, cast, org_a.hr, f"More {n}", 20 + n, teams=[], people=everyone)
    with CaptureQueriesContext(connection) as large:
        response = client.get(HOME)
    assert "More 1" in response.content.decode()
    assert len(large) == len(small)
