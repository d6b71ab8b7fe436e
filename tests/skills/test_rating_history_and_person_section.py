"""A person's skills as others see them: the section of the person page (``{% person_skills %}``)
and the rating history of one skill, each shown only to those who may read the person's ratings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.views_base import Tenant
from skills.models import RatingSource
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db

XSS_NAME = '"><img src=x onerror=alert(1)>'
XSS_NOTE = "<script>alert(1)</script>"
PERSON_PAGE_INCLUDE = Path(settings.BASE_DIR) / "templates" / "teams" / "_person_skills.html"


def _without_csrf(response) -> bytes:
    # The masked CSRF token (the sign-out form) differs on every response; the rest must not.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def _history(world, person_id: int, skill_id: int) -> str:
    return reverse(
        "skills:rating_history",
        kwargs={"org_slug": world.organisation.slug, "person_id": person_id, "skill_id": skill_id},
    )


def _section(world, viewer_role: str, person) -> str:
    """The section as the person page renders it, for a viewer of that role."""
    tenant = Tenant(world.organisation, world.memberships[viewer_role])
    request = RequestFactory().get("/")
    with organisation_context(world.organisation):
        return Template("{% load ratings %}{% person_skills tenant person %}").render(
            Context({"tenant": tenant, "person": person, "request": request})
        )


@pytest.mark.parametrize("viewer", ["member", "manager", "hr", "admin"])
def test_the_member_their_manager_hr_and_admins_see_the_members_ratings(org_a, viewer):
    skill = SkillFactory(organisation=org_a.organisation, name="Elixir")
    RatingFactory(organisation=org_a.organisation, person=org_a.people["member"], skill=skill)
    html = _section(org_a, viewer, org_a.people["member"])
    assert "Elixir" in html
    assert "visible to them" not in html


@pytest.mark.parametrize("viewer", ["member", "manager"])
def test_others_read_who_may_see_the_ratings_instead(org_a, viewer):
    hr = org_a.people["hr"]
    skill = SkillFactory(organisation=org_a.organisation, name="Elixir")
    RatingFactory(organisation=org_a.organisation, person=hr, skill=skill)
    html = _section(org_a, viewer, hr)
    assert "Elixir" not in html
    assert "visible to them, their managers and HR" in html


def test_the_section_groups_by_category_with_validated_self_and_stale_markers(org_a):
    organisation = org_a.organisation
    member = org_a.people["member"]
    data = SkillCategoryFactory(organisation=organisation, name="Data")
    sql = SkillFactory(organisation=organisation, name="SQL", category=data)
    cobol = SkillFactory(organisation=organisation, name="COBOL")
    RatingFactory(organisation=organisation, person=member, skill=sql, level=4,
                  rated_at=timezone.now() - timedelta(minutes=1))  # fmt: skip
    RatingFactory(organisation=organisation, person=member, skill=sql, level=3,
                  source=RatingSource.MANAGER)  # fmt: skip
    RatingFactory(organisation=organisation, person=member, skill=cobol, level=2,
                  rated_at=timezone.now() - timedelta(days=400))  # fmt: skip
    html = _section(org_a, "manager", member)
    assert html.index("Data") < html.index("Other skills")
    sql_row = html.split("SQL</th>")[1].split("</tr>")[0]
    cobol_row = html.split("COBOL</th>")[1].split("</tr>")[0]
    assert "3" in sql_row and "validated" in sql_row and "stale" not in sql_row
    assert "self-assessed" in cobol_row and "stale" in cobol_row
    assert _history(org_a, member.pk, sql.pk) in sql_row


def test_the_section_escapes_names(org_a):
    skill = SkillFactory(organisation=org_a.organisation, name=XSS_NAME)
    RatingFactory(organisation=org_a.organisation, person=org_a.people["member"], skill=skill)
    html = _section(org_a, "hr", org_a.people["member"])
    assert XSS_NAME not in html and "&lt;img src=x" in html


def test_the_person_page_include_calls_the_tag(org_a):
    if not PERSON_PAGE_INCLUDE.exists():
        pytest.skip("the person page (people area) does not exist yet")
    skill = SkillFactory(organisation=org_a.organisation, name="Elixir")
    member = org_a.people["member"]
    RatingFactory(organisation=org_a.organisation, person=member, skill=skill)
    tenant = Tenant(org_a.organisation, org_a.memberships["hr"])
    with organisation_context(org_a.organisation):
        html = Template('{% include "teams/_person_skills.html" %}').render(
            Context({"tenant": tenant, "person": member})
        )
    assert "Elixir" in html


def test_history_lists_every_event_newest_first(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation)
    RatingFactory(organisation=organisation, person=member, skill=skill, level=1,
                  rated_at=timezone.now() - timedelta(days=2))  # fmt: skip
    RatingFactory(organisation=organisation, person=member, skill=skill, level=3,
                  source=RatingSource.MANAGER, note=XSS_NOTE,
                  rated_at=timezone.now() - timedelta(days=1))  # fmt: skip
    response = login(org_a.member).get(_history(org_a, member.pk, skill.pk))
    html = response.content.decode()
    assert response.status_code == 200
    body = html.split("<tbody>")[1]
    assert body.index("Manager") < body.index("Self")
    assert XSS_NOTE not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("viewer", "owner", "status"),
    [
        ("member", "member", 200),
        ("manager", "member", 200),
        ("hr", "member", 200),
        ("admin", "hr", 200),
        ("member", "manager", 404),
        ("manager", "hr", 404),
    ],
)
def test_history_is_404_unless_the_caller_may_see_the_persons_ratings(
    org_a, login, viewer, owner, status
):
    skill = SkillFactory(organisation=org_a.organisation)
    person = org_a.people[owner]
    RatingFactory(organisation=org_a.organisation, person=person, skill=skill)
    client = login(org_a.user(viewer))
    response = client.get(_history(org_a, person.pk, skill.pk))
    assert response.status_code == status
    if status == 404:
        missing = client.get(_history(org_a, 999_999, skill.pk))
        assert _without_csrf(response) == _without_csrf(missing)


def test_history_of_another_organisations_person_is_404(org_a, org_b, login):
    skill = SkillFactory(organisation=org_a.organisation)
    stranger = PersonFactory(organisation=org_b.organisation)
    assert login(org_a.admin).get(_history(org_a, stranger.pk, skill.pk)).status_code == 404


def test_the_person_page_shows_the_section_to_those_who_may_see_it(org_a, login):
    if not PERSON_PAGE_INCLUDE.exists():
        pytest.skip("the person page (people area) does not exist yet")
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation, name=XSS_NAME)
    RatingFactory(organisation=organisation, person=member, skill=skill, level=4)
    url = reverse(
        "teams:person_detail", kwargs={"org_slug": organisation.slug, "person_id": member.pk}
    )
    manager_view = login(org_a.manager).get(url).content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in manager_view
    assert XSS_NAME not in manager_view
    assert _history(org_a, member.pk, skill.pk) in manager_view
    hr_page = reverse(
        "teams:person_detail",
        kwargs={"org_slug": organisation.slug, "person_id": org_a.people["hr"].pk},
    )
    member_view = login(org_a.member).get(hr_page).content.decode()
    assert "visible to them, their managers and HR" in member_view
