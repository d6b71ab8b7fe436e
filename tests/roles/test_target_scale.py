"""Role targets lie on the organisation's own scale (``skills.selectors.framework.scale_bounds``),
in the service, on the page and in the API alike."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from roles.models import RoleProfile, RoleRequirement
from roles.services import role_requirement_set
from skills.models import ProficiencyLevel
from skills.selectors.framework import DEFAULT_SCALE_BOUNDS, scale_bounds
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from tests.factories import OrganisationFactory
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _short_scale(world):
    """Alpha's scale without its two top levels: 0–3."""
    with organisation_context(world.organisation):
        ProficiencyLevel.objects.filter(organisation=world.organisation, value__gt=3).delete()
        role = RoleProfile.objects.create(organisation=world.organisation, name="SRE")
        skill = SkillFactory(organisation=world.organisation, name="Kubernetes")
    return role, skill


def test_the_bounds_are_the_organisations_scale_or_the_default_one(org_a):
    assert DEFAULT_SCALE_BOUNDS == (0, 5)
    with organisation_context(org_a.organisation):
        assert scale_bounds(organisation=org_a.organisation) == (0, 5)
    bare = OrganisationFactory(slug="bare")  # no scale installed yet
    with organisation_context(bare):
        assert scale_bounds(organisation=bare) == DEFAULT_SCALE_BOUNDS
    _short_scale(org_a)
    with organisation_context(org_a.organisation):
        assert scale_bounds(organisation=org_a.organisation) == (0, 3)


def test_the_service_refuses_a_target_above_the_organisations_scale(org_a):
    role, skill = _short_scale(org_a)
    with organisation_context(org_a.organisation):
        with pytest.raises(ServiceError, match=r"on the scale \(0–3\)"):
            role_requirement_set(role=role, skill=skill, target_level=4, by=org_a.admin)
        role_requirement_set(role=role, skill=skill, target_level=3, by=org_a.admin)
        assert RoleRequirement.objects.get(role=role).target_level == 3


def test_the_page_refuses_a_target_above_the_organisations_scale(org_a, login):
    role, skill = _short_scale(org_a)
    client = login(org_a.hr)
    url = f"/o/alpha/roles/{role.pk}/requirements/"
    data = {"skill": skill.pk, "importance": "essential", "weight": "1"}
    refused = client.post(url, {**data, "target_level": 4})
    assert refused.status_code == 400
    assert "less than or equal to 3" in refused.content.decode()
    assert 'max="3"' in client.get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert client.post(url, {**data, "target_level": 3}).status_code == 302


def test_the_api_refuses_a_target_above_the_organisations_scale(org_a):
    role, skill = _short_scale(org_a)
    client = APIClient()
    token = api_token_create(user=org_a.hr, name="test")[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/orgs/alpha/roles/{role.pk}/requirements/{skill.pk}/"
    refused = client.put(url, {"target_level": 4}, format="json")
    assert refused.status_code == 400
    assert "less than or equal to 3" in str(refused.json())
    assert client.put(url, {"target_level": 3}, format="json").status_code == 200
