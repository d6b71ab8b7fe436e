"""The one builder of the engine's members (reports/members.py) and the team average gap
(reports/gaps.py): "not applicable" counts as level 0 everywhere, and the mentor pairs of the team
page are what they were when that page left "not applicable" out of the levels."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from reports import gaps
from reports.members import levels_for_gap, members_build
from skills.levels import Effective

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _effective(level: int | None, *, na: bool = False, interest: bool = False) -> Effective:
    return Effective(
        level=None if na else level,
        not_applicable=na,
        validated=False,
        rated_at=NOW,
        stale=False,
        interest=interest,
        self_level=None if na else level,
        manager_level=None,
    )


def _legacy_mentor_members(person_ids, skill_ids, effective):
    """The team page's own builder before there was one: "not applicable" left out of the levels."""
    members = []
    for person_id in person_ids:
        levels, interests = {}, set()
        for skill_id in skill_ids:
            eff = effective.get((person_id, skill_id))
            if eff is None:
                continue
            if not eff.not_applicable:
                levels[skill_id] = eff.level or 0
            if eff.interest:
                interests.add(skill_id)
        members.append(gaps.Member(person_id, (), levels, frozenset(interests)))
    return members


PEOPLE, SKILLS = range(1, 7), range(1, 5)
effective_maps = st.dictionaries(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(SKILLS)),
    st.builds(
        _effective,
        st.integers(0, 5),
        na=st.booleans(),
        interest=st.booleans(),
    ),
    max_size=24,
)


@given(effective=effective_maps)
def test_mentor_pairs_are_unchanged_by_counting_not_applicable_as_zero(effective):
    people = list(PEOPLE)
    legacy = gaps.mentor_pairs(_legacy_mentor_members(people, SKILLS, effective))
    levels, interests = levels_for_gap(effective, people=set(people))
    built = gaps.mentor_pairs(members_build(people, levels=levels, interests=interests))
    assert built == legacy


def test_not_applicable_and_unrated_count_as_zero_and_interests_are_kept():
    effective = {
        (1, 10): _effective(4),
        (1, 11): _effective(None, na=True, interest=True),
        (2, 10): _effective(2, interest=True),
        (3, 10): _effective(5),  # not among ``people``: left out
    }
    levels, interests = levels_for_gap(effective, people={1, 2})
    assert levels == {1: {10: 4, 11: 0}, 2: {10: 2}}
    assert interests == {1: {11}, 2: {10}}


def test_members_keep_the_given_order_requirements_and_the_shared_cache():
    need = (gaps.Requirement(10, target=3),)
    levels = {1: {10: 4}, 2: {10: 1}}
    cache: dict[int, gaps.Member] = {}
    first = members_build(
        [2, 1, 3], levels=levels, requirements_of=lambda p: need if p != 3 else (), cache=cache
    )
    assert [m.person_id for m in first] == [2, 1, 3]
    assert first[0] == gaps.Member(2, need, {10: 1})
    assert first[2] == gaps.Member(3, (), {})  # unrated, no role
    again = members_build([1], levels={}, requirements_of=lambda p: (), cache=cache)
    assert again[0] is first[1]  # one member per person, whichever team asks
    assert members_build([1], levels=levels) == [gaps.Member(1, (), {10: 4})]


def test_the_team_average_gap_is_the_mean_of_its_members_current_gaps():
    memberships = [(7, 1), (7, 2), (8, 3), (9, 4), (7, 5)]  # person 5 has no current role
    current = {1: Decimal("40.00"), 2: Decimal("20.00"), 3: Decimal("12.50"), 4: Decimal("0")}
    by_team = gaps.team_current_gaps(memberships, current)
    assert by_team == {
        7: [Decimal("40.00"), Decimal("20.00")],
        8: [Decimal("12.50")],
        9: [Decimal("0")],
    }
    assert gaps.team_average_gap(by_team[7]) == Decimal("30")
    assert gaps.team_average_gap(by_team[8]) == Decimal("12.50")
    assert gaps.team_average_gap(by_team[9]) == Decimal("0")
    assert gaps.team_average_gap([]) is None
