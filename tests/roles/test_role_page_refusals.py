"""A refusal by the role services reached through the role page is the form back with the
service's message (status 400, nothing written), not a 500.

The forms check the same bounds as the services today, so the refusal is provoked by standing in
for the service: what is under test is the page's handling of a ``ServiceError``."""

from __future__ import annotations

import pytest

from roles import services
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

OUT_OF_SCALE = "The target level must be on the scale (0–5)."


@pytest.fixture
def role(org_a):
    with organisation_context(org_a.organisation):
        return RoleProfile.objects.create(organisation=org_a.organisation, name="Platform Engineer")


def _refuse(message):
    def refused(**kwargs):
        raise ServiceError(message)

    return refused


def test_an_out_of_scale_target_refused_by_the_service_is_a_form_error(
    org_a, role, login, monkeypatch
):
    skill = SkillFactory(organisation=org_a.organisation, name="Kubernetes")
    monkeypatch.setattr(services, "role_requirement_set", _refuse(OUT_OF_SCALE))
    response = login(org_a.hr).post(
        f"/o/alpha/roles/{role.pk}/requirements/",
        {"skill": skill.pk, "target_level": 5, "importance": "essential", "weight": "1"},
    )
    assert response.status_code == 400
    assert response.context["requirement_form"].non_field_errors() == [OUT_OF_SCALE]
    assert OUT_OF_SCALE in response.content.decode()
    with organisation_context(org_a.organisation):
        assert not RoleRequirement.objects.exists()


def test_an_assignment_refused_by_the_service_is_a_form_error(org_a, role, login, monkeypatch):
    message = "Select a valid person and role."
    monkeypatch.setattr(services, "role_assign", _refuse(message))
    response = login(org_a.hr).post(
        f"/o/alpha/roles/{role.pk}/assign/",
        {"person": org_a.people["member"].pk, "kind": "current"},
    )
    assert response.status_code == 400
    assert response.context["assignment_form"].non_field_errors() == [message]
    with organisation_context(org_a.organisation):
        assert not RoleAssignment.objects.exists()
