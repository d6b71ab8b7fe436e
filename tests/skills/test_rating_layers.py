"""The ratings pieces that moved out of the views, the import and the template tag: the import's
start (``skills.imports.ratings_import_start``), its bulk write through the ratings service
(``skills.services.ratings.ratings_record_imported``), the person page's section
(``skills.selectors.ratings.person_skills_section``) and the choice selectors the framework's forms
and API now take their querysets from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import skills.imports
from accounts.models import AuditEvent
from skills.imports import ratings_import_start
from skills.models import ProfileSkill, Rating, RatingSource
from skills.selectors.framework import library_skill_choices, merge_targets
from skills.selectors.ratings import person_skills_section
from skills.services import ratings as services
from skills.services.ratings import ImportedRating, ratings_record_imported
from skillsmap.core.models import Job
from skillsmap.core.tabular import MAX_BYTES, TableError
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import (
    LibrarySkillFactory,
    ProfileSkillFactory,
    RatingFactory,
    SkillCategoryFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

HEADER = b"email,skill,level,date\n"


def _jobs(world) -> int:
    with organisation_context(world.organisation):
        return Job.objects.filter(kind=Job.Kind.RATINGS_IMPORT).count()


# --- Starting the import --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HEADER, "The file has a header row but no ratings."),
        (HEADER + b"x" * MAX_BYTES, "The file is larger than 10 MB."),
        (b"", "The file is empty."),
    ],
)
def test_an_unusable_file_is_refused_by_the_service_and_starts_no_job(org_a, data, message):
    with organisation_context(org_a.organisation), pytest.raises(TableError) as refused:
        ratings_import_start(
            organisation=org_a.organisation, by=org_a.hr, filename="r.csv", data=data
        )
    assert str(refused.value) == message
    assert _jobs(org_a) == 0


def test_a_readable_file_starts_a_ratings_import_job_holding_the_upload(org_a):
    data = HEADER + b"member@alpha.example,Python,3,2025-03-01\n"
    with organisation_context(org_a.organisation):
        job = ratings_import_start(
            organisation=org_a.organisation, by=org_a.hr, filename="ratings.csv", data=data
        )
        job.refresh_from_db()
    assert (job.kind, job.filename, bytes(job.payload)) == (
        Job.Kind.RATINGS_IMPORT,
        "ratings.csv",
        data,
    )
    assert job.created_by == org_a.hr


# --- Writing the checked rows -----------------------------------------------------------------------


def test_the_import_writes_through_the_ratings_service_and_no_private_name():
    assert ratings_record_imported.__module__ == "skills.services.ratings"
    assert not hasattr(skills.imports, "_ratings_changed")


def test_the_bulk_write_is_idempotent_puts_skills_on_profiles_and_reports_the_change_once(
    org_a, monkeypatch
):
    calls = []
    real = services._ratings_changed

    def spy(**kwargs):
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(services, "_ratings_changed", spy)
    organisation = org_a.organisation
    member = org_a.people["member"]
    python = SkillFactory(organisation=organisation, name="Python")
    go = SkillFactory(organisation=organisation, name="Go")
    day = datetime(2025, 3, 1, 12, tzinfo=UTC)
    rows = [
        ImportedRating(member, python, 4, False, True, "Main language", day),
        ImportedRating(member, go, None, True, False, "", day),
    ]
    with organisation_context(organisation):
        job = Job.objects.create(
            organisation=organisation,
            kind=Job.Kind.RATINGS_IMPORT,
            created_by=org_a.hr,
            filename="r.csv",
        )
        first = ratings_record_imported(organisation=organisation, rows=rows, job=job)
        second = ratings_record_imported(organisation=organisation, rows=rows, job=job)
        ratings = list(Rating.objects.order_by("skill__name"))
        on_profile = set(
            ProfileSkill.objects.filter(person=member).values_list("skill_id", flat=True)
        )
        audits = list(
            AuditEvent.objects.filter(verb="ratings.imported")
            .order_by("pk")
            .values_list("after", flat=True)
        )
    assert (first.created, first.unchanged, first.people, first.skills) == (2, 0, 1, 2)
    assert (second.created, second.unchanged, second.people, second.skills) == (0, 2, 0, 0)
    assert [(r.skill_id, r.level, r.not_applicable, r.source) for r in ratings] == [
        (go.pk, None, True, RatingSource.IMPORT),
        (python.pk, 4, False, RatingSource.IMPORT),
    ]
    assert {r.rated_by_id for r in ratings} == {org_a.hr.pk}
    assert on_profile == {python.pk, go.pk}
    assert audits == [
        {"filename": "r.csv", "created": 2, "unchanged": 0},
        {"filename": "r.csv", "created": 0, "unchanged": 2},
    ]
    assert calls == [
        {"organisation": organisation, "person_ids": {member.pk}, "skill_ids": {python.pk, go.pk}}
    ]


# --- The person page's section ----------------------------------------------------------------------


def test_the_section_holds_only_rated_skills_for_those_who_may_see_them(org_a):
    organisation = org_a.organisation
    member = org_a.people["member"]
    data = SkillCategoryFactory(organisation=organisation, name="Data")
    cloud = SkillCategoryFactory(organisation=organisation, name="Cloud")
    sql = SkillFactory(organisation=organisation, name="SQL", category=data)
    aws = SkillFactory(organisation=organisation, name="AWS", category=cloud)
    RatingFactory(organisation=organisation, person=member, skill=sql, level=4)
    ProfileSkillFactory(organisation=organisation, person=member, skill=aws)  # on it, unrated
    with organisation_context(organisation):
        seen = person_skills_section(
            organisation=organisation, membership=org_a.memberships["manager"], person=member
        )
        hidden = person_skills_section(
            organisation=organisation,
            membership=org_a.memberships["member"],
            person=org_a.people["hr"],
        )
    assert seen.visible is True
    assert [g.name for g in seen.groups] == ["Data"]
    assert [row.skill.name for row in seen.groups[0].rows] == ["SQL"]
    assert (hidden.visible, hidden.groups) == (False, [])


# --- Choice selectors -------------------------------------------------------------------------------


def test_merge_targets_leave_out_the_skill_being_merged_and_archived_skills(org_a):
    organisation = org_a.organisation
    python = SkillFactory(organisation=organisation, name="Python")
    go = SkillFactory(organisation=organisation, name="Go")
    SkillFactory(organisation=organisation, name="COBOL", is_archived=True)
    with organisation_context(organisation):
        assert list(merge_targets(organisation=organisation)) == [go, python]
        assert list(merge_targets(organisation=organisation, exclude=python)) == [go]


def test_the_skill_page_offers_every_other_live_skill_as_a_merge_target(org_a, login):
    organisation = org_a.organisation
    python = SkillFactory(organisation=organisation, name="Python")
    go = SkillFactory(organisation=organisation, name="Go")
    response = login(org_a.hr).get(f"/o/alpha/skills/{python.pk}/")
    # The queryset is lazy; read it where row-level security lets it see the organisation's rows.
    with organisation_context(organisation):
        choices = list(response.context["merge_form"].fields["into"].queryset)
    assert choices == [go]


def test_the_library_choices_are_the_whole_shared_library():
    rust, go = LibrarySkillFactory(name="Rust"), LibrarySkillFactory(name="Go")
    assert set(library_skill_choices()) == {rust, go}
