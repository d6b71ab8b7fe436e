"""The one loader of effective levels (skills/selectors/levels.py): the set-based query keeps
exactly the events the rule reads, so it agrees with the rule applied to the whole history; and
which sources are a self assessment is one fact, used by Python and SQL alike."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Organisation
from skills.levels import (
    MANAGER_SOURCES,
    REVIEW_SOURCES,
    SELF_SOURCES,
    Source,
    effective_level,
    is_manager_validation,
    is_review,
)
from skills.models import RatingSource
from skills.selectors import levels as loader
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_an_import_counts_as_a_self_assessment_and_only_a_manager_validates():
    assert {Source.MANAGER} == MANAGER_SOURCES
    assert {Source.SELF, Source.IMPORT} == SELF_SOURCES
    # A review ("Mark as reviewed", #16) is a third kind: it confirms, it neither assesses nor
    # validates.
    assert {Source.REVIEW} == REVIEW_SOURCES and is_review("review") and not is_review("self")
    assert not MANAGER_SOURCES & SELF_SOURCES and not REVIEW_SOURCES & (
        MANAGER_SOURCES | SELF_SOURCES
    )
    assert set(Source) == MANAGER_SOURCES | SELF_SOURCES | REVIEW_SOURCES
    assert is_manager_validation("manager") and is_manager_validation(Source.MANAGER)
    assert not is_manager_validation("import") and not is_manager_validation("self")
    # The model's choices are the rule's sources, so every stored row falls on one side.
    assert {choice.value for choice in RatingSource} == {source.value for source in Source}


def test_the_review_period_is_the_organisations_days():
    assert loader.review_period(Organisation(review_period_days=30)) == timedelta(days=30)


def _history(world, rng: random.Random):
    """Four people × three skills, each pair with a random history of every source, many events
    sharing a timestamp (as imports do) so the id must break the tie."""
    organisation = world.organisation
    people = [PersonFactory(organisation=organisation) for _ in range(4)]
    skills = [SkillFactory(organisation=organisation) for _ in range(3)]
    days = [0, 3, 40, 200, 400]  # some more than the review period apart
    for person in people:
        for skill in skills:
            for _ in range(rng.randint(0, 6)):
                na = rng.random() < 0.15
                RatingFactory(
                    organisation=organisation,
                    person=person,
                    skill=skill,
                    level=None if na else rng.randint(0, 5),
                    not_applicable=na,
                    source=rng.choice(list(RatingSource)),
                    interest=rng.random() < 0.3,
                    rated_at=NOW - timedelta(days=rng.choice(days)),
                )
    return people, skills


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_set_based_query_agrees_with_the_rule_over_the_whole_history(org_a, seed):
    organisation = org_a.organisation
    Organisation.objects.filter(pk=organisation.pk).update(review_period_days=30)
    organisation.refresh_from_db()
    with organisation_context(organisation):
        people, skills = _history(org_a, random.Random(seed))
        history = loader.rating_events(organisation=organisation)
        latest = loader.effective_levels(organisation=organisation, now=NOW)
        some = loader.effective_levels(
            organisation=organisation,
            person_ids=[people[0].pk, people[2].pk],
            skill_ids=[skills[1].pk],
            now=NOW,
        )
    period = loader.review_period(organisation)
    expected = {
        key: effective_level(events, review_period=period, now=NOW)
        for key, events in history.items()
    }
    assert latest == expected
    assert some == {
        key: eff
        for key, eff in expected.items()
        if key[0] in {people[0].pk, people[2].pk} and key[1] == skills[1].pk
    }


def test_empty_ids_read_nothing(org_a, django_assert_num_queries):
    with organisation_context(org_a.organisation), django_assert_num_queries(0):
        assert loader.effective_levels(organisation=org_a.organisation, person_ids=[]) == {}
        assert loader.effective_levels(organisation=org_a.organisation, skill_ids=set()) == {}
        assert loader.rating_events(organisation=org_a.organisation, person_ids=()) == {}


def test_the_pages_the_engine_and_the_demo_read_through_the_one_loader():
    from reports import incremental, inputs, selectors
    from skills.selectors import ratings

    for module in (ratings, inputs, incremental, selectors):
        assert module.effective_levels is loader.effective_levels
    assert ratings.review_period is loader.review_period
