"""A role profile from an O*NET occupation includes what the occupation is about: its main
knowledge areas, its in-demand technologies (at the target level the author picks) and the
framework skills our curated map ties to their software groups, reusing the framework's skills
rather than duplicating them."""

from decimal import Decimal

import pytest

from roles.models import RoleProfile, RoleRequirement
from roles.services import role_profile_from_occupation
from skills.models import (
    LibraryCategory,
    LibraryOccupation,
    LibraryOccupationSkill,
    LibrarySkill,
    Skill,
)
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _group(code, title):
    return LibraryCategory.objects.get_or_create(
        source="onet", external_id=f"unspsc:{code}", defaults={"name": title, "kind": "technical"}
    )[0]


def _technology(name, group):
    return LibrarySkill.objects.create(
        source="onet",
        external_id=f"tech:{name.casefold()}",
        name=name,
        normalised_name=name.casefold(),
        kind="technical",
        category=group,
        in_demand=True,
    )


def _database_administrators():
    """15-1242.00 as O*NET 29.3 has it, cut down: one rated skill, three in-demand database
    technologies and one technology it uses but does not mark in demand."""
    occupation = LibraryOccupation.objects.create(
        code="15-1242.00", title="Database Administrators"
    )
    critical = LibrarySkill.objects.create(
        source="onet",
        external_id="2.A.2.a",
        name="Critical Thinking",
        normalised_name="critical thinking",
        kind="human",
    )
    LibraryOccupationSkill.objects.create(
        occupation=occupation, skill=critical, importance=4.0, level=4.2
    )
    dbms = _group("43232304", "Data base management system software")
    for name, group in (
        ("PostgreSQL", _group("43232311", "Object oriented data base management software")),
        ("MySQL", dbms),
        ("Oracle PL/SQL", dbms),
    ):
        LibraryOccupationSkill.objects.create(
            occupation=occupation, skill=_technology(name, group), in_demand=True
        )
    visio = _technology("Microsoft Visio", _group("43232604", "Computer aided design CAD software"))
    LibraryOccupationSkill.objects.create(occupation=occupation, skill=visio, in_demand=False)
    return occupation


def _required(role):
    return {
        r.skill.name: r for r in RoleRequirement.objects.filter(role=role).select_related("skill")
    }


def test_database_administrators_get_their_in_demand_database_technologies(org_a):
    occupation = _database_administrators()
    with organisation_context(org_a.organisation):
        built = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr
        )
        required = _required(built.role)
    assert {"PostgreSQL", "MySQL", "Oracle PL/SQL"} <= set(required)
    assert "Microsoft Visio" not in required  # used, but not marked in demand
    assert required["PostgreSQL"].target_level == 3  # the default target for technologies
    assert "Critical Thinking" in required


def test_the_author_chooses_the_technologies_target_level(org_a):
    occupation = _database_administrators()
    with organisation_context(org_a.organisation):
        built = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr, technology_target=5
        )
        assert _required(built.role)["MySQL"].target_level == 5


def test_existing_framework_skills_are_reused_not_duplicated(org_a):
    occupation = _database_administrators()
    with organisation_context(org_a.organisation):
        postgres = SkillFactory(
            organisation=org_a.organisation, name="Postgres", aliases=["PostgreSQL"]
        )
        data = SkillFactory(organisation=org_a.organisation, name="Data Management")
        built = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr
        )
        required = _required(built.role)
        assert required["Postgres"].skill == postgres
        assert not Skill.objects.filter(organisation=org_a.organisation, name="PostgreSQL").exists()
        # Database management system software is evidence of the framework's Data Management.
        assert required["Data Management"].skill == data
        assert required["Data Management"].importance == "essential"
        assert {s.name for s in built.adopted} == {"Critical Thinking", "MySQL", "Oracle PL/SQL"}


def test_security_analysts_require_the_frameworks_security_engineering(org_a):
    occupation = LibraryOccupation.objects.create(
        code="15-1212.00", title="Information Security Analysts"
    )
    firewall = _technology(
        "Firewall software",
        _group("43233204", "Network security and virtual private network VPN equipment software"),
    )
    LibraryOccupationSkill.objects.create(occupation=occupation, skill=firewall, in_demand=True)
    with organisation_context(org_a.organisation):
        security = SkillFactory(organisation=org_a.organisation, name="Security Engineering")
        built = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr
        )
        required = _required(built.role)
    assert required["Security Engineering"].skill == security
    assert "Firewall software" in required


def test_the_success_message_lists_the_skills_added_to_the_framework(org_a, login):
    occupation = _database_administrators()
    with organisation_context(org_a.organisation):
        SkillFactory(organisation=org_a.organisation, name="PostgreSQL")
    client = login(org_a.hr)
    response = client.post(
        "/o/alpha/roles/from-onet/",
        {"code": occupation.code, "name": "", "technology_target": "4"},
        follow=True,
    )
    content = response.content.decode()
    assert "3 skills were added to your framework for it: " in content
    for name in ("Critical Thinking", "MySQL", "Oracle PL/SQL"):
        assert name in content.split("added to your framework")[1].split("</")[0]
    with organisation_context(org_a.organisation):
        role = RoleProfile.objects.get(name="Database Administrators")
        assert _required(role)["MySQL"].target_level == 4


def test_a_technology_target_off_the_scale_gets_the_form_back(org_a, login):
    occupation = _database_administrators()
    response = login(org_a.hr).post(
        "/o/alpha/roles/from-onet/", {"code": occupation.code, "technology_target": "9"}
    )
    assert response.status_code == 400
    with organisation_context(org_a.organisation):
        assert not RoleProfile.objects.exists()


def test_the_onet_page_offers_a_target_level_for_technologies(org_a, login):
    content = login(org_a.hr).get("/o/alpha/roles/from-onet/").content.decode()
    assert 'name="technology_target"' in content and 'value="3"' in content
    assert "knowledge areas" in content and "3.5 or more" in content


def _knowledge(external_id, name, kind="technical"):
    return LibrarySkill.objects.create(
        source="onet",
        external_id=external_id,
        name=name,
        normalised_name=name.casefold(),
        kind=kind,
    )


def test_the_occupations_main_knowledge_areas_are_required_and_matched_to_the_framework(org_a):
    """Database Administrators as O*NET 29.3 rates their knowledge: Computers and Electronics
    (IM 4.79, LV 6.11) and Mathematics (3.55, LV 4.0) are what the job is about; Geography (1.8)
    and Sales and Marketing (3.2) are background, below the 3.5 bar."""
    occupation = _database_administrators()
    for external_id, name, importance, level in (
        ("2.C.3.a", "Computers and Electronics", 4.79, 6.11),
        ("2.C.4.a", "Mathematics", 3.55, 4.0),
        ("2.C.4.g", "Geography", 1.8, 1.9),
        ("2.C.1.d", "Sales and Marketing", 3.2, 3.0),
    ):
        LibraryOccupationSkill.objects.create(
            occupation=occupation,
            skill=_knowledge(external_id, name),
            importance=importance,
            level=level,
        )
    with organisation_context(org_a.organisation):
        maths = SkillFactory(organisation=org_a.organisation, name="Maths", aliases=["Mathematics"])
        built = role_profile_from_occupation(
            organisation=org_a.organisation, occupation=occupation, by=org_a.hr
        )
        required = _required(built.role)
    computers = required["Computers and Electronics"]
    assert (computers.target_level, computers.importance) == (4, "essential")  # 6.11 / 7 × 5
    assert computers.weight == Decimal("4.79")
    # The framework's own skill stands for the knowledge area it names by alias.
    assert required["Maths"].skill == maths and required["Maths"].importance == "optional"
    assert "Mathematics" not in required
    assert "Geography" not in required and "Sales and Marketing" not in required
    assert "Computers and Electronics" in {s.name for s in built.adopted}
