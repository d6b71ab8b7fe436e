"""Renaming, copying and deleting role profiles; who sees which links on the role pages; and the
confirmation that destructive role actions carry."""

import pytest

from accounts.models import AuditEvent, Organisation
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from roles.services import role_assign, role_requirement_set
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory, TeamMembershipFactory
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _staffed_role(world, name="Platform Engineer"):
    """A role with one requirement, held by the member (current) and the manager (target)."""
    organisation = world.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(
            organisation=organisation, name=name, description="Runs it"
        )
        skill = SkillFactory(organisation=organisation, name="Kubernetes")
        role_requirement_set(role=role, skill=skill, target_level=4, by=None)
        role_assign(organisation=organisation, person=world.people["member"], role=role, by=None)
        role_assign(
            organisation=organisation,
            person=world.people["manager"],
            role=role,
            kind=RoleAssignment.Kind.TARGET,
            by=None,
        )
    return role


def test_hr_renames_a_role_and_its_holders_keep_it(org_a, login):
    role = _staffed_role(org_a)
    response = login(org_a.hr).post(
        f"/o/alpha/roles/{role.pk}/edit/", {"name": "Platform SRE", "description": "Keeps it up"}
    )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        role.refresh_from_db()
        assert (role.name, role.description) == ("Platform SRE", "Keeps it up")
        assert RoleAssignment.objects.filter(role=role).count() == 2
        assert AuditEvent.objects.filter(verb="role.updated", target_id=str(role.pk)).exists()


def test_renaming_onto_another_roles_name_gets_the_form_back(org_a, login):
    role = _staffed_role(org_a)
    with organisation_context(org_a.organisation):
        RoleProfile.objects.create(organisation=org_a.organisation, name="SRE")
    response = login(org_a.hr).post(f"/o/alpha/roles/{role.pk}/edit/", {"name": "sre"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    with organisation_context(org_a.organisation):
        role.refresh_from_db()
        assert role.name == "Platform Engineer"


def test_a_copy_has_the_requirements_and_nobody_assigned(org_a, login):
    role = _staffed_role(org_a)
    client = login(org_a.hr)
    response = client.post(f"/o/alpha/roles/{role.pk}/copy/")
    second = client.post(f"/o/alpha/roles/{role.pk}/copy/")
    with organisation_context(org_a.organisation):
        copy = RoleProfile.objects.get(name="Copy of Platform Engineer")
        assert RoleProfile.objects.filter(name="Copy of Platform Engineer (2)").exists()
        assert [
            (r.skill.name, r.target_level)
            for r in RoleRequirement.objects.filter(role=copy).select_related("skill")
        ] == [("Kubernetes", 4)]
        assert not RoleAssignment.objects.filter(role=copy).exists()
        assert RoleAssignment.objects.filter(role=role).count() == 2  # the original is untouched
    assert response["Location"] == f"/o/alpha/roles/{copy.pk}/"
    assert second.status_code == 302


def test_deleting_a_role_ends_its_assignments_and_recomputes(org_a, login):
    role = _staffed_role(org_a)
    before = Organisation.objects.get(pk=org_a.organisation.pk).inputs_version
    response = login(org_a.hr).post(f"/o/alpha/roles/{role.pk}/delete/", follow=True)
    assert "2 people no longer hold it" in response.content.decode()
    with organisation_context(org_a.organisation):
        assert not RoleProfile.objects.filter(pk=role.pk).exists()
        assert not RoleAssignment.objects.exists() and not RoleRequirement.objects.exists()
        assert AuditEvent.objects.filter(verb="role.deleted", target_id=str(role.pk)).exists()
    assert Organisation.objects.get(pk=org_a.organisation.pk).inputs_version > before


def test_the_role_page_says_what_deleting_does_to_the_assignments(org_a, login):
    role = _staffed_role(org_a)
    content = login(org_a.hr).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert "1 person has it as their current role and 1 as their target role" in content
    assert "they lose it, and with it their gap" in content


@pytest.mark.parametrize("action", ["edit", "copy", "delete"])
@pytest.mark.parametrize("role_name", ["member", "manager"])
def test_only_hr_and_admins_rename_copy_and_delete(action, role_name, org_a, login):
    role = _staffed_role(org_a)
    response = login(org_a.user(role_name)).post(
        f"/o/alpha/roles/{role.pk}/{action}/", {"name": "Taken over"}
    )
    assert response.status_code == 403
    with organisation_context(org_a.organisation):
        assert list(RoleProfile.objects.values_list("name", flat=True)) == ["Platform Engineer"]


@pytest.mark.parametrize("action", ["edit", "copy", "delete"])
def test_another_organisations_role_is_missing(action, org_a, org_b, login):
    foreign = _staffed_role(org_b)
    client = login(org_a.hr)
    foreign_response = client.post(f"/o/alpha/roles/{foreign.pk}/{action}/", {"name": "Mine"})
    missing_response = client.post(f"/o/alpha/roles/999999/{action}/", {"name": "Mine"})
    assert foreign_response.status_code == missing_response.status_code == 404
    with organisation_context(org_b.organisation):
        assert RoleProfile.objects.get(pk=foreign.pk).name == "Platform Engineer"
        assert RoleProfile.objects.count() == 1


def test_assign_options_tell_apart_people_with_the_same_name(org_a, login):
    role = _staffed_role(org_a)
    with organisation_context(org_a.organisation):
        first = PersonFactory(
            organisation=org_a.organisation, name="Sam Lee", email="sam@a.example"
        )
        PersonFactory(organisation=org_a.organisation, name="Sam Lee", email="sam.lee@a.example")
        TeamMembershipFactory(organisation=org_a.organisation, person=first, team__name="Payments")
    content = login(org_a.hr).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert "Sam Lee — sam@a.example · Payments" in content
    assert "Sam Lee — sam.lee@a.example<" in content


def _readiness_links(content):
    return content.count(">Readiness</a>")


@pytest.mark.parametrize(
    ("viewer", "links"),
    [("member", 1), ("manager", 2), ("hr", 2), ("admin", 2)],
)
def test_readiness_links_only_to_people_the_viewer_may_follow(viewer, links, org_a, login):
    # The member holds the role, and the manager (who manages the member) works towards it.
    role = _staffed_role(org_a)
    client = login(org_a.user(viewer))
    content = client.get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert _readiness_links(content) == links
    # Every link on the page is one the viewer can follow.
    for person in ("member", "manager"):
        url = f"/o/alpha/people/{org_a.people[person].pk}/gap/"
        if url in content:
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("viewer", ["member", "manager"])
def test_people_who_cannot_shape_roles_get_no_forms_to_do_it(viewer, org_a, login):
    role = _staffed_role(org_a)
    list_page = login(org_a.user(viewer)).get("/o/alpha/roles/").content.decode()
    detail = login(org_a.user(viewer)).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert "/roles/from-onet/" not in list_page and "/roles/new/" not in list_page
    for action in ("edit", "copy", "delete", "requirements", "assign"):
        assert f"/roles/{role.pk}/{action}/" not in detail


def test_removing_a_requirement_and_deleting_a_role_ask_first(org_a, login):
    role = _staffed_role(org_a)
    content = login(org_a.hr).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert 'data-confirm="Remove Kubernetes from Platform Engineer?' in content
    assert 'data-confirm="Delete the role Platform Engineer? 2 assignments end' in content
