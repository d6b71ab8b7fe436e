"""Manager validation: the list of the caller's reports, one person's skills, and the validation
form that records a manager rating event."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditEvent
from skills.models import Rating, RatingSource
from skills.selectors.ratings import effective_levels
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
XSS_NAME = '"><img src=x onerror=alert(1)>'
XSS_NOTE = "<script>alert(1)</script>"


def _without_csrf(response) -> bytes:
    # The masked CSRF token (the sign-out form) differs on every response; the rest must not.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def _list(world) -> str:
    return reverse("skills:validation", kwargs={"org_slug": world.organisation.slug})


def _person(world, person_id: int) -> str:
    return reverse(
        "skills:validation_person",
        kwargs={"org_slug": world.organisation.slug, "person_id": person_id},
    )


def _save(world, person_id: int, skill_id: int) -> str:
    return reverse(
        "skills:validation_save",
        kwargs={"org_slug": world.organisation.slug, "person_id": person_id, "skill_id": skill_id},
    )


def _self(world, person, skill, level, **kwargs):
    kwargs.setdefault("rated_at", timezone.now() - timedelta(minutes=5))
    return RatingFactory(
        organisation=world.organisation, person=person, skill=skill, level=level, **kwargs
    )


def _manager_events(world) -> list[Rating]:
    with organisation_context(world.organisation):
        return list(Rating.objects.filter(source=RatingSource.MANAGER))


def test_a_member_gets_403_on_the_validation_pages(org_a, login):
    client = login(org_a.member)
    member = org_a.people["member"]
    skill = SkillFactory(organisation=org_a.organisation)
    assert client.get(_list(org_a)).status_code == 403
    assert client.get(_person(org_a, member.pk)).status_code == 403
    assert client.post(_save(org_a, member.pk, skill.pk), {"level": "3"}).status_code == 403
    assert _manager_events(org_a) == []


def test_the_list_shows_direct_and_indirect_reports_with_their_counts(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    PersonFactory(organisation=organisation, manager=member, name="Ines Indirect")
    PersonFactory(organisation=organisation, name="Olga Outside")
    api, sql, go = (SkillFactory(organisation=organisation) for _ in range(3))
    _self(org_a, member, api, 4)
    _self(org_a, member, sql, 2)
    _self(org_a, member, go, 3)
    # The manager agrees on SQL, sees API two levels lower, has not looked at Go.
    for skill, level in ((sql, 2), (api, 2)):
        RatingFactory(organisation=organisation, person=member, skill=skill, level=level,
                      source=RatingSource.MANAGER)  # fmt: skip

    response = login(org_a.manager).get(_list(org_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert escape(member.name) in html and "Ines Indirect" in html
    assert "Olga Outside" not in html and org_a.people["hr"].name not in html
    row = html.split(member.name)[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # job title, self-rated, validated, differ, largest difference
    assert cells[1:5] == ["3", "2", "1", "2"]


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admins_see_everyone_but_themselves(org_a, login, role):
    html = login(org_a.user(role)).get(_list(org_a)).content.decode()
    for other, person in org_a.people.items():
        assert (f">{person.name}</th>" in html) == (other != role)


def test_a_manager_outside_the_reporting_line_gets_404_as_if_the_person_did_not_exist(org_a, login):
    organisation = org_a.organisation
    stranger = PersonFactory(organisation=organisation)
    skill = SkillFactory(organisation=organisation)
    _self(org_a, stranger, skill, 3)
    client = login(org_a.manager)
    outside = client.get(_person(org_a, stranger.pk))
    missing = client.get(_person(org_a, 999_999))
    assert outside.status_code == missing.status_code == 404
    assert _without_csrf(outside) == _without_csrf(missing)
    post = client.post(_save(org_a, stranger.pk, skill.pk), {"level": "3"})
    assert post.status_code == 404
    # A manager validating themselves is outside the line too.
    assert client.get(_person(org_a, org_a.people["manager"].pk)).status_code == 404
    assert _manager_events(org_a) == []


def test_the_person_page_shows_self_manager_effective_difference_and_note(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation, name="Terraform")
    _self(org_a, member, skill, 4, note="Wrote our modules")
    RatingFactory(organisation=organisation, person=member, skill=skill, level=3,
                  source=RatingSource.MANAGER)  # fmt: skip
    html = login(org_a.manager).get(_person(org_a, member.pk)).content.decode()
    row = html.split('<tr id="skill-')[1]
    cells = [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]
    assert cells[0].startswith("4") and cells[1] == "3"
    assert cells[2].startswith("3") and "validated" in cells[2]
    assert "−1" in cells[3] and "below the self-assessment" in cells[3]
    assert "Wrote our modules" in row
    assert f'action="{_save(org_a, member.pk, skill.pk)}"' in row


def test_confirming_with_htmx_creates_a_manager_event_and_makes_it_effective(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation)
    _self(org_a, member, skill, 4)
    response = login(org_a.manager).post(_save(org_a, member.pk, skill.pk), {"level": "4"},
                                         headers=HTMX)  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved" in html and html.lstrip().startswith("<tr")
    [event] = _manager_events(org_a)
    assert (event.level, event.rated_by_id, event.person_id) == (4, org_a.manager.pk, member.pk)
    with organisation_context(organisation):
        effective = effective_levels(organisation=organisation, person_ids=[member.pk])
        assert AuditEvent.objects.filter(verb="rating.created", target_id=str(event.pk)).exists()
    assert effective[(member.pk, skill.pk)].validated


def test_adjusting_without_js_redirects_and_needs_a_note(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation)
    _self(org_a, member, skill, 4)
    client = login(org_a.manager)
    refused = client.post(_save(org_a, member.pk, skill.pk), {"level": "2"})
    assert refused.status_code == 400
    assert "Add a note" in refused.content.decode()
    assert _manager_events(org_a) == []
    done = client.post(_save(org_a, member.pk, skill.pk), {"level": "2", "note": "Not yet"})
    assert done.status_code == 302
    assert done["Location"] == f"{_person(org_a, member.pk)}#skill-{skill.pk}"
    [event] = _manager_events(org_a)
    assert (event.level, event.note) == (2, "Not yet")
    with organisation_context(organisation):
        effective = effective_levels(organisation=organisation, person_ids=[member.pk])
    assert effective[(member.pk, skill.pk)].level == 2


def test_a_bad_level_or_archived_skill_rerenders_the_row_with_400(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    open_skill = SkillFactory(organisation=organisation)
    archived = SkillFactory(organisation=organisation, is_archived=True)
    client = login(org_a.manager)
    bad = client.post(_save(org_a, member.pk, open_skill.pk), {"level": "9"}, headers=HTMX)
    closed = client.post(_save(org_a, member.pk, archived.pk), {"level": "3", "note": "x"},
                         headers=HTMX)  # fmt: skip
    assert bad.status_code == closed.status_code == 400
    assert "Choose a level" in bad.content.decode()
    assert "This skill is archived; ratings are closed" in closed.content.decode()
    assert _manager_events(org_a) == []


def test_another_organisations_person_or_skill_is_404(org_a, org_b, login):
    client = login(org_a.hr)
    theirs = SkillFactory(organisation=org_b.organisation)
    ours = SkillFactory(organisation=org_a.organisation)
    member_b = org_b.people["member"]
    assert client.post(_save(org_a, member_b.pk, ours.pk), {"level": "3"}).status_code == 404
    member_a = org_a.people["member"]
    other = client.post(_save(org_a, member_a.pk, theirs.pk), {"level": "3"}, headers=HTMX)
    missing = client.post(_save(org_a, member_a.pk, 999_999), {"level": "3"}, headers=HTMX)
    assert other.status_code == missing.status_code == 404
    assert _without_csrf(other) == _without_csrf(missing)
    assert _manager_events(org_a) == [] and _manager_events(org_b) == []


def test_the_validation_pages_escape_names_and_notes(org_a, login):
    organisation = org_a.organisation
    member = org_a.people["member"]
    skill = SkillFactory(organisation=organisation, name=XSS_NAME)
    _self(org_a, member, skill, 3, note=XSS_NOTE)
    client = login(org_a.manager)
    page = client.get(_person(org_a, member.pk))
    row = client.post(_save(org_a, member.pk, skill.pk), {"level": "2", "note": XSS_NOTE},
                      headers=HTMX)  # fmt: skip
    for response in (page, row):
        html = response.content.decode()
        assert response.status_code == 200
        assert XSS_NAME not in html and XSS_NOTE not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x" in html


def _reports(world, count: int) -> None:
    organisation = world.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(4)]
    for _ in range(count):
        person = PersonFactory(organisation=organisation, manager=world.people["manager"])
        for level, skill in enumerate(skills):
            _self(world, person, skill, level)
            if level % 2:
                RatingFactory(organisation=organisation, person=person, skill=skill, level=2,
                              source=RatingSource.MANAGER)  # fmt: skip


def test_the_list_makes_the_same_number_of_queries_for_3_and_20_reports(org_a, org_b, login):
    counts = []
    for world, size in ((org_a, 3), (org_b, 20)):
        _reports(world, size)
        client = login(world.manager)
        client.get(_list(world))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_list(world))
        assert response.status_code == 200
        # the generated reports plus the fixture's member
        assert response.content.decode().count("Review<span") == size + 1
        counts.append(len(queries))
    assert counts[0] == counts[1]
