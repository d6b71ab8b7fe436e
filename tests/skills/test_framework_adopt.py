"""Searching the global library and adopting its skills into an organisation's framework."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from skills.models import LibrarySkill, Skill, SkillCategory, SkillLevelDescriptor
from skills.services.framework import anchor_value, skill_adopt
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import (
    LibraryCategoryFactory,
    LibraryLevelAnchorFactory,
    LibrarySkillFactory,
    SkillCategoryFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _adopt(world, *library_skills):
    with organisation_context(world.organisation):
        return skill_adopt(
            organisation=world.organisation, library_skills=library_skills, by=world.hr
        )


def _skills(world):
    with organisation_context(world.organisation):
        return list(Skill.objects.order_by("name").select_related("category", "library_skill"))


def test_o_star_net_levels_map_onto_the_zero_to_five_scale():
    assert [anchor_value(lv, top=5) for lv in range(8)] == [1, 1, 1, 2, 3, 4, 4, 5]


def test_adopting_copies_the_library_skill_into_the_framework(org_a):
    category = LibraryCategoryFactory(name="Web platform and development software")
    react = LibrarySkillFactory(
        name="React",
        description="A JavaScript library for user interfaces.",
        kind="technical",
        aliases=["ReactJS", "React.js"],
        category=category,
    )
    result = _adopt(org_a, react)
    [skill] = _skills(org_a)
    assert result.adopted == [skill] and result.existing == []
    assert (skill.name, skill.normalised_name, skill.kind) == ("React", "react", "technical")
    assert skill.description == "A JavaScript library for user interfaces."
    assert skill.aliases == ["ReactJS"]  # "React.js" normalises like "ReactJS": kept once
    assert skill.library_skill == react
    assert skill.category.name == "Web platform and development software"
    assert result.skills == {react.pk: skill}


def test_adopting_maps_o_star_net_anchors_onto_level_descriptors_keeping_the_first(org_a):
    programming = LibrarySkillFactory(name="Programming")
    for lv in range(1, 8):
        LibraryLevelAnchorFactory(skill=programming, level=lv, description=f"LV {lv}")
    _adopt(org_a, programming)
    with organisation_context(org_a.organisation):
        descriptors = dict(SkillLevelDescriptor.objects.values_list("value", "description"))
    # LV 2 lands on 1 like LV 1, and LV 6 on 4 like LV 5: the first of each stays.
    assert descriptors == {1: "LV 1", 2: "LV 3", 3: "LV 4", 4: "LV 5", 5: "LV 7"}


def test_adopting_twice_changes_nothing_and_says_so(org_a):
    go = LibrarySkillFactory(name="Go")
    LibraryLevelAnchorFactory(skill=go, level=4)
    first = _adopt(org_a, go)
    second = _adopt(org_a, go, go)
    [skill] = _skills(org_a)
    assert second.adopted == []
    assert second.existing == [(go, skill)]
    assert second.skills == first.skills == {go.pk: skill}
    with organisation_context(org_a.organisation):
        assert SkillLevelDescriptor.objects.count() == 1
        assert AuditEvent.objects.filter(verb="skill.adopted").count() == 1


def test_skills_of_one_library_category_share_one_organisation_category(org_a):
    category = LibraryCategoryFactory(name="Database management system software")
    with organisation_context(org_a.organisation):
        SkillCategoryFactory(
            organisation=org_a.organisation, name="database MANAGEMENT system software"
        )
    _adopt(
        org_a,
        LibrarySkillFactory(name="PostgreSQL", category=category),
        LibrarySkillFactory(name="MySQL", category=category),
    )
    with organisation_context(org_a.organisation):
        assert SkillCategory.objects.count() == 1
    assert {s.category.name for s in _skills(org_a)} == {"database MANAGEMENT system software"}


def test_a_library_skill_whose_name_is_already_an_own_skill_is_not_duplicated(org_a):
    with organisation_context(org_a.organisation):
        own = SkillFactory(organisation=org_a.organisation, name="Node.js")
    result = _adopt(org_a, LibrarySkillFactory(name="NodeJS"))
    assert result.adopted == []
    assert [skill for _, skill in result.existing] == [own]
    assert _skills(org_a) == [own]


def test_a_library_skill_whose_alias_is_already_in_the_framework_is_not_duplicated(org_a):
    with organisation_context(org_a.organisation):
        own = SkillFactory(organisation=org_a.organisation, name="K8s")
    result = _adopt(org_a, LibrarySkillFactory(name="Kubernetes", aliases=["k8s"]))
    assert result.adopted == [] and result.skills
    assert _skills(org_a) == [own]


def test_adopting_is_audited(org_a):
    python = LibrarySkillFactory(name="Python")
    _adopt(org_a, python)
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="skill.adopted")
    assert event.actor == org_a.hr
    assert event.after["library_skill"] == python.pk and event.after["name"] == "Python"


# --- The pages ----------------------------------------------------------------------------------


def test_hr_searches_the_library_and_sees_what_is_adopted(org_a, login):
    adopted = LibrarySkillFactory(name="PostgreSQL", hot_technology=True, in_demand=True)
    LibrarySkillFactory(name="PostGIS")
    LibrarySkillFactory(name="Kotlin")
    _adopt(org_a, adopted)
    response = login(org_a.hr).get("/o/alpha/skills/library/", {"q": "post"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "PostgreSQL" in html and "PostGIS" in html and "Kotlin" not in html
    assert "Hot technology" in html and "In demand" in html
    # No checkbox for the adopted one: it is marked "Adopted" instead.
    assert f'id="library-skill-{adopted.pk}"' not in html
    assert "Adopted</span>" in html


def test_the_library_pages_by_fifty(org_a, login):
    LibrarySkillFactory.create_batch(55)
    client = login(org_a.hr)
    first = client.get("/o/alpha/skills/library/").content.decode()
    second = client.get("/o/alpha/skills/library/", {"page": 2}).content.decode()
    assert first.count('name="library_skill"') == 50
    assert second.count('name="library_skill"') == 5
    assert "Page 2 of 2" in second


def test_adopting_from_the_page_redirects_back_to_the_search(org_a, login):
    go, rust = LibrarySkillFactory(name="Go"), LibrarySkillFactory(name="Rust")
    client = login(org_a.hr)
    response = client.post(
        "/o/alpha/skills/library/adopt/", {"library_skill": [go.pk, rust.pk], "q": "o", "page": 1}
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/skills/library/?q=o&page=1"
    assert {s.name for s in _skills(org_a)} == {"Go", "Rust"}
    page = client.get(response["Location"]).content.decode()
    assert "Adopted into your framework: Go, Rust." in page


def test_adopting_again_from_the_page_reports_the_skill_as_already_there(org_a, login):
    go = LibrarySkillFactory(name="Go")
    client = login(org_a.hr)
    client.post("/o/alpha/skills/library/adopt/", {"library_skill": [go.pk]})
    response = client.post(
        "/o/alpha/skills/library/adopt/", {"library_skill": [go.pk]}, follow=True
    )
    assert "Already in your framework, left as they are: Go." in response.content.decode()
    assert len(_skills(org_a)) == 1


def test_adopting_with_htmx_answers_with_the_results_and_a_status(org_a, login):
    go = LibrarySkillFactory(name="Go")
    response = login(org_a.hr).post(
        "/o/alpha/skills/library/adopt/", {"library_skill": [go.pk]}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial, not the page
    assert 'id="library-status"' in html and 'hx-swap-oob="true"' in html
    assert "Adopted into your framework: Go." in html
    assert "Adopted</span>" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select at least one skill to adopt."),
        ({"library_skill": ["999999"]}, "Select a valid library skill."),
        ({"library_skill": ["not-a-number"]}, "Select a valid library skill."),
    ],
)
def test_adopting_nothing_or_an_unknown_skill_is_refused(org_a, login, data, message):
    LibrarySkillFactory(name="Go")
    response = login(org_a.hr).post("/o/alpha/skills/library/adopt/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _skills(org_a) == []


def test_library_search_costs_the_same_for_three_or_sixty_results(org_a, login):
    client = login(org_a.hr)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/o/alpha/skills/library/", {"q": "tool"}).status_code == 200
        return len(captured)

    for n in range(3):
        LibrarySkillFactory(name=f"Tool {n}", aliases=["x"])
    _adopt(org_a, LibrarySkill.objects.get(name="Tool 0"))
    small = queries()
    for n in range(3, 60):
        LibrarySkillFactory(name=f"Tool {n}", category=LibraryCategoryFactory())
    _adopt(org_a, *LibrarySkill.objects.filter(name__in=["Tool 7", "Tool 8"]))
    assert queries() == small
