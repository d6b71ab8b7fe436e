"""The framework's reads that other parts of the skills domain rely on."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from skills.selectors.framework import (
    framework_groups,
    level_descriptors,
    library_search,
    scale_levels,
    skill_get,
    skill_list,
)
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import (
    LibrarySkillFactory,
    RatingFactory,
    SkillCategoryFactory,
    SkillFactory,
    SkillLevelDescriptorFactory,
)

pytestmark = pytest.mark.django_db


def _names(skills):
    return [s.name for s in skills]


def test_skill_list_leaves_out_archived_skills_unless_asked(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        SkillFactory(organisation=organisation, name="Go")
        SkillFactory(organisation=organisation, name="Perl", is_archived=True)
        assert _names(skill_list(organisation=organisation)) == ["Go"]
        assert _names(skill_list(organisation=organisation, include_archived=True)) == [
            "Go",
            "Perl",
        ]


@pytest.mark.parametrize("q", ["react", "REACT", " React ", "reactjs", "React.js", "JSX"])
def test_skill_list_search_matches_name_and_aliases_ignoring_case(org_a, q):
    organisation = org_a.organisation
    with organisation_context(organisation):
        SkillFactory(organisation=organisation, name="React", aliases=["ReactJS", "jsx"])
        SkillFactory(organisation=organisation, name="Kotlin")
        assert _names(skill_list(organisation=organisation, q=q)) == ["React"]


def test_skill_list_filters_by_kind_and_category(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        backend = SkillCategoryFactory(organisation=organisation, name="Backend")
        SkillFactory(organisation=organisation, name="Go", category=backend)
        SkillFactory(organisation=organisation, name="Listening", kind="human", category=backend)
        SkillFactory(organisation=organisation, name="CSS")
        assert _names(skill_list(organisation=organisation, kind="human")) == ["Listening"]
        assert _names(skill_list(organisation=organisation, category_id=backend.pk)) == [
            "Go",
            "Listening",
        ]


def test_skill_list_never_returns_another_organisations_skills(org_a, org_b):
    with organisation_context(org_b.organisation):
        SkillFactory(organisation=org_b.organisation, name="Secret sauce")
    with organisation_context(org_a.organisation):
        assert _names(skill_list(organisation=org_a.organisation, q="sauce")) == []


def test_skill_get_is_404_for_another_organisations_skill_and_for_a_missing_one(org_a, org_b):
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation)
    with organisation_context(org_a.organisation):
        own = SkillFactory(organisation=org_a.organisation)
        assert skill_get(organisation=org_a.organisation, skill_id=own.pk) == own
        for skill_id in (foreign.pk, 999_999):
            with pytest.raises(Http404):
                skill_get(organisation=org_a.organisation, skill_id=skill_id)


def test_scale_levels_are_the_default_zero_to_five(org_a):
    with organisation_context(org_a.organisation):
        levels = scale_levels(organisation=org_a.organisation)
    assert [level.value for level in levels] == [0, 1, 2, 3, 4, 5]
    assert levels[3].name == "Competent"


def test_level_descriptors_fall_back_to_the_scale_in_two_queries(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        described = SkillFactory(organisation=organisation)
        bare = SkillFactory(organisation=organisation)
        SkillLevelDescriptorFactory(
            organisation=organisation, skill=described, value=3, description="Writes SQL unaided"
        )
        generic = {
            level.value: level.description for level in scale_levels(organisation=organisation)
        }
        with CaptureQueriesContext(connection) as queries:
            result = level_descriptors(organisation=organisation, skills=[described, bare])
    assert len(queries) == 2
    assert result[described.pk][3] == "Writes SQL unaided"
    assert result[described.pk][4] == generic[4]
    assert result[bare.pk] == generic


def test_level_descriptors_cost_the_same_for_many_skills(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        few = [SkillFactory(organisation=organisation) for _ in range(2)]
        many = [SkillFactory(organisation=organisation) for _ in range(30)]
        for skill in many:
            SkillLevelDescriptorFactory(organisation=organisation, skill=skill)
        with CaptureQueriesContext(connection) as small:
            level_descriptors(organisation=organisation, skills=few)
        with CaptureQueriesContext(connection) as large:
            level_descriptors(organisation=organisation, skills=many)
    assert len(small) == len(large)


def test_framework_groups_count_distinct_raters_and_put_uncategorised_last(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        data = SkillCategoryFactory(organisation=organisation, name="Data")
        sql = SkillFactory(organisation=organisation, name="SQL", category=data)
        SkillFactory(organisation=organisation, name="Yodelling")
        member, manager = org_a.people["member"], org_a.people["manager"]
        RatingFactory(organisation=organisation, person=member, skill=sql, level=2)
        RatingFactory(organisation=organisation, person=member, skill=sql, level=3)
        RatingFactory(organisation=organisation, person=manager, skill=sql, level=4)
        groups = framework_groups(organisation=organisation)
    assert [g.category.name if g.category else None for g in groups] == ["Data", None]
    assert groups[0].skills[0].rater_count == 2
    assert groups[1].skills[0].rater_count == 0


def test_library_search_puts_the_exact_name_first_and_matches_aliases():
    LibrarySkillFactory(name="React Native")
    LibrarySkillFactory(name="React", aliases=["ReactJS"])
    LibrarySkillFactory(name="Preact")
    assert _names(library_search(q="react")) == ["React", "Preact", "React Native"]
    assert _names(library_search(q="reactjs")) == ["React"]


def test_library_search_filters_by_kind_and_source():
    LibrarySkillFactory(name="Teamwork", kind="human", source="esco")
    LibrarySkillFactory(name="Teamwork software", kind="technical", source="onet")
    assert _names(library_search(q="teamwork", kind="human")) == ["Teamwork"]
    assert _names(library_search(q="teamwork", source="onet")) == ["Teamwork software"]
