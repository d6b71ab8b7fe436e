"""A manager's validation tells the rated person, in the app and by email."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.kinds import Kind
from skills.models import RatingSource
from skills.services.ratings import RatingError, rating_set, rating_validate
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.notifications.conftest import notifications_of
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def python(org_a):
    skill = SkillFactory(organisation=org_a.organisation, name="Python")
    with organisation_context(org_a.organisation):
        rating_set(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            skill=skill,
            level=3,
            source=RatingSource.SELF,
            by=org_a.member,
        )
    return skill


def test_confirming_a_self_assessment_notifies_the_person(
    org_a, python, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(org_a.manager).post(
            f"/o/alpha/ratings/validate/{org_a.people['member'].pk}/{python.pk}/",
            {"level": "3", "note": ""},
        )
    assert response.status_code == 302, response.content
    [notification] = notifications_of(org_a.organisation, org_a.member)
    assert notification.kind == Kind.RATING_VALIDATED
    manager_name = org_a.manager.get_full_name()
    assert notification.title == f"{manager_name} validated your rating of Python"
    assert "level 3" in notification.body
    assert notification.url == f"/o/alpha/me/skills/#skill-{python.pk}"
    [email] = mail.outbox
    assert email.to == ["member@alpha.example"]
    assert email.subject == notification.title
    # The manager, who acted, is not notified.
    assert notifications_of(org_a.organisation, org_a.manager) == []


def test_an_adjusted_level_carries_the_managers_note(org_a, python):
    with organisation_context(org_a.organisation):
        rating_validate(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            skill=python,
            level=2,
            note="Not yet on production systems.",
            by=org_a.manager,
        )
    [notification] = notifications_of(org_a.organisation, org_a.member)
    assert "adjusted your rating of Python" in notification.title
    assert "now level 2" in notification.body
    assert "Not yet on production systems." in notification.body


def test_a_refused_validation_notifies_no_one(org_a, python):
    with organisation_context(org_a.organisation), pytest.raises(RatingError):
        rating_validate(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            skill=python,
            level=1,
            note="",  # an adjustment needs a note
            by=org_a.manager,
        )
    assert notifications_of(org_a.organisation) == []


def test_a_person_who_does_not_sign_in_gets_nothing(org_a):
    skill = SkillFactory(organisation=org_a.organisation, name="Go")
    with organisation_context(org_a.organisation):
        person = Person.objects.create(
            organisation=org_a.organisation, name="No Login", manager=org_a.people["manager"]
        )
        rating_validate(
            organisation=org_a.organisation,
            person=person,
            skill=skill,
            level=2,
            note="From the one-to-one.",
            by=org_a.manager,
        )
    assert notifications_of(org_a.organisation) == []
