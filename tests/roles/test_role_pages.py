import pytest

from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=alert(1)><script>alert(1)</script>'


def _role(world, name="Platform Engineer"):
    with organisation_context(world.organisation):
        return RoleProfile.objects.create(organisation=world.organisation, name=name)


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_everyone_sees_the_role_profiles(role, org_a, login):
    _role(org_a)
    response = login(org_a.user(role)).get("/o/alpha/roles/")
    assert response.status_code == 200 and b"Platform Engineer" in response.content


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_hr_and_admins_shape_role_profiles(role, org_a, login):
    client = login(org_a.user(role))
    assert client.post("/o/alpha/roles/new/", {"name": "X"}).status_code == 403
    assert client.post("/o/alpha/roles/backend-engineer/").status_code == 403
    assert client.get("/o/alpha/roles/from-onet/").status_code == 403
    with organisation_context(org_a.organisation):
        assert not RoleProfile.objects.exists()


def test_hr_adds_the_backend_engineer_profile_from_the_page(org_a, login):
    response = login(org_a.hr).post("/o/alpha/roles/backend-engineer/")
    with organisation_context(org_a.organisation):
        role = RoleProfile.objects.get(name="Backend Engineer")
        assert RoleRequirement.objects.filter(role=role).count() == 16
    assert response["Location"] == f"/o/alpha/roles/{role.pk}/"
    page = login(org_a.member).get(response["Location"])
    assert b"API Design and Development" in page.content


def test_a_duplicate_role_name_gets_the_form_back(org_a, login):
    _role(org_a, "SRE")
    response = login(org_a.hr).post("/o/alpha/roles/new/", {"name": "sre"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_a_requirement_with_another_organisations_skill_is_refused_like_a_missing_one(
    org_a, org_b, login
):
    role = _role(org_a)
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation)
    client = login(org_a.hr)
    url = f"/o/alpha/roles/{role.pk}/requirements/"
    data = {"target_level": 3, "importance": "essential", "weight": "1"}
    foreign_response = client.post(url, {**data, "skill": foreign.pk})
    missing_response = client.post(url, {**data, "skill": 999_999})
    assert foreign_response.status_code == missing_response.status_code == 400
    assert b"Select a valid skill." in foreign_response.content
    with organisation_context(org_a.organisation):
        assert not RoleRequirement.objects.exists()


def test_hr_sets_a_requirement_and_assigns_the_role(org_a, login):
    role = _role(org_a)
    with organisation_context(org_a.organisation):
        skill = SkillFactory(organisation=org_a.organisation, name="Kubernetes")
    client = login(org_a.hr)
    client.post(
        f"/o/alpha/roles/{role.pk}/requirements/",
        {"skill": skill.pk, "target_level": 4, "importance": "essential", "weight": "2"},
    )
    client.post(
        f"/o/alpha/roles/{role.pk}/assign/",
        {"person": org_a.people["member"].pk, "kind": "current"},
    )
    with organisation_context(org_a.organisation):
        requirement = RoleRequirement.objects.get(role=role)
        assignment = RoleAssignment.objects.get(person=org_a.people["member"])
    assert (requirement.target_level, requirement.weight) == (4, 2)
    assert (assignment.role_id, assignment.kind) == (role.pk, "current")


def test_the_onet_page_says_the_mapping_is_ours_and_attributes_onet(org_a, login):
    content = login(org_a.hr).get("/o/alpha/roles/from-onet/").content.decode()
    assert "This mapping is ours" in content
    assert "USDOL/ETA" in content and "CC BY 4.0" in content


def test_role_names_render_escaped(org_a, login):
    role = _role(org_a, XSS)
    for url in ("/o/alpha/roles/", f"/o/alpha/roles/{role.pk}/"):
        content = login(org_a.member).get(url).content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "<img src=x" not in content
