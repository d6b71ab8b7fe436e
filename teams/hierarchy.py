"""The team tree, walked one way everywhere: a team's sub-teams, a manager's teams, the teams a
recompute aggregates, and the check that a new parent does not sit below the team itself.

Pure functions over ``(team id, parent id)`` pairs, plus the one query that reads them. A cycle
in the data (which ``team_update`` refuses, but an import or a bug could leave) never loops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from accounts.models import Organisation
from teams.models import Team

Pairs = Iterable[tuple[int, int | None]]


def team_pairs(*, organisation: Organisation) -> list[tuple[int, int | None]]:
    """(team id, parent id) of every team of the organisation, in one query."""
    return list(
        Team.objects.filter(organisation=organisation).values_list("pk", "parent_id").order_by()
    )


def children_of(pairs: Pairs) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for team_id, parent_id in pairs:
        children[parent_id].append(team_id)
    return children


def walk_down(children: Mapping[int | None, Iterable[int]], roots: Iterable[int]) -> list[int]:
    """``roots`` and everything below them, each once, in walk order."""
    seen: list[int] = []
    found: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        seen.append(current)
        stack.extend(children.get(current, []))
    return seen


def team_descendants(pairs: Pairs) -> dict[int, set[int]]:
    """Each team with itself and every team below it."""
    pairs = list(pairs)
    children = children_of(pairs)
    return {team_id: set(walk_down(children, [team_id])) for team_id, _ in pairs}


def is_at_or_below(parents: Mapping[int, int | None], team_id: int, candidate: int) -> bool:
    """Whether ``candidate`` is ``team_id`` or one of its sub-teams (walking up from it)."""
    current: int | None = candidate
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == team_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def team_subtree_ids(*, organisation: Organisation, team_ids: Iterable[int]) -> list[int]:
    """These teams and every team below them."""
    return walk_down(children_of(team_pairs(organisation=organisation)), team_ids)
