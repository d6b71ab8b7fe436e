"""Issue #13, item 2: after a manager validates a level, the validation row shows that level (not
the self-assessment) in its control, the self level, the signed difference and the note, and
confirming it again keeps it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from skills.selectors.ratings import effective_levels
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

NOTE = "Led the queue migration on her own"


def _page(world, person) -> str:
    return reverse(
        "skills:validation_person",
        kwargs={"org_slug": world.organisation.slug, "person_id": person.pk},
    )


def _save(world, person, skill) -> str:
    return reverse(
        "skills:validation_save",
        kwargs={"org_slug": world.organisation.slug, "person_id": person.pk, "skill_id": skill.pk},
    )


def _row(html: str, skill) -> str:
    match = re.search(rf'<tr id="skill-{skill.pk}".*?</tr>', html, re.S)
    assert match, "the skill's row is on the page"
    return match.group(0)


def _selected(row: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)" selected>', row)


@pytest.fixture
def validated(org_a, login):
    """Distributed Systems: self-assessed 2, then validated at 3 by the manager with a note."""
    member = org_a.people["member"]
    skill = SkillFactory(organisation=org_a.organisation, name="Distributed Systems")
    RatingFactory(
        organisation=org_a.organisation,
        person=member,
        skill=skill,
        level=2,
        rated_at=timezone.now() - timedelta(days=1),
    )
    client = login(org_a.manager)
    response = client.post(_save(org_a, member, skill), {"level": "3", "note": NOTE})
    assert response.status_code == 302
    return client, member, skill


def _effective_level(world, member, skill) -> int | None:
    with organisation_context(world.organisation):
        levels = effective_levels(
            organisation=world.organisation, person_ids=[member.pk], skill_ids=[skill.pk]
        )
    return levels[(member.pk, skill.pk)].level


def test_after_a_reload_the_control_shows_the_validated_level_not_the_self_level(org_a, validated):
    client, member, skill = validated
    row = _row(client.get(_page(org_a, member)).content.decode(), skill)
    assert _selected(row) == ["3"]


def test_the_row_shows_the_self_level_the_signed_difference_and_the_note(org_a, validated):
    client, member, skill = validated
    row = _row(client.get(_page(org_a, member)).content.decode(), skill)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    self_cell, manager_cell, _effective, difference, _last, note = cells[:6]
    assert self_cell.strip() == "2"
    assert manager_cell.strip() == "3"
    assert "+1" in difference
    assert "manager 1 level above the self-assessment" in difference
    assert NOTE in note


def test_a_lower_validation_is_explained_with_a_minus_sign(org_a, login):
    member = org_a.people["member"]
    skill = SkillFactory(organisation=org_a.organisation)
    RatingFactory(
        organisation=org_a.organisation,
        person=member,
        skill=skill,
        level=4,
        rated_at=timezone.now() - timedelta(days=1),
    )
    client = login(org_a.manager)
    client.post(_save(org_a, member, skill), {"level": "2", "note": "Not yet on her own"})
    row = _row(client.get(_page(org_a, member)).content.decode(), skill)
    assert "−2" in row
    assert "manager 2 levels below the self-assessment" in row


def test_the_htmx_row_after_the_save_shows_the_validated_level(org_a, login):
    member = org_a.people["member"]
    skill = SkillFactory(organisation=org_a.organisation)
    RatingFactory(
        organisation=org_a.organisation,
        person=member,
        skill=skill,
        level=2,
        rated_at=timezone.now() - timedelta(days=1),
    )
    client = login(org_a.manager)
    response = client.post(
        _save(org_a, member, skill), {"level": "3", "note": NOTE}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    row = _row(response.content.decode(), skill)
    assert _selected(row) == ["3"]
    assert NOTE in row


def test_confirming_the_row_again_as_rendered_keeps_the_validated_level(org_a, validated):
    client, member, skill = validated
    row = _row(client.get(_page(org_a, member)).content.decode(), skill)
    # Submit exactly what the form carries: its selected level and its note field's value.
    note = re.search(r'name="note" id="vnote-\d+" maxlength="2000" value="([^"]*)"', row)
    assert note is not None
    response = client.post(
        _save(org_a, member, skill), {"level": _selected(row)[0], "note": note.group(1)}
    )
    assert response.status_code == 302
    assert _effective_level(org_a, member, skill) == 3


def test_an_unvalidated_row_starts_from_the_self_level_with_an_empty_note(org_a, login):
    member = org_a.people["member"]
    skill = SkillFactory(organisation=org_a.organisation)
    RatingFactory(
        organisation=org_a.organisation,
        person=member,
        skill=skill,
        level=2,
        note="my own note",
        rated_at=timezone.now() - timedelta(days=1),
    )
    row = _row(login(org_a.manager).get(_page(org_a, member)).content.decode(), skill)
    assert _selected(row) == ["2"]
    assert 'maxlength="2000" value=""' in row
    assert "my own note" in row
