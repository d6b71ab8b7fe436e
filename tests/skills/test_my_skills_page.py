"""Issue #13, item 10: My skills shows the engineer each skill's target in their current and
target roles with the shortfall, their readiness, what to learn next with mentors from their team,
filters for unrated and required skills, and links to their own gap page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from reports.recompute import recompute_organisation
from roles.models import RoleAssignment, RoleProfile
from roles.services import role_assign, role_requirement_set
from skillsmap.core.tenancy import organisation_context
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import ProfileSkillFactory, RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def _my_skills(world, show: str = "") -> str:
    url = reverse("skills:self_rating", kwargs={"org_slug": world.organisation.slug})
    return f"{url}?show={show}" if show else url


def _row(html: str, skill) -> str:
    match = re.search(rf'<div id="skill-{skill.pk}" class="rating-row.*?</form>', html, re.S)
    assert match, f"{skill.name} has a row"
    return match.group(0)


@pytest.fixture
def backend(org_a):
    """The member is Backend (API Design ≥ 4 at 2, SQL ≥ 3 at 3) working towards Senior Backend
    (API Design ≥ 5); their manager, in the same team, is at 4 in API Design."""
    _team, api, sql, _role = _backend_team(org_a)
    organisation = org_a.organisation
    with organisation_context(organisation):
        senior = RoleProfile.objects.create(organisation=organisation, name="Senior Backend")
        role_requirement_set(role=senior, skill=api, target_level=5, weight=Decimal(1), by=None)
        role_assign(
            organisation=organisation,
            person=org_a.people["member"],
            role=senior,
            kind=RoleAssignment.Kind.TARGET,
            by=None,
        )
    recompute_organisation(organisation_id=organisation.pk)
    return api, sql


def test_each_skill_shows_its_target_in_both_roles_and_the_shortfall(org_a, login, backend):
    api, sql = backend
    html = login(org_a.member).get(_my_skills(org_a)).content.decode()
    api_row, sql_row = _row(html, api), _row(html, sql)
    assert "Current role (Backend): target 4" in api_row
    assert "Target role (Senior Backend): target 5" in api_row
    assert "3 short" in api_row  # level 2 against the target role's 5
    assert "Current role (Backend): target 3" in sql_row
    assert "Target role" not in sql_row
    assert "target met" in sql_row


def test_readiness_for_both_roles_is_at_the_top(org_a, login, backend):
    html = login(org_a.member).get(_my_skills(org_a)).content.decode()
    summary = html.split('class="card my-skills-summary"')[1].split("</section>")[0]
    assert "Current role: Backend" in summary and "60%</strong> ready" in summary
    assert "Target role: Senior Backend" in summary and "40%</strong> ready" in summary
    assert html.index("my-skills-summary") < html.index('class="rating-group"')


def test_my_skills_links_to_the_engineers_own_gap_page_which_they_may_open(org_a, login, backend):
    client = login(org_a.member)
    gap_url = reverse(
        "reports:person_gap",
        kwargs={"org_slug": org_a.organisation.slug, "person_id": org_a.people["member"].pk},
    )
    assert f'href="{gap_url}"' in client.get(_my_skills(org_a)).content.decode()
    response = client.get(gap_url)
    assert response.status_code == 200
    assert "60%</strong> ready" in response.content.decode()


def test_my_gap_takes_each_member_to_their_own_gap_page(org_a, login):
    for role in ("member", "manager", "hr"):
        response = login(org_a.user(role)).get(
            reverse("reports:my_gap", kwargs={"org_slug": org_a.organisation.slug})
        )
        assert response.status_code == 302
        assert response.url == reverse(
            "reports:person_gap",
            kwargs={"org_slug": org_a.organisation.slug, "person_id": org_a.people[role].pk},
        )


def test_my_gap_in_another_organisation_is_a_404(org_a, org_b, login):
    response = login(org_a.member).get(
        reverse("reports:my_gap", kwargs={"org_slug": org_b.organisation.slug})
    )
    assert response.status_code == 404


def test_the_filters_show_unrated_or_role_required_skills_only(org_a, login, backend):
    api, sql = backend
    organisation = org_a.organisation
    with organisation_context(organisation):
        go = SkillFactory(organisation=organisation, name="Go")
        ProfileSkillFactory(organisation=organisation, person=org_a.people["member"], skill=go)
        rust = SkillFactory(organisation=organisation, name="Rust")
        RatingFactory(organisation=organisation, person=org_a.people["member"], skill=rust, level=1)
    client = login(org_a.member)
    everything = client.get(_my_skills(org_a)).content.decode()
    unrated = client.get(_my_skills(org_a, "unrated")).content.decode()
    required = client.get(_my_skills(org_a, "required")).content.decode()
    ids = {s: f'id="skill-{s.pk}"' for s in (api, sql, go, rust)}
    assert all(i in everything for i in ids.values())
    assert ids[go] in unrated and not any(ids[s] in unrated for s in (api, sql, rust))
    assert ids[api] in required and ids[sql] in required
    assert ids[go] not in required and ids[rust] not in required
    assert 'aria-current="page">Unrated<' in unrated


def test_an_unknown_filter_shows_everything(org_a, login, backend):
    api, sql = backend
    html = login(org_a.member).get(_my_skills(org_a, "bogus")).content.decode()
    assert f'id="skill-{api.pk}"' in html and f'id="skill-{sql.pk}"' in html


def test_what_to_learn_next_names_a_mentor_from_the_team(org_a, login, backend):
    api, _ = backend
    with organisation_context(org_a.organisation):
        RatingFactory(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            skill=api,
            level=2,
            interest=True,
        )
    html = login(org_a.member).get(_my_skills(org_a)).content.decode()
    learn = html.split('class="learn-next"')[1].split("</ol>")[0]
    assert "API Design" in learn
    assert "level 2 of 5 for your target role, 3 short" in learn
    assert f"{escape(org_a.people['manager'].name)}</a> (level 4)" in learn


def test_without_the_interest_flag_learn_next_says_how_to_get_a_mentor(org_a, login, backend):
    html = login(org_a.member).get(_my_skills(org_a)).content.decode()
    learn = html.split('class="learn-next"')[1].split("</ol>")[0]
    assert "API Design" in learn
    assert "I want to grow in this" in learn
    assert "Could mentor you" not in learn


def test_the_htmx_row_after_a_save_keeps_its_targets(org_a, login, backend):
    api, _ = backend
    response = login(org_a.member).post(
        reverse(
            "skills:self_rating_save",
            kwargs={"org_slug": org_a.organisation.slug, "skill_id": api.pk},
        ),
        {"level": "4"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    row = response.content.decode()
    assert "Current role (Backend): target 4" in row
    assert "1 short" in row  # now 4 against the target role's 5
