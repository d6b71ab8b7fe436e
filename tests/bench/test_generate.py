"""The generator's pure parts: rating events for an organisation with fewer skills than the
distinct ratings a person gets (XL's neighbours: 72 ratings a person, 20 skills), the presets and
the team layout. No database."""

import random
import threading
from argparse import Namespace

from bench.generate import (
    FIELDS,
    PRESETS,
    _parent_block,
    _ratings,
    _team_layout,
    spec_from_args,
)


def test_ratings_with_fewer_skills_than_distinct_ratings_a_person_gets_returns():
    skill_ids = list(range(100, 123))  # 23 skills; 72 ratings a person want 43 distinct ones
    person_ids = [1, 2, 3]
    requirements = {7: skill_ids[:5]}
    result: list = []

    def run() -> None:
        result.append(
            _ratings(
                person_ids=person_ids,
                current=dict.fromkeys(person_ids, 7),
                requirements=requirements,
                skill_ids=skill_ids,
                per_person=72,
                rng=random.Random(6),
            )
        )

    # The old loop never ended: a thread that is still running after the timeout fails the test.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "_ratings did not return"
    events = result[0]
    assert len(events) == 72 * len(person_ids)
    for person_id in person_ids:
        mine = [e for e in events if e[0] == person_id]
        assert len(mine) == 72
        # The first events are the first self ratings, one per distinct skill, then the history.
        first = [e[1] for e in mine[: len(skill_ids)]]
        assert all(e[5] == "self" for e in mine[: len(skill_ids)])
        assert len(set(first)) == len(first) == len(skill_ids)
        assert {e[1] for e in mine} <= set(skill_ids)


def test_presets_and_flags_override():
    def args(**given):
        return Namespace(**{**dict.fromkeys(FIELDS), **given})

    assert spec_from_args(args(preset="L")) == PRESETS["L"]
    xl = spec_from_args(args(preset="XL", neighbours=3))
    assert (xl.people, xl.teams, xl.skills, xl.ratings_per_person, xl.roles) == (
        55_000,
        1_100,
        2_500,
        72,
        120,
    )
    assert (xl.neighbours, xl.neighbour_people, xl.parent_block) == (3, 100, 1_000)
    # L's label is what it always was, so an existing L dataset is still found.
    assert PRESETS["L"].label == "p10000 t200 s1500 r40 roles60 n20 seed6"
    assert "np100" in xl.label and "pb1000" in xl.label


def test_xl_team_layout_has_the_measured_teams_and_a_parent_block_of_1000():
    xl = PRESETS["XL"]
    sizes, fixed, block = _team_layout(xl.people, xl.teams, xl.parent_block)
    assert len(sizes) == 1_100 and sum(sizes) == 55_000
    assert sizes[:fixed] == [200, 50, 10]
    assert sum(sizes[fixed : fixed + block]) == 1_000 == sum(_parent_block(1_000))
    rest = sizes[fixed + block :]
    # Every tenth of the other teams leads the nine after it: subtrees well under 1,000.
    assert max(sum(rest[i : i + 10]) for i in range(0, len(rest), 10)) <= 1_000
