"""Rating services and selectors: the rules of who may rate whom, events never rewritten, the
effective level derived from them, the reporting line, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Organisation
from skills.models import ProfileSkill, Rating, RatingSource
from skills.selectors.ratings import (
    effective_levels,
    people_validatable_by,
    people_visible_to,
    rating_history,
)
from skills.services import ratings as services
from skills.services.ratings import RatingError, rating_set, rating_validate
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import ProfileSkillFactory, RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def _rate(world, role="member", skill=None, level=3, by=None, **kwargs):
    organisation = world.organisation
    with organisation_context(organisation):
        return rating_set(
            organisation=organisation,
            person=world.people[role],
            skill=skill,
            level=level,
            source=kwargs.pop("source", RatingSource.SELF),
            by=by or world.user(role),
            **kwargs,
        )


def _count(world, model=Rating, **filters):
    with organisation_context(world.organisation):
        return model.objects.filter(organisation=world.organisation, **filters).count()


def test_a_self_rating_creates_an_event_a_profile_skill_and_an_audit_event(org_a):
    skill = SkillFactory(organisation=org_a.organisation, name="PostgreSQL")
    rating = _rate(org_a, skill=skill, level=3, interest=True, note="Tuned our queries")
    with organisation_context(org_a.organisation):
        assert rating.source == RatingSource.SELF and rating.rated_by == org_a.member
        assert ProfileSkill.objects.filter(person=org_a.people["member"], skill=skill).exists()
        event = AuditEvent.objects.get(verb="rating.created", target_id=str(rating.pk))
    assert event.actor == org_a.member
    assert event.before == {"level": None}
    assert event.after == {"level": 3, "source": "self", "interest": True}


def test_history_is_kept_two_saves_are_two_events_and_the_latest_is_effective(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    _rate(org_a, skill=skill, level=2, rated_at=timezone.now() - timedelta(days=1))
    second = _rate(org_a, skill=skill, level=4)
    person = org_a.people["member"]
    with organisation_context(org_a.organisation):
        events = rating_history(organisation=org_a.organisation, person=person, skill=skill)
        effective = effective_levels(
            organisation=org_a.organisation, person_ids=[person.pk], skill_ids=[skill.pk]
        )[(person.pk, skill.pk)]
        audit = AuditEvent.objects.get(verb="rating.created", target_id=str(second.pk))
    assert [e.level for e in events] == [4, 2]
    assert effective.level == 4 and not effective.validated
    assert audit.before == {"level": 2, "validated": False}


def test_not_applicable_is_stored_without_a_level_and_is_not_zero(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    rating = _rate(org_a, skill=skill, level=None, not_applicable=True)
    person = org_a.people["member"]
    with organisation_context(org_a.organisation):
        effective = effective_levels(organisation=org_a.organisation, person_ids=[person.pk])
    assert rating.level is None and rating.not_applicable
    assert effective[(person.pk, skill.pk)].level is None
    assert effective[(person.pk, skill.pk)].not_applicable


@pytest.mark.parametrize("level", [6, 9, -1, None])
def test_a_level_off_the_scale_is_refused_and_nothing_is_written(org_a, level):
    skill = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError, match="scale"):
        _rate(org_a, skill=skill, level=level)
    assert _count(org_a) == 0
    assert _count(org_a, AuditEvent, verb="rating.created") == 0


def test_an_archived_skill_is_closed_for_ratings(org_a):
    skill = SkillFactory(organisation=org_a.organisation, is_archived=True)
    with pytest.raises(RatingError, match="This skill is archived; ratings are closed"):
        _rate(org_a, skill=skill)
    assert _count(org_a) == 0


def test_another_organisations_skill_or_person_is_refused_like_a_missing_one(org_a, org_b):
    theirs = SkillFactory(organisation=org_b.organisation)
    ours = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError, match="Select a valid skill"):
        _rate(org_a, skill=theirs)
    with organisation_context(org_a.organisation), pytest.raises(RatingError, match="person"):
        rating_set(
            organisation=org_a.organisation,
            person=org_b.people["member"],
            skill=ours,
            level=3,
            source=RatingSource.MANAGER,
            by=org_a.admin,
        )
    assert _count(org_a) == 0 and _count(org_b) == 0


def test_self_ratings_only_for_ones_own_person(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError, match="only yourself"):
        _rate(org_a, role="member", skill=skill, by=org_a.manager)
    assert _count(org_a) == 0


def test_a_manager_validates_direct_and_indirect_reports_only(org_a):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation)
    member = org_a.people["member"]
    indirect = PersonFactory(organisation=organisation, manager=member)
    outside = PersonFactory(organisation=organisation)
    with organisation_context(organisation):
        for person in (member, indirect):
            rating_set(
                organisation=organisation,
                person=person,
                skill=skill,
                level=2,
                source=RatingSource.MANAGER,
                by=org_a.manager,
            )
        with pytest.raises(RatingError, match="report to you"):
            rating_set(
                organisation=organisation,
                person=outside,
                skill=skill,
                level=2,
                source=RatingSource.MANAGER,
                by=org_a.manager,
            )
    assert _count(org_a, source=RatingSource.MANAGER) == 2


def test_nobody_validates_themselves_not_even_hr(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError):
        _rate(org_a, role="hr", skill=skill, source=RatingSource.MANAGER)
    assert _count(org_a) == 0


def test_a_member_cannot_validate_even_a_person_reporting_to_them(org_a):
    # The reporting line alone is not enough: the role must allow validation.
    organisation = org_a.organisation
    report = PersonFactory(organisation=organisation, manager=org_a.people["member"])
    skill = SkillFactory(organisation=organisation)
    with organisation_context(organisation), pytest.raises(RatingError):
        rating_set(
            organisation=organisation,
            person=report,
            skill=skill,
            level=3,
            source=RatingSource.MANAGER,
            by=org_a.member,
        )


def test_hr_validates_anyone_and_the_manager_level_becomes_effective(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    _rate(org_a, skill=skill, level=4, rated_at=timezone.now() - timedelta(hours=1))
    _rate(org_a, skill=skill, level=3, source=RatingSource.MANAGER, by=org_a.hr)
    person = org_a.people["member"]
    with organisation_context(org_a.organisation):
        effective = effective_levels(organisation=org_a.organisation, person_ids=[person.pk])[
            (person.pk, skill.pk)
        ]
    assert (effective.level, effective.validated, effective.difference) == (3, True, -1)


def test_a_newer_self_rating_beyond_the_review_period_supersedes_the_validation(org_a):
    organisation = org_a.organisation
    Organisation.objects.filter(pk=organisation.pk).update(review_period_days=30)
    organisation.refresh_from_db()
    skill = SkillFactory(organisation=organisation)
    now = timezone.now()
    _rate(org_a, skill=skill, level=2, source=RatingSource.MANAGER, by=org_a.manager,
          rated_at=now - timedelta(days=40))  # fmt: skip
    _rate(org_a, skill=skill, level=2, rated_at=now - timedelta(days=41))
    person = org_a.people["member"]
    with organisation_context(organisation):
        before = effective_levels(organisation=organisation, person_ids=[person.pk])
    assert before[(person.pk, skill.pk)].validated
    assert before[(person.pk, skill.pk)].stale
    _rate(org_a, skill=skill, level=4)
    with organisation_context(organisation):
        after = effective_levels(organisation=organisation, person_ids=[person.pk])
    assert after[(person.pk, skill.pk)].level == 4
    assert not after[(person.pk, skill.pk)].validated
    assert not after[(person.pk, skill.pk)].stale


def test_a_future_date_is_refused(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError, match="future"):
        _rate(org_a, skill=skill, rated_at=timezone.now() + timedelta(days=2))


def test_evidence_must_be_a_web_link(org_a):
    skill = SkillFactory(organisation=org_a.organisation)
    with pytest.raises(RatingError, match="link"):
        _rate(org_a, skill=skill, evidence_url="javascript:alert(1)")
    assert _count(org_a) == 0


def test_validation_that_adjusts_the_level_needs_a_note(org_a):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation)
    _rate(org_a, skill=skill, level=4, rated_at=timezone.now() - timedelta(minutes=1))
    person = org_a.people["member"]
    with organisation_context(organisation):
        with pytest.raises(RatingError, match="note"):
            rating_validate(
                organisation=organisation, person=person, skill=skill, level=3, by=org_a.manager
            )
        confirmed = rating_validate(
            organisation=organisation, person=person, skill=skill, level=4, by=org_a.manager
        )
        adjusted = rating_validate(
            organisation=organisation,
            person=person,
            skill=skill,
            level=3,
            note="Not yet on call for the cluster",
            by=org_a.manager,
        )
    assert confirmed.source == adjusted.source == RatingSource.MANAGER
    assert _count(org_a, source=RatingSource.MANAGER) == 2


def test_every_rating_write_reports_to_the_recompute_hook_and_bumps_the_inputs(org_a, monkeypatch):
    calls = []
    real = services._ratings_changed

    def spy(**kwargs):
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(services, "_ratings_changed", spy)
    skill = SkillFactory(organisation=org_a.organisation)
    version = Organisation.objects.get(pk=org_a.organisation.pk).inputs_version
    _rate(org_a, skill=skill)
    person = org_a.people["member"]
    assert calls == [
        {"organisation": org_a.organisation, "person_ids": [person.pk], "skill_ids": [skill.pk]}
    ]
    assert Organisation.objects.get(pk=org_a.organisation.pk).inputs_version == version + 1


def test_profile_skills_can_be_added_and_unrated_ones_removed(org_a):
    organisation = org_a.organisation
    person = org_a.people["member"]
    skill = SkillFactory(organisation=organisation)
    rated = SkillFactory(organisation=organisation)
    RatingFactory(organisation=organisation, person=person, skill=rated)
    ProfileSkillFactory(organisation=organisation, person=person, skill=rated)
    with organisation_context(organisation):
        services.profile_skill_add(
            organisation=organisation, person=person, skill=skill, by=org_a.member
        )
        services.profile_skill_add(
            organisation=organisation, person=person, skill=skill, by=org_a.member
        )
        assert ProfileSkill.objects.filter(person=person, skill=skill).count() == 1
        services.profile_skill_remove(
            organisation=organisation, person=person, skill=skill, by=org_a.member
        )
        with pytest.raises(RatingError, match="stays on your profile"):
            services.profile_skill_remove(
                organisation=organisation, person=person, skill=rated, by=org_a.member
            )
        assert not ProfileSkill.objects.filter(person=person, skill=skill).exists()
        assert ProfileSkill.objects.filter(person=person, skill=rated).exists()
        assert Rating.objects.filter(person=person, skill=rated).count() == 1
        verbs = list(
            AuditEvent.objects.filter(verb__startswith="profile_skill").values_list(
                "verb", flat=True
            )
        )
    assert sorted(verbs) == ["profile_skill.added", "profile_skill.removed"]


def test_an_archived_skill_cannot_be_added_to_a_profile(org_a):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation, is_archived=True)
    with organisation_context(organisation), pytest.raises(RatingError, match="archived"):
        services.profile_skill_add(
            organisation=organisation, person=org_a.people["member"], skill=skill, by=org_a.member
        )


def test_nobody_edits_another_members_profile_outside_their_line(org_a):
    organisation = org_a.organisation
    skill = SkillFactory(organisation=organisation)
    with organisation_context(organisation), pytest.raises(RatingError, match="own profile"):
        services.profile_skill_add(
            organisation=organisation, person=org_a.people["hr"], skill=skill, by=org_a.member
        )


# --- Who sees whose ratings ----------------------------------------------------------------------


def _visible(world, role):
    with organisation_context(world.organisation):
        return people_visible_to(
            organisation=world.organisation, membership=world.memberships[role]
        )


def test_a_member_sees_only_themselves(org_a):
    assert _visible(org_a, "member") == {org_a.people["member"].pk}


def test_a_manager_sees_direct_and_indirect_reports_but_not_others(org_a):
    organisation = org_a.organisation
    deep = PersonFactory(organisation=organisation, manager=org_a.people["member"])
    deeper = PersonFactory(organisation=organisation, manager=deep)
    PersonFactory(organisation=organisation)  # someone else's report
    assert _visible(org_a, "manager") == {
        org_a.people["manager"].pk,
        org_a.people["member"].pk,
        deep.pk,
        deeper.pk,
    }


def test_a_cycle_in_the_reporting_line_does_not_loop(org_a):
    organisation = org_a.organisation
    manager = org_a.people["manager"]
    with organisation_context(organisation):
        # member → manager → member: HR made a mistake, the walk must still end.
        manager.manager = org_a.people["member"]
        manager.save(update_fields=["manager"])
        assert people_validatable_by(
            organisation=organisation, membership=org_a.memberships["manager"]
        ) == {org_a.people["member"].pk}
    assert _visible(org_a, "manager") == {manager.pk, org_a.people["member"].pk}


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admins_see_everyone_of_their_organisation_only(org_a, org_b, role):
    extra = PersonFactory(organisation=org_a.organisation)
    expected = {p.pk for p in org_a.people.values()} | {extra.pk}
    assert _visible(org_a, role) == expected


def test_effective_levels_reads_all_events_in_one_query(org_a, django_assert_num_queries):
    organisation = org_a.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(3)]
    people = [PersonFactory(organisation=organisation) for _ in range(4)]
    for person in people:
        for skill in skills:
            RatingFactory(organisation=organisation, person=person, skill=skill, level=2)
    with organisation_context(organisation), django_assert_num_queries(1):
        result = effective_levels(organisation=organisation, person_ids=[p.pk for p in people])
    assert len(result) == 12 and {e.level for e in result.values()} == {2}
