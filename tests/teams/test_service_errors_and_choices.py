"""The people-and-teams services refuse with the one service error type (keyed by field, read as a
sentence), the pages put each message on its field, and the forms' choices come from selectors
that leave out the person or team being edited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from teams import services
from teams.forms import PersonForm, TeamForm
from teams.selectors import person_choices, team_list
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_refusal_is_a_service_error_keyed_by_field_that_reads_as_a_sentence(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        team = TeamFactory(organisation=organisation, name="Payments")
        with pytest.raises(ServiceError) as duplicate:
            services.team_create(organisation=organisation, name="payments", by=org_a.hr)
        with pytest.raises(ServiceError) as not_member:
            services.team_member_remove(team=team, person=org_a.people["member"], by=org_a.hr)
    assert isinstance(duplicate.value, ValidationError)
    assert duplicate.value.message_dict == {"name": ["A team called “payments” already exists."]}
    assert str(duplicate.value) == "A team called “payments” already exists."
    assert not_member.value.message_dict == {"person": ["This person is not in the team."]}


def test_the_team_page_puts_the_services_message_on_its_field(org_a, login):
    with organisation_context(org_a.organisation):
        parent = TeamFactory(organisation=org_a.organisation, name="Engineering")
        child = TeamFactory(organisation=org_a.organisation, name="Payments", parent=parent)
    response = login(org_a.hr).post(
        f"/o/alpha/teams/{parent.pk}/edit/", {"name": "Engineering", "parent": child.pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "parent": ["A team cannot sit below itself or one of its sub-teams."]
    }


def test_the_person_page_puts_the_services_message_on_its_field(org_a, login):
    member, manager = org_a.people["member"], org_a.people["manager"]
    response = login(org_a.hr).post(
        f"/o/alpha/people/{member.pk}/edit/",
        {"name": member.name, "email": manager.email, "is_active": "on"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": [f"{manager.name} already has the address {manager.email}."]
    }


def test_no_one_is_offered_as_their_own_manager_nor_a_team_as_its_own_parent(org_a):
    organisation = org_a.organisation
    member = org_a.people["member"]
    with organisation_context(organisation):
        payments = TeamFactory(organisation=organisation, name="Payments")
        platform = TeamFactory(organisation=organisation, name="Platform")
        everyone = set(person_choices(organisation=organisation))
        assert set(person_choices(organisation=organisation, exclude=member)) == everyone - {member}
        assert list(team_list(organisation=organisation, exclude=payments)) == [platform]
        managers = PersonForm(organisation=organisation, person=member).fields["manager"]
        parents = TeamForm(organisation=organisation, team=payments).fields["parent"]
        assert member not in set(managers.queryset)
        assert set(parents.queryset) == {platform}
        new_person = PersonForm(organisation=organisation).fields["manager"]
        assert set(new_person.queryset) == everyone
