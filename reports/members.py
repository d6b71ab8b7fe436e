"""The gap engine's view of people: the one builder of ``gaps.Member`` for the full recompute, the
incremental path, what-if and the team page's mentor pairs. Pure: no database access.

The one rule it applies: a person's level in a skill is ``Effective.level_for_gap``, so "not
applicable" and unrated both count as 0 (``skills.levels``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence, Set

from reports import gaps
from skills.levels import Effective


def levels_for_gap(
    effective: Mapping[tuple[int, int], Effective],
    *,
    people: Container[int] | None = None,
) -> tuple[dict[int, dict[int, int]], dict[int, set[int]]]:
    """From (person, skill) → effective level: person → skill → the level the engine uses, and
    person → the skills they want to grow in. ``people`` keeps only those people (``None``: all)."""
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    interests: dict[int, set[int]] = defaultdict(set)
    for (person_id, skill_id), eff in effective.items():
        if people is not None and person_id not in people:
            continue
        levels[person_id][skill_id] = eff.level_for_gap
        if eff.interest:
            interests[person_id].add(skill_id)
    return levels, interests


def _no_requirements(person_id: int) -> Sequence[gaps.Requirement]:
    return ()


def members_build(
    person_ids: Iterable[int],
    *,
    levels: Mapping[int, Mapping[int, int]],
    requirements_of: Callable[[int], Sequence[gaps.Requirement]] = _no_requirements,
    interests: Mapping[int, Set[int]] | None = None,
    cache: dict[int, gaps.Member] | None = None,
) -> list[gaps.Member]:
    """One ``gaps.Member`` per person, in the order given.

    ``requirements_of(person_id)`` gives the requirements of the person's current role, as the
    caller narrows them (none: mentor pairs ignore requirements). ``interests`` fills the skills
    they want to grow in (what-if and mentor pairs; coverage reads none). ``cache`` shares one
    member per person between the teams they count in (the full recompute)."""
    members = []
    for person_id in person_ids:
        member = cache.get(person_id) if cache is not None else None
        if member is None:
            member = gaps.Member(
                person_id=person_id,
                requirements=tuple(requirements_of(person_id)),
                levels=levels.get(person_id, {}),
                interests=frozenset(interests.get(person_id, ())) if interests else frozenset(),
            )
            if cache is not None:
                cache[person_id] = member
        members.append(member)
    return members
