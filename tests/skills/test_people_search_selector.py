"""People search's selector (``skills.selectors.ratings.people_search``): every criterion (AND) at
its minimum effective level, the level as ``skills.levels`` decides it (a manager's validation, a
superseded one, a review, "not applicable"), among the active people the caller may see, and never
anyone of another organisation. The search reads levels only for the people who can match
(``skills.selectors.search``): a random history proves it finds exactly what the rule applied to
every event of everyone finds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Organisation
from skills.levels import effective_level
from skills.models import RatingSource
from skills.selectors import levels as loader
from skills.selectors.ratings import people_search, people_visible_to
from skills.selectors.search import search_candidates
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PERIOD_DAYS = 30


@pytest.fixture
def world(org_a):
    Organisation.objects.filter(pk=org_a.organisation.pk).update(review_period_days=PERIOD_DAYS)
    org_a.organisation.refresh_from_db()
    return org_a


def _rate(world, person, skill, level, *, days_ago=10, source=RatingSource.SELF, **kwargs):
    return RatingFactory(
        organisation=world.organisation,
        person=person,
        skill=skill,
        level=level,
        source=source,
        rated_at=NOW - timedelta(days=days_ago),
        **kwargs,
    )


def _search(world, criteria, role="hr"):
    with organisation_context(world.organisation):
        results, count = people_search(
            organisation=world.organisation,
            membership=world.memberships[role],
            criteria=criteria,
            limit=10_000,
            now=NOW,
        )
    assert count == len(results)
    return results


def _names(results) -> list[str]:
    return [r.person.name for r in results]


def test_every_skill_must_be_met_at_its_own_minimum_the_minimum_itself_included(world):
    organisation = world.organisation
    python, sql, go = (SkillFactory(organisation=organisation, name=n) for n in ("Py", "SQL", "Go"))
    people = {n: PersonFactory(organisation=organisation, name=n) for n in ("Ada", "Bo", "Cy")}
    for skill, level in ((python, 3), (sql, 2), (go, 4)):
        _rate(world, people["Ada"], skill, level)  # exactly each minimum
    for skill, level in ((python, 5), (sql, 1), (go, 5)):
        _rate(world, people["Bo"], skill, level)  # SQL one below
    for skill, level in ((python, 5), (sql, 5)):
        _rate(world, people["Cy"], skill, level)  # no Go at all
    results = _search(world, [(python, 3), (sql, 2), (go, 4)])
    assert _names(results) == ["Ada"]
    assert results[0].total == 9
    assert [(m.skill, m.effective.level) for m in results[0].matches] == [
        (python, 3),
        (sql, 2),
        (go, 4),
    ]
    assert _names(_search(world, [(python, 3), (go, 4)])) == ["Bo", "Ada"]  # by total


def test_a_managers_validation_is_the_level_searched_up_or_down(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    lowered = PersonFactory(organisation=organisation, name="Lowered")
    raised = PersonFactory(organisation=organisation, name="Raised")
    _rate(world, lowered, skill, 5, days_ago=20)
    _rate(world, lowered, skill, 2, days_ago=10, source=RatingSource.MANAGER)
    _rate(world, raised, skill, 2, days_ago=20)
    _rate(world, raised, skill, 4, days_ago=10, source=RatingSource.MANAGER)
    # A self rating newer than the validation, but within the review period: still validated.
    _rate(world, raised, skill, 1, days_ago=5)
    results = _search(world, [(skill, 3)])
    assert _names(results) == ["Raised"]
    assert results[0].matches[0].effective.validated
    assert results[0].matches[0].effective.level == 4


def test_a_validation_older_than_the_review_period_before_a_newer_self_rating_is_superseded(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    dropped = PersonFactory(organisation=organisation, name="Dropped")
    grown = PersonFactory(organisation=organisation, name="Grown")
    old, new = PERIOD_DAYS + 12, 10  # the self rating is newer by more than the period
    _rate(world, dropped, skill, 5, days_ago=old, source=RatingSource.MANAGER)
    _rate(world, dropped, skill, 2, days_ago=new)
    _rate(world, grown, skill, 1, days_ago=old, source=RatingSource.MANAGER)
    _rate(world, grown, skill, 4, days_ago=new)
    results = _search(world, [(skill, 3)])
    assert _names(results) == ["Grown"]
    assert not results[0].matches[0].effective.validated


def test_an_earlier_higher_rating_a_review_or_a_later_not_applicable_never_matches(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    lowered = PersonFactory(organisation=organisation, name="Rated lower since")
    reviewed = PersonFactory(organisation=organisation, name="Review only says 5")
    not_applicable = PersonFactory(organisation=organisation, name="Not applicable since")
    _rate(world, lowered, skill, 5, days_ago=20)
    _rate(world, lowered, skill, 2, days_ago=10, source=RatingSource.IMPORT)
    _rate(world, reviewed, skill, 2, days_ago=20)
    _rate(world, reviewed, skill, 5, days_ago=10, source=RatingSource.REVIEW)
    _rate(world, not_applicable, skill, 5, days_ago=20)
    _rate(world, not_applicable, skill, None, days_ago=10, not_applicable=True)
    assert _search(world, [(skill, 3)]) == []
    # Each of them has an event at 5, so each is a candidate; the rule rules them out.
    with organisation_context(organisation):
        rows = search_candidates(organisation=organisation, criteria=[(skill, 3)])
        candidates = {row["person_id"] for row in rows}
    assert candidates == {lowered.pk, not_applicable.pk}


def test_a_skill_given_twice_must_meet_both_minimums(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    three = PersonFactory(organisation=organisation, name="Three")
    five = PersonFactory(organisation=organisation, name="Five")
    _rate(world, three, skill, 3)
    _rate(world, five, skill, 5)
    assert _names(_search(world, [(skill, 2), (skill, 4)])) == ["Five"]


def test_people_who_left_never_appear(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    gone = PersonFactory(organisation=organisation, name="Gone", is_active=False)
    _rate(world, gone, skill, 5)
    assert _search(world, [(skill, 1)]) == []


def test_a_manager_finds_only_their_reporting_line_and_a_member_only_themselves(world):
    organisation = world.organisation
    skill = SkillFactory(organisation=organisation)
    for person in world.people.values():
        _rate(world, person, skill, 4)
    stranger = PersonFactory(organisation=organisation, name="Not a report")
    _rate(world, stranger, skill, 5)
    everyone = {p.name for p in world.people.values()} | {"Not a report"}
    assert set(_names(_search(world, [(skill, 2)], "hr"))) == everyone
    assert set(_names(_search(world, [(skill, 2)], "manager"))) == {
        world.people["manager"].name,
        world.people["member"].name,
    }
    assert _names(_search(world, [(skill, 2)], "member")) == [world.people["member"].name]


def test_another_organisations_people_never_appear(world, org_b):
    organisation = world.organisation
    ours = SkillFactory(organisation=organisation, name="Python")
    theirs = SkillFactory(organisation=org_b.organisation, name="Python")
    _rate(world, world.people["member"], ours, 3)
    for person in org_b.people.values():
        RatingFactory(organisation=org_b.organisation, person=person, skill=theirs, level=5)
    assert _names(_search(world, [(ours, 1)])) == [world.people["member"].name]
    # Given the other organisation's skill itself (the page's form refuses it), still no one.
    assert _search(world, [(theirs, 1)]) == []
    assert _search(world, [(ours, 1), (theirs, 1)]) == []
    with organisation_context(org_b.organisation):
        results, _ = people_search(
            organisation=org_b.organisation,
            membership=org_b.memberships["hr"],
            criteria=[(theirs, 1)],
        )
    assert {r.person.organisation_id for r in results} == {org_b.organisation.pk}
    assert len(results) == len(org_b.people)


def test_hr_searches_in_two_statements_whatever_the_number_of_people(
    world, django_assert_num_queries
):
    organisation = world.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(3)]
    for size in (3, 30):
        for _ in range(size):
            person = PersonFactory(organisation=organisation)
            for skill in skills:
                _rate(world, person, skill, 4)
        # Two: the levels of the candidates, and their people.
        with organisation_context(organisation), django_assert_num_queries(2):
            results, count = people_search(
                organisation=organisation,
                membership=world.memberships["hr"],
                criteria=[(s, 3) for s in skills],
            )
        assert count == len(results) >= size


def _random_history(world, rng: random.Random, skills, people) -> None:
    """Every source, "not applicable", levels 0-5, days some more than the review period apart
    and shared timestamps (the id breaks the tie)."""
    days = [0, 3, 12, PERIOD_DAYS + 5, 200]
    for person in people:
        for skill in skills:
            for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
                na = rng.random() < 0.1
                _rate(
                    world,
                    person,
                    skill,
                    None if na else rng.randint(0, 5),
                    days_ago=rng.choice(days),
                    source=rng.choice(list(RatingSource)),
                    not_applicable=na,
                )


def _expected(world, role, criteria):
    """The search as the rule states it, over every event of everyone the caller may see."""
    organisation = world.organisation
    with organisation_context(organisation):
        history = loader.rating_events(organisation=organisation)
        visible = people_visible_to(organisation=organisation, membership=world.memberships[role])
        active = {p.pk: p for p in Person.objects.filter(organisation=organisation, is_active=True)}
    period = loader.review_period(organisation)
    rows = []
    for person_id in visible & active.keys():
        levels = []
        for skill, minimum in criteria:
            events = history.get((person_id, skill.pk))
            eff = effective_level(events, review_period=period, now=NOW) if events else None
            if eff is None or eff.not_applicable or (eff.level or 0) < minimum:
                break
            levels.append((skill.pk, eff))
        else:
            rows.append((active[person_id], levels))
    rows.sort(key=lambda r: (-sum(e.level or 0 for _, e in r[1]), r[0].name.casefold(), r[0].pk))
    return [(p.pk, sum(e.level or 0 for _, e in levels), levels) for p, levels in rows]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_search_finds_what_the_rule_over_every_event_of_everyone_finds(world, org_b, seed):
    rng = random.Random(seed)
    organisation = world.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(4)]
    people = [
        PersonFactory(organisation=organisation, is_active=rng.random() > 0.1) for _ in range(14)
    ]
    # Some report to the manager, directly or through another report.
    with organisation_context(organisation):
        for i, person in enumerate(people[:6]):
            person.manager = world.people["manager"] if i % 2 == 0 else people[i - 1]
            person.save(update_fields=["manager"])
    _random_history(world, rng, skills, [*people, *world.people.values()])
    # The other organisation rates too: none of it may come back.
    theirs = SkillFactory(organisation=org_b.organisation)
    for person in org_b.people.values():
        RatingFactory(organisation=org_b.organisation, person=person, skill=theirs, level=5)
    for _ in range(12):
        chosen = rng.sample(skills, rng.randint(1, 3))
        criteria = [(skill, rng.randint(0, 5)) for skill in chosen]
        for role in ("hr", "admin", "manager", "member"):
            found = [
                (r.person.pk, r.total, [(m.skill.pk, m.effective) for m in r.matches])
                for r in _search(world, criteria, role)
            ]
            assert found == _expected(world, role, criteria), (role, criteria)
