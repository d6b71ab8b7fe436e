"""Adopted O*NET skills describe their levels in general words, not one occupation's tasks."""

import io
import re

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Organisation
from skills.anchors import OCCUPATION_SPECIFIC_ANCHORS, general_descriptor
from skills.library import BUNDLED_DATA_DIR, ReleaseFiles, read_level_anchors
from skills.models import LibrarySkill, Skill, SkillLevelDescriptor
from skills.services.framework import skill_adopt
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import LibrarySkillFactory, SkillFactory, SkillLevelDescriptorFactory

# Words that give an anchor away as another occupation's task. Written independently of
# skills.anchors so that a missing replacement shows up here.
OCCUPATION_WORDS = [
    "legal", "law", "court", "jury", "a judge", "restaurant", "menu", "guest", "patient", "surgical",
    "hospital", "clinic", "aircraft", "airport", "treaty", "ambassador", "roof", "tourist", "soil",
    "geological", "mineral", "earthquake", "hydraulic", "bicycle", "diamonds", "road repair",
    "delivery drivers", "loan", "wholesaler", "relief", "square footage", "charity", "coffee",
    "flight", "engine", "air conditioner", "assembly line", "production line", "scientists",
    "manufacturing", "a novel", "aerodynamic",
]  # fmt: skip
_OCCUPATIONAL = re.compile(r"\b(" + "|".join(map(re.escape, OCCUPATION_WORDS)) + r")\b", re.I)


@pytest.fixture
def library(db: None) -> None:
    call_command("import_skill_library", verbosity=0)


def _descriptors(organisation: Organisation) -> dict[tuple[str, int], str]:
    with organisation_context(organisation):
        return {
            (d.skill.name, d.value): d.description
            for d in SkillLevelDescriptor.objects.select_related("skill")
        }


def test_every_listed_anchor_is_an_anchor_of_the_shipped_release() -> None:
    # A stale entry would mean an occupational anchor slipped through under new wording.
    shipped = {
        (a.element_id, a.description.strip())
        for a in read_level_anchors(ReleaseFiles(BUNDLED_DATA_DIR / "onet-29.3"))
    }
    assert set(OCCUPATION_SPECIFIC_ANCHORS) <= shipped
    replacements = list(OCCUPATION_SPECIFIC_ANCHORS.values())
    assert not [text for text in replacements if _OCCUPATIONAL.search(text)]


def test_general_anchors_stay_as_o_star_net_wrote_them() -> None:
    assert (
        general_descriptor("2.B.3.e", " Write a program to sort objects in a database ")
        == "Write a program to sort objects in a database"
    )
    assert general_descriptor("2.A.2.a", "Write legal brief challenging a federal law") != (
        "Write legal brief challenging a federal law"
    )
    # The same words under another element are not the listed anchor.
    assert (
        general_descriptor("2.B.3.e", "Write legal brief challenging a federal law")
        == "Write legal brief challenging a federal law"
    )


def test_no_adopted_o_star_net_skill_borrows_another_occupations_task(org_a, library) -> None:
    # Skills and work styles; the knowledge areas software occupations use are checked below.
    onet_skills = list(
        LibrarySkill.objects.filter(source="onet")
        .exclude(external_id__startswith="tech:")
        .exclude(external_id__startswith="2.C")
    )
    with organisation_context(org_a.organisation):
        result = skill_adopt(
            organisation=org_a.organisation, library_skills=onet_skills, by=org_a.admin
        )
    assert len(result.adopted) == 51
    descriptors = _descriptors(org_a.organisation)
    assert len(descriptors) == 35 * 3  # three anchors per O*NET skill, none for work styles
    occupational = {key: text for key, text in descriptors.items() if _OCCUPATIONAL.search(text)}
    assert occupational == {}
    listed = set(OCCUPATION_SPECIFIC_ANCHORS)
    assert not [text for text in descriptors.values() if any(text == a for _, a in listed)]
    # Anchors that read generally are O*NET's own words.
    assert descriptors[("Programming", 1)] == "Write a program to sort objects in a database"
    assert descriptors[("Troubleshooting", 4)] == (
        "Direct the debugging of code for a new operating system"
    )


def test_the_demo_describes_critical_thinking_and_active_learning_in_general_words(
    library,
) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    acme = Organisation.objects.get(slug="acme")
    descriptors = _descriptors(acme)
    assert "legal" not in descriptors[("Critical Thinking", 4)]
    assert descriptors[("Critical Thinking", 4)].startswith("Weigh the strengths and weaknesses")
    assert "restaurant" not in descriptors[("Active Learning", 3)]
    assert descriptors[("Active Learning", 3)].startswith("Work out what new information")
    with organisation_context(acme):
        adopted_onet = Skill.objects.filter(
            library_skill__source="onet", library_skill__anchors__isnull=False
        ).distinct()
        assert adopted_onet.count() >= 10
    occupational = {key: text for key, text in descriptors.items() if _OCCUPATIONAL.search(text)}
    assert occupational == {}


LEGAL_BRIEF = "Write legal brief challenging a federal law"
CUSTOMER_COMPLAINTS = "Evaluate customer complaints and determine appropriate responses"


def _adopted_before_the_rewording(world, library_skill, descriptors):
    """A skill adopted when adoption still copied every anchor word for word."""
    with organisation_context(world.organisation):
        skill = SkillFactory(
            organisation=world.organisation, name=library_skill.name, library_skill=library_skill
        )
        for value, text in descriptors.items():
            SkillLevelDescriptorFactory(
                organisation=world.organisation, skill=skill, value=value, description=text
            )
    return skill


def test_the_command_rewords_earlier_adoptions_and_leaves_edited_descriptors(org_a, org_b):
    critical = LibrarySkillFactory(source="onet", external_id="2.A.2.a", name="Critical Thinking")
    learning = LibrarySkillFactory(source="onet", external_id="2.A.2.b", name="Active Learning")
    menu = "Determine the impact of new menu changes on a restaurant's purchasing requirements"
    _adopted_before_the_rewording(org_a, critical, {3: CUSTOMER_COMPLAINTS, 4: LEGAL_BRIEF})
    _adopted_before_the_rewording(org_a, learning, {3: "Reads our changelog every week"})
    _adopted_before_the_rewording(org_b, learning, {3: menu})

    out = io.StringIO()
    call_command("generalise_level_descriptors", stdout=out)

    a, b = _descriptors(org_a.organisation), _descriptors(org_b.organisation)
    assert a[("Critical Thinking", 3)] == CUSTOMER_COMPLAINTS  # general already: kept
    assert a[("Critical Thinking", 4)] == OCCUPATION_SPECIFIC_ANCHORS[("2.A.2.a", LEGAL_BRIEF)]
    assert a[("Active Learning", 3)] == "Reads our changelog every week"  # the organisation's own
    assert b[("Active Learning", 3)] == OCCUPATION_SPECIFIC_ANCHORS[("2.A.2.b", menu)]
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="skill.descriptors_updated")
    assert (event.before, event.after) == (
        {"4": LEGAL_BRIEF},
        {"4": a[("Critical Thinking", 4)]},
    )
    assert "2 level descriptor(s) reworded." in out.getvalue()

    again = io.StringIO()
    call_command("generalise_level_descriptors", stdout=again)
    assert "0 level descriptor(s) reworded." in again.getvalue()
    assert _descriptors(org_a.organisation) == a


# The knowledge areas that O*NET rates at importance 3.5 or more for at least one software
# occupation (major group 15): what an O*NET role profile adopts.
SOFTWARE_KNOWLEDGE_AREAS = {
    "2.C.3.a": "Computers and Electronics",
    "2.C.7.a": "English Language",
    "2.C.4.a": "Mathematics",
    "2.C.3.b": "Engineering and Technology",
    "2.C.1.e": "Customer and Personal Service",
    "2.C.9.a": "Telecommunications",
    "2.C.1.a": "Administration and Management",
    "2.C.3.c": "Design",
    "2.C.6": "Education and Training",
}
SERVICE_WORDS = re.compile(
    r"\b(dry-cleaning|daycare|children|disaster|door lock|chair|bridge|kitchen|inches|bowl|"
    r"college|reimbursement|multimillion)\b",
    re.I,
)


def test_knowledge_areas_software_roles_use_describe_levels_in_general_words(
    org_a, library
) -> None:
    areas = list(LibrarySkill.objects.filter(external_id__in=SOFTWARE_KNOWLEDGE_AREAS))
    assert {a.name for a in areas} == set(SOFTWARE_KNOWLEDGE_AREAS.values())
    with organisation_context(org_a.organisation):
        skill_adopt(organisation=org_a.organisation, library_skills=areas, by=org_a.admin)
    descriptors = _descriptors(org_a.organisation)
    assert {name for name, _ in descriptors} == set(SOFTWARE_KNOWLEDGE_AREAS.values())
    borrowed = {
        key: text
        for key, text in descriptors.items()
        if _OCCUPATIONAL.search(text) or SERVICE_WORDS.search(text)
    }
    assert borrowed == {}
    service = [
        text for (name, _), text in descriptors.items() if name == "Customer and Personal Service"
    ]
    assert any(text.startswith("Lead the response") for text in service)
    # General anchors are O*NET's own words.
    assert ("Computers and Electronics", 1) in descriptors
