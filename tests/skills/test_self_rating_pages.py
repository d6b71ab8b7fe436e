"""The self-rating page: an engineer's main screen. Every row saves on its own, with htmx in place
and without JavaScript as a plain POST that redirects back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from skills.models import ProfileSkill, Rating, RatingSource, SkillLevelDescriptor
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import (
    ProfileSkillFactory,
    RatingFactory,
    SkillCategoryFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
XSS_NAME = '"><img src=x onerror=alert(1)>'
XSS_NOTE = "<script>alert(1)</script>"


def _without_csrf(response) -> bytes:
    # The masked CSRF token (the sign-out form) differs on every response; the rest must not.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def _page(world) -> str:
    return reverse("skills:self_rating", kwargs={"org_slug": world.organisation.slug})


def _save(world, skill_id: int) -> str:
    return reverse(
        "skills:self_rating_save",
        kwargs={"org_slug": world.organisation.slug, "skill_id": skill_id},
    )


def _ratings(world, **filters) -> list[Rating]:
    with organisation_context(world.organisation):
        return list(Rating.objects.filter(organisation=world.organisation, **filters))


def _row(html: str, skill_id: int) -> str:
    """The HTML of one skill's row on the page."""
    return html.split(f'<div id="skill-{skill_id}"')[1].split('<div id="skill-')[0]


def _on_profile(world, skill, role="member"):
    return ProfileSkillFactory(
        organisation=world.organisation, person=world.people[role], skill=skill
    )


def test_the_page_groups_profile_skills_by_category_with_level_names_and_descriptors(org_a, login):
    organisation = org_a.organisation
    backend = SkillCategoryFactory(organisation=organisation, name="Backend")
    sql = SkillFactory(organisation=organisation, name="SQL", category=backend)
    talk = SkillFactory(organisation=organisation, name="Public speaking")
    archived = SkillFactory(organisation=organisation, name="Fortran", is_archived=True)
    for skill in (sql, talk, archived):
        _on_profile(org_a, skill)
    with organisation_context(organisation):
        SkillLevelDescriptor.objects.create(
            organisation=organisation, skill=sql, value=3, description="Writes window functions"
        )
    RatingFactory(organisation=organisation, person=org_a.people["member"], skill=sql, level=3)

    response = login(org_a.member).get(_page(org_a))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Backend" in html and "Other skills" in html
    assert html.index("Backend") < html.index("Other skills")
    assert "Fortran" not in html
    assert "<legend>SQL" in html
    assert "Competent" in html and "Expert" in html and "Not applicable" in html
    assert "Writes window functions" in html  # the skill's own descriptor of the chosen level
    assert f'value="3" id="level-{sql.pk}-3"' in html
    assert "I want to grow in this" in html
    assert "Rate the skills of my role" in html
    # Every input has a label; every row is a real form that works without JavaScript.
    assert f'action="{_save(org_a, sql.pk)}"' in html
    assert f'hx-post="{_save(org_a, sql.pk)}"' in html
    assert f'for="note-{sql.pk}"' in html


def test_htmx_save_returns_the_row_with_saved_and_records_the_event(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation, name="Kubernetes")
    _on_profile(org_a, skill)
    response = login(org_a.member).post(
        _save(org_a, skill.pk),
        {"level": "4", "interest": "on", "note": "Ran the migration"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved" in html and 'aria-live="polite"' in html
    assert f'id="skill-{skill.pk}"' in html and "<html" not in html
    [rating] = _ratings(org_a)
    assert (rating.level, rating.interest, rating.note, rating.source) == (
        4,
        True,
        "Ran the migration",
        RatingSource.SELF,
    )
    assert rating.person_id == org_a.people["member"].pk and rating.rated_by_id == org_a.member.pk


def test_plain_post_redirects_back_to_the_row_with_a_message(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation)
    _on_profile(org_a, skill)
    client = login(org_a.member)
    response = client.post(_save(org_a, skill.pk), {"level": "na"})
    assert response.status_code == 302
    assert response["Location"] == f"{_page(org_a)}#skill-{skill.pk}"
    [rating] = _ratings(org_a)
    assert rating.not_applicable and rating.level is None
    page = client.get(response["Location"])
    assert f"Saved your rating of {skill.name}." in page.content.decode()


def test_two_saves_are_two_events_and_the_page_shows_the_latest(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation)
    client = login(org_a.member)
    client.post(_save(org_a, skill.pk), {"level": "2"}, headers=HTMX)
    client.post(_save(org_a, skill.pk), {"level": "5"}, headers=HTMX)
    assert sorted(r.level for r in _ratings(org_a)) == [2, 5]
    html = client.get(_page(org_a)).content.decode()
    assert f'value="5" id="level-{skill.pk}-5"' in html
    checked = html.split(f'id="level-{skill.pk}-5"')[1].split(">")[0]
    assert "checked" in checked


@pytest.mark.parametrize("data", [{"level": "9"}, {"level": "abc"}, {}, {"level": "-1"}])
def test_a_bad_level_rerenders_the_row_with_the_error_and_writes_nothing(org_a, login, data):
    skill = SkillFactory(organisation=org_a.organisation)
    _on_profile(org_a, skill)
    client = login(org_a.member)
    htmx = client.post(_save(org_a, skill.pk), data, headers=HTMX)
    plain = client.post(_save(org_a, skill.pk), data)
    assert htmx.status_code == plain.status_code == 400
    assert 'role="alert"' in htmx.content.decode() and "<html" not in htmx.content.decode()
    assert "Choose a level" in htmx.content.decode()
    assert "Choose a level" in plain.content.decode() and "<html" in plain.content.decode()
    assert _ratings(org_a) == []


def test_an_archived_skill_is_refused_with_its_message(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation, is_archived=True)
    client = login(org_a.member)
    htmx = client.post(_save(org_a, skill.pk), {"level": "3"}, headers=HTMX)
    plain = client.post(_save(org_a, skill.pk), {"level": "3"})
    assert htmx.status_code == plain.status_code == 400
    for response in (htmx, plain):
        assert "This skill is archived; ratings are closed" in response.content.decode()
    assert _ratings(org_a) == []


def test_another_organisations_skill_is_the_same_404_as_a_missing_one(org_a, org_b, login):
    theirs = SkillFactory(organisation=org_b.organisation)
    client = login(org_a.member)
    for headers in ({}, HTMX):
        other = client.post(_save(org_a, theirs.pk), {"level": "3"}, headers=headers)
        missing = client.post(_save(org_a, 999_999), {"level": "3"}, headers=headers)
        assert other.status_code == missing.status_code == 404
        assert _without_csrf(other) == _without_csrf(missing)
    assert _ratings(org_a) == [] and _ratings(org_b) == []


def test_the_row_shows_stale_and_validated_markers(org_a, login):
    organisation = org_a.organisation
    stale = SkillFactory(organisation=organisation, name="Perl")
    validated = SkillFactory(organisation=organisation, name="Go")
    person = org_a.people["member"]
    long_ago = timezone.now() - timedelta(days=organisation.review_period_days + 10)
    RatingFactory(organisation=organisation, person=person, skill=stale, rated_at=long_ago)
    RatingFactory(organisation=organisation, person=person, skill=validated, level=4)
    RatingFactory(
        organisation=organisation, person=person, skill=validated, level=3,
        source=RatingSource.MANAGER, note="Lead one service first",
        rated_at=timezone.now() + timedelta(seconds=1),
    )  # fmt: skip
    html = login(org_a.member).get(_page(org_a)).content.decode()
    perl_row = _row(html, stale.pk)
    go_row = _row(html, validated.pk)
    assert "stale" in perl_row and "Validated by manager" not in perl_row
    assert "Validated by manager at level 3" in go_row and "stale" not in go_row
    assert "Lead one service first" in go_row


def test_search_lists_matching_open_skills_and_adds_one_to_the_profile(org_a, org_b, login):
    organisation = org_a.organisation
    wanted = SkillFactory(organisation=organisation, name="PostgreSQL")
    SkillFactory(organisation=organisation, name="PostGIS", is_archived=True)
    SkillFactory(organisation=org_b.organisation, name="PostScript")
    client = login(org_a.member)
    url = reverse("skills:self_rating_add", kwargs={"org_slug": organisation.slug})
    html = client.get(url, {"q": "post"}).content.decode()
    assert "PostgreSQL" in html and "PostGIS" not in html and "PostScript" not in html
    assert "Add to my profile" in html

    response = client.post(url, {"skill": wanted.pk})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#skill-{wanted.pk}")
    with organisation_context(organisation):
        assert ProfileSkill.objects.filter(person=org_a.people["member"], skill=wanted).exists()
        assert AuditEvent.objects.filter(verb="profile_skill.added").count() == 1
    assert f"<legend>{wanted.name}" in client.get(_page(org_a)).content.decode()


def test_adding_another_organisations_skill_reads_like_a_missing_one(org_a, org_b, login):
    theirs = SkillFactory(organisation=org_b.organisation)
    client = login(org_a.member)
    url = reverse("skills:self_rating_add", kwargs={"org_slug": org_a.organisation.slug})
    other, missing = client.post(url, {"skill": theirs.pk}), client.post(url, {"skill": 999_999})
    assert other.status_code == missing.status_code == 400
    assert "Select a valid skill." in other.content.decode()
    assert "Select a valid skill." in missing.content.decode()
    with organisation_context(org_a.organisation):
        assert not ProfileSkill.objects.exists()


def test_only_unrated_skills_can_be_removed(org_a, login):
    organisation = org_a.organisation
    unrated = SkillFactory(organisation=organisation, name="Rust")
    rated = SkillFactory(organisation=organisation, name="Java")
    for skill in (unrated, rated):
        _on_profile(org_a, skill)
    RatingFactory(organisation=organisation, person=org_a.people["member"], skill=rated)
    client = login(org_a.member)
    html = client.get(_page(org_a)).content.decode()
    remove = "skills:self_rating_remove"
    assert reverse(remove, args=[organisation.slug, unrated.pk]) in html
    assert reverse(remove, args=[organisation.slug, rated.pk]) not in html
    client.post(reverse(remove, args=[organisation.slug, unrated.pk]))
    refused = client.post(reverse(remove, args=[organisation.slug, rated.pk]), follow=True)
    assert "stays on your profile" in refused.content.decode()
    html = client.get(_page(org_a)).content.decode()
    assert "<legend>Rust" not in html and "<legend>Java" in html


def test_the_page_escapes_skill_names_and_notes(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation, name=XSS_NAME)
    client = login(org_a.member)
    saved = client.post(_save(org_a, skill.pk), {"level": "3", "note": XSS_NOTE}, headers=HTMX)
    page = client.get(_page(org_a))
    for response in (saved, page):
        html = response.content.decode()
        assert XSS_NAME not in html and XSS_NOTE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_role_has_a_self_rating_page_of_their_own(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation)
    RatingFactory(organisation=org_a.organisation, person=org_a.people["member"], skill=skill)
    for role in ("member", "manager", "hr", "admin"):
        html = login(org_a.user(role)).get(_page(org_a)).content.decode()
        # Only the member rated that skill; nobody else's page shows it.
        assert (f"<legend>{skill.name}" in html) == (role == "member")


def _profile_of(world, count: int) -> None:
    organisation = world.organisation
    categories = [SkillCategoryFactory(organisation=organisation) for _ in range(3)]
    person = world.people["member"]
    for i in range(count):
        skill = SkillFactory(organisation=organisation, category=categories[i % 3])
        _on_profile(world, skill)
        if i % 2:
            RatingFactory(organisation=organisation, person=person, skill=skill, level=i % 6)
        if i % 4 == 1:
            RatingFactory(
                organisation=organisation, person=person, skill=skill, level=2,
                source=RatingSource.MANAGER,
            )  # fmt: skip
        with organisation_context(organisation):
            SkillLevelDescriptor.objects.create(
                organisation=organisation, skill=skill, value=2, description=f"Level 2 of {i}"
            )


def test_the_page_makes_the_same_number_of_queries_for_5_and_40_skills(org_a, org_b, login):
    counts = []
    for world, size in ((org_a, 5), (org_b, 40)):
        _profile_of(world, size)
        client = login(world.member)
        client.get(_page(world))  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_page(world))
        assert response.status_code == 200
        assert response.content.decode().count('class="rating-row') == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_rate_the_skills_of_my_role_puts_the_roles_skills_on_the_profile(org_a, login):
    from roles.models import RoleProfile
    from roles.services import role_assign, role_requirement_set
    from skills.models import ProfileSkill

    organisation = org_a.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        skills = [SkillFactory(organisation=organisation, name=n) for n in ("Go", "SQL")]
        for skill in skills:
            role_requirement_set(role=role, skill=skill, target_level=3, by=None)
        role_assign(organisation=organisation, person=org_a.people["member"], role=role, by=None)
    client = login(org_a.member)
    response = client.post("/o/alpha/me/skills/add-role-skills/", follow=True)
    assert "Added 2 skills of your role" in response.content.decode()
    with organisation_context(organisation):
        on_profile = set(
            ProfileSkill.objects.filter(person=org_a.people["member"]).values_list(
                "skill__name", flat=True
            )
        )
    assert {"Go", "SQL"} <= on_profile
    again = client.post("/o/alpha/me/skills/add-role-skills/", follow=True)
    assert "already on your profile" in again.content.decode()
