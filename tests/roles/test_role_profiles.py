from decimal import Decimal

import pytest

from accounts.models import AuditEvent, Organisation
from roles.models import RoleRequirement
from roles.services import (
    BACKEND_ENGINEER,
    onet_target,
    role_assign,
    role_profile_create,
    role_profile_from_occupation,
    role_profile_install_backend_engineer,
    role_requirement_set,
)
from skills.models import LibraryOccupation, LibraryOccupationSkill, LibrarySkill
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def test_the_backend_engineer_profile_is_built_from_the_products_starting_point(org_a):
    with organisation_context(org_a.organisation):
        existing = SkillFactory(organisation=org_a.organisation, name="Communication")
        role = role_profile_install_backend_engineer(
            organisation=org_a.organisation, by=org_a.admin
        )
        requirements = {
            r.skill.name: r
            for r in RoleRequirement.objects.filter(role=role).select_related("skill")
        }
    assert len(requirements) == len(BACKEND_ENGINEER) == 16
    assert requirements["Communication"].skill == existing  # reused, not duplicated
    assert requirements["API Design and Development"].target_level == 4
    assert requirements["API Design and Development"].importance == "essential"
    assert requirements["Real-time Data Processing"].importance == "optional"


def test_installing_the_backend_engineer_profile_twice_changes_nothing(org_a):
    with organisation_context(org_a.organisation):
        first = role_profile_install_backend_engineer(
            organisation=org_a.organisation, by=org_a.admin
        )
        count = RoleRequirement.objects.count()
        second = role_profile_install_backend_engineer(
            organisation=org_a.organisation, by=org_a.admin
        )
        assert first == second and RoleRequirement.objects.count() == count


def test_a_requirement_cannot_use_another_organisations_skill(org_a, org_b):
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation)
    with organisation_context(org_a.organisation):
        role = role_profile_create(organisation=org_a.organisation, name="SRE", by=org_a.admin)
        with pytest.raises(ServiceError, match="Select a valid skill"):
            role_requirement_set(role=role, skill=foreign, target_level=3, by=org_a.admin)


@pytest.mark.parametrize("target", [-1, 6])
def test_targets_stay_on_the_scale(org_a, target):
    with organisation_context(org_a.organisation):
        role = role_profile_create(organisation=org_a.organisation, name="SRE", by=org_a.admin)
        skill = SkillFactory(organisation=org_a.organisation)
        with pytest.raises(ServiceError, match="on the scale"):
            role_requirement_set(role=role, skill=skill, target_level=target, by=org_a.admin)


def test_changing_requirements_and_assignments_marks_results_stale_and_is_audited(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        role = role_profile_create(organisation=organisation, name="SRE", by=org_a.admin)
        skill = SkillFactory(organisation=organisation)
        role_requirement_set(
            role=role, skill=skill, target_level=3, weight=Decimal(2), by=org_a.admin
        )
        role_assign(
            organisation=organisation, person=org_a.people["member"], role=role, by=org_a.admin
        )
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    organisation = Organisation.objects.get(pk=organisation.pk)
    assert organisation.inputs_version == 2 and not organisation.results_are_fresh
    assert {"role.created", "role.requirement_set", "role.assigned"} <= verbs


def test_the_onet_level_maps_onto_our_scale():
    assert [onet_target(lv) for lv in (0, 1, 3.5, 5.25, 7)] == [1, 1, 2, 4, 5]
    assert onet_target(None) == 3  # work styles have importance only


def test_a_role_profile_from_an_onet_occupation_follows_our_mapping(org_a):
    occupation = LibraryOccupation.objects.create(code="15-1251.00", title="Computer Programmers")
    programming = LibrarySkill.objects.create(
        source="onet",
        external_id="2.B.3.e",
        name="Programming",
        normalised_name="programming",
        kind="technical",
    )
    detail = LibrarySkill.objects.create(
        source="onet",
        external_id="1.D.1.a",
        name="Attention to Detail",
        normalised_name="attention to detail",
        kind="human",
    )
    minor = LibrarySkill.objects.create(
        source="onet",
        external_id="2.A.1.f",
        name="Science",
        normalised_name="science",
        kind="human",
    )
    LibraryOccupationSkill.objects.create(
        occupation=occupation, skill=programming, importance=4.5, level=5.25
    )
    LibraryOccupationSkill.objects.create(
        occupation=occupation, skill=detail, importance=3.5, level=None
    )
    LibraryOccupationSkill.objects.create(
        occupation=occupation, skill=minor, importance=2.1, level=2
    )
    with organisation_context(org_a.organisation):
        role = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr
        ).role
        requirements = {
            r.skill.name: r
            for r in RoleRequirement.objects.filter(role=role).select_related("skill")
        }
    assert set(requirements) == {"Programming", "Attention to Detail"}  # importance ≥ 3 only
    assert (requirements["Programming"].target_level, requirements["Programming"].importance) == (
        4,
        "essential",
    )
    assert requirements["Attention to Detail"].target_level == 3
    assert "our own mapping" in role.description and "CC BY 4.0" in role.description
