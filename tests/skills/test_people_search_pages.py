"""People search: who has these skills at these levels, among the people the caller may see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from skills.models import RatingSource
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

XSS_NAME = '"><img src=x onerror=alert(1)>'


def _url(world) -> str:
    return reverse("skills:people_search", kwargs={"org_slug": world.organisation.slug})


def _rate(world, person, skill, level, **kwargs):
    return RatingFactory(
        organisation=world.organisation, person=person, skill=skill, level=level, **kwargs
    )


def _names(html: str) -> list[str]:
    """The people in the results table, in order."""
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    cells = [cell.split("</th>")[0] for cell in body.split('<th scope="row">')[1:]]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_a_member_gets_403(org_a, login):
    assert login(org_a.member).get(_url(org_a)).status_code == 403


def test_criteria_are_combined_with_and_and_sorted_by_total_level_then_name(org_a, login):
    organisation = org_a.organisation
    python = SkillFactory(organisation=organisation, name="Python")
    sql = SkillFactory(organisation=organisation, name="SQL")
    people = {
        name: PersonFactory(organisation=organisation, name=name, job_title=f"{name}'s job")
        for name in ("Bea", "Ada", "Cem", "Dan", "Eve")
    }
    _rate(org_a, people["Ada"], python, 4)
    _rate(org_a, people["Ada"], sql, 3)  # total 7
    _rate(org_a, people["Bea"], python, 3)
    _rate(org_a, people["Bea"], sql, 4)  # total 7, after Ada by name
    _rate(org_a, people["Cem"], python, 5)
    _rate(org_a, people["Cem"], sql, 5)  # total 10: first
    _rate(org_a, people["Dan"], python, 5)  # no SQL: AND excludes him
    _rate(org_a, people["Eve"], python, 5)
    _rate(org_a, people["Eve"], sql, 2)  # below the minimum
    response = login(org_a.hr).get(_url(org_a), {"skill": [python.pk, sql.pk], "min": ["3", "3"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert _names(html) == ["Cem", "Ada", "Bea"]
    assert "Ada&#x27;s job" in html


def test_results_show_each_matched_level_validated_or_self_and_stale(org_a, login):
    organisation = org_a.organisation
    go = SkillFactory(organisation=organisation, name="Go")
    old = timezone.now() - timedelta(days=organisation.review_period_days + 1)
    fresh = PersonFactory(organisation=organisation, name="Fresh Validated")
    stale = PersonFactory(organisation=organisation, name="Stale Self")
    _rate(org_a, fresh, go, 3, rated_at=timezone.now() - timedelta(minutes=1))
    _rate(org_a, fresh, go, 4, source=RatingSource.MANAGER)
    _rate(org_a, stale, go, 2, rated_at=old)
    html = login(org_a.admin).get(_url(org_a), {"skill": go.pk, "min": "1"}).content.decode()
    rows = html.split("<tbody>")[1].split("</tr>")
    assert "Fresh Validated" in rows[0] and "validated" in rows[0] and "stale" not in rows[0]
    assert "Stale Self" in rows[1] and "self-assessed" in rows[1] and "stale" in rows[1]


def test_not_applicable_never_matches(org_a, login):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation)
    person = PersonFactory(organisation=organisation, name="Nadia")
    RatingFactory(organisation=organisation, person=person, skill=skill, level=None,
                  not_applicable=True)  # fmt: skip
    html = login(org_a.hr).get(_url(org_a), {"skill": skill.pk, "min": "1"}).content.decode()
    assert "Nadia" not in html


def test_a_manager_finds_only_themselves_and_their_reports(org_a, login):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation)
    for person in org_a.people.values():
        _rate(org_a, person, skill, 4)
    html = login(org_a.manager).get(_url(org_a), {"skill": skill.pk, "min": "2"}).content.decode()
    assert sorted(_names(html)) == sorted(
        [org_a.people["manager"].name, org_a.people["member"].name]
    )


def test_another_organisations_skill_is_the_same_form_error_as_a_missing_one(org_a, org_b, login):
    theirs = SkillFactory(organisation=org_b.organisation)
    _rate(org_b, org_b.people["member"], theirs, 5)
    client = login(org_a.hr)
    other = client.get(_url(org_a), {"skill": theirs.pk, "min": "1"})
    missing = client.get(_url(org_a), {"skill": 999_999, "min": "1"})
    for response in (other, missing):
        html = response.content.decode()
        assert response.status_code == 400
        assert "Select a valid skill." in html
        assert _names(html) == []
        assert org_b.people["member"].name not in html


def test_a_minimum_off_the_scale_is_a_form_error(org_a, login):
    skill = SkillFactory(organisation=org_a.organisation)
    response = login(org_a.hr).get(_url(org_a), {"skill": skill.pk, "min": "9"})
    assert response.status_code == 400
    assert "Select a level on the scale." in response.content.decode()


def test_at_most_three_criteria_are_used(org_a, login):
    organisation = org_a.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(4)]
    person = PersonFactory(organisation=organisation, name="Three Only")
    for skill in skills[:3]:
        _rate(org_a, person, skill, 3)
    response = login(org_a.hr).get(_url(org_a), {"skill": [s.pk for s in skills], "min": ["1"] * 4})
    assert _names(response.content.decode()) == ["Three Only"]


def test_the_search_page_escapes_skill_and_person_names(org_a, login):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation, name=XSS_NAME)
    person = PersonFactory(organisation=organisation, name=XSS_NAME)
    _rate(org_a, person, skill, 3)
    html = login(org_a.hr).get(_url(org_a), {"skill": skill.pk, "min": "1"}).content.decode()
    assert XSS_NAME not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def _people(world, count: int) -> list:
    organisation = world.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(2)]
    for i in range(count):
        person = PersonFactory(organisation=organisation)
        for skill in skills:
            _rate(world, person, skill, 1 + i % 5)
    return skills


def test_the_search_makes_the_same_number_of_queries_for_5_and_40_people(org_a, org_b, login):
    counts = []
    for world, size in ((org_a, 5), (org_b, 40)):
        skills = _people(world, size)
        client = login(world.hr)
        params = {"skill": [s.pk for s in skills], "min": ["1", "1"]}
        client.get(_url(world), params)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(world), params)
        assert len(_names(response.content.decode())) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_each_select_offers_every_skill_and_keeps_its_own_choice(org_a, login):
    organisation = org_a.organisation
    python = SkillFactory(organisation=organisation, name="Python")
    sql = SkillFactory(organisation=organisation, name="SQL")
    hostile = SkillFactory(organisation=organisation, name=XSS_NAME)
    html = (
        login(org_a.hr)
        .get(_url(org_a), {"skill": [sql.pk, python.pk], "min": [1, 1]})
        .content.decode()
    )
    selects = re.findall(r'<select name="skill".*?</select>', html, re.S)
    assert len(selects) == 3
    for select, chosen in zip(selects, [sql, python, None], strict=True):
        offered = re.findall(r'<option value="(\d+)"', select)
        assert set(offered) >= {str(python.pk), str(sql.pk), str(hostile.pk)}
        picked = re.findall(r'<option value="(\d+)" selected>', select)
        assert picked == ([str(chosen.pk)] if chosen else [])
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in select
        assert XSS_NAME not in select
