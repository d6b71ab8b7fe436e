"""The gap engine (reports/gaps.py): worked examples and hypothesis invariants."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.gaps import (
    Member,
    Requirement,
    mentor_pairs,
    person_gap,
    team_coverage,
    what_if_without,
)

API, SQL, K8S = 1, 2, 3
BACKEND = (
    Requirement(API, target=4, weight=3, essential=True),
    Requirement(SQL, target=3, weight=2, essential=True),
    Requirement(K8S, target=2, weight=1, essential=False),
)


def test_meeting_every_target_is_a_zero_gap():
    result = person_gap(BACKEND, {API: 5, SQL: 3, K8S: 2})
    assert (result.gap, result.readiness, result.met, result.total) == (0.0, 100.0, 3, 3)
    assert not result.essential_alert


def test_the_gap_is_the_weighted_shortfall_over_the_weighted_targets():
    # shortfalls 2, 1, 2 → 3·2 + 2·1 + 1·2 = 10 over 3·4 + 2·3 + 1·2 = 20 → 50 %
    result = person_gap(BACKEND, {API: 2, SQL: 2})
    assert result.gap == 50.0
    assert result.readiness == 50.0
    assert result.met == 0
    assert result.essential_alert  # API is essential and 2 short
    assert [r.requirement.skill_id for r in result.missing] == [API, K8S, SQL]


def test_no_rating_counts_as_zero():
    assert person_gap(BACKEND, {}).gap == 100.0


def test_a_role_with_only_zero_targets_has_no_gap():
    assert person_gap([Requirement(API, target=0)], {}).gap == 0.0


def test_team_coverage_and_bus_factor():
    team = [
        Member(1, BACKEND, {API: 4, SQL: 3, K8S: 3}),
        Member(2, BACKEND, {API: 2, SQL: 3}),
        Member(3, (), {API: 5}),  # not in the role, but covers API
    ]
    coverage = team_coverage(team)
    assert coverage[API].coverage == 2 and not coverage[API].bus_factor_risk
    assert coverage[K8S].coverage == 1 and coverage[K8S].bus_factor_risk
    assert coverage[K8S].covered_by == (1,)
    assert coverage[API].avg_shortfall == 1.0  # (0 + 2) / 2 members whose role requires it


def test_what_if_names_the_skill_left_uncovered():
    team = [Member(1, BACKEND, {API: 4, SQL: 3, K8S: 3}), Member(2, BACKEND, {API: 4, SQL: 3})]
    changes = {c.skill_id: c for c in what_if_without(team, 1)}
    assert (changes[K8S].before.coverage, changes[K8S].coverage_after) == (1, 0)
    assert (changes[API].before.coverage, changes[API].coverage_after) == (2, 1)
    assert changes[API].becomes_risk


def test_mentors_are_paired_with_interested_beginners_in_the_same_skill():
    team = [
        Member(1, (), {API: 5}),
        Member(2, (), {API: 1}, interests=frozenset({API})),
        Member(3, (), {API: 2}),  # not interested
        Member(4, (), {API: 3}, interests=frozenset({API})),  # not a beginner
    ]
    pairs = mentor_pairs(team)
    assert [(p.mentor_id, p.mentee_id, p.skill_id) for p in pairs] == [(1, 2, API)]


requirements = st.lists(
    st.builds(
        Requirement,
        skill_id=st.integers(1, 8),
        target=st.integers(0, 5),
        weight=st.floats(0.5, 5, allow_nan=False),
        essential=st.booleans(),
    ),
    max_size=8,
    unique_by=lambda r: r.skill_id,
)
levels = st.dictionaries(st.integers(1, 8), st.integers(0, 5), max_size=8)


@given(requirements, levels)
def test_the_gap_is_between_0_and_100(reqs, lv):
    assert 0 <= person_gap(reqs, lv).gap <= 100


@given(requirements, levels, st.integers(1, 8), st.integers(0, 5))
def test_adding_or_raising_a_rating_never_increases_a_gap(reqs, lv, skill, raise_to):
    before = person_gap(reqs, lv).gap
    better = {**lv, skill: max(lv.get(skill, 0), raise_to)}
    assert person_gap(reqs, better).gap <= before + 1e-9


@given(requirements, levels, st.data())
def test_raising_a_target_never_decreases_the_gap(reqs, lv, data):
    if not reqs:
        return
    index = data.draw(st.integers(0, len(reqs) - 1))
    raised = list(reqs)
    r = raised[index]
    raised[index] = Requirement(r.skill_id, min(5, r.target + 1), r.weight, r.essential)
    # Only meaningful where the person is already at or below the old target.
    if lv.get(r.skill_id, 0) <= r.target:
        assert person_gap(raised, lv).gap >= person_gap(reqs, lv).gap - 1e-9


members = st.lists(
    st.builds(
        Member, person_id=st.integers(1, 1000), requirements=requirements.map(tuple), levels=levels
    ),
    max_size=8,
    unique_by=lambda m: m.person_id,
)


@given(members)
def test_team_figures_equal_those_recomputed_from_the_individual_rows(team):
    coverage = team_coverage(team)
    for skill_id, figures in coverage.items():
        rows = [
            person_gap(m.requirements, m.levels).results
            for m in team
            if any(r.skill_id == skill_id for r in m.requirements)
        ]
        shortfalls = [
            x.shortfall for res in rows for x in res if x.requirement.skill_id == skill_id
        ]
        assert figures.required_by == len(shortfalls)
        assert figures.avg_shortfall == pytest.approx(sum(shortfalls) / len(shortfalls), abs=0.01)
        assert figures.coverage == sum(
            1 for m in team if m.levels.get(skill_id, 0) >= figures.target
        )


@given(members, st.integers(1, 1000))
def test_removing_a_person_never_raises_coverage(team, person_id):
    for change in what_if_without(team, person_id):
        assert change.coverage_after <= change.before.coverage
