"""The team tree, walked one way everywhere: a team's sub-teams, a manager's teams, the teams a
recompute aggregates, the check that a new parent does not sit below the team itself, and the
one rule for which teams' figures a member may read (``teams_visible_to``).

Pure functions over ``(team id, parent id)`` pairs, plus the one query that reads them. A cycle
in the data (which ``team_update`` refuses, but an import or a bug could leave) never loops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from accounts.models import Membership, Organisation
from accounts.permissions import Perm
from teams.models import Team, TeamManager

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


def teams_led_by(*, organisation: Organisation, person_id: int | None) -> set[int]:
    """The teams a person leads and every team below them, in two queries however many."""
    if person_id is None:
        return set()
    led = list(
        TeamManager.objects.filter(organisation=organisation, person_id=person_id).values_list(
            "team_id", flat=True
        )
    )
    return set(team_subtree_ids(organisation=organisation, team_ids=led)) if led else set()


@dataclass(frozen=True)
class TeamScope:
    """The teams whose figures (matrix, coverage, exports) a member may read."""

    whole_organisation: bool
    team_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return self.whole_organisation or bool(self.team_ids)

    def includes(self, team_id: int) -> bool:
        return self.whole_organisation or team_id in self.team_ids


def teams_visible_to(*, organisation: Organisation, membership: Membership | None) -> TeamScope:
    """The one rule for whose team figures a member reads: HR and admins every team (``team_ids``
    then lists them all); a manager the teams they lead and those below; anyone else none. A
    member who happens to lead a team is not a manager and reads no team's matrix."""
    if membership is None or not membership.is_active:
        return TeamScope(False, frozenset())
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        ids = Team.objects.filter(organisation=organisation).values_list("pk", flat=True)
        return TeamScope(True, frozenset(ids))
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        return TeamScope(False, frozenset())
    # The teams led by the caller's person record (one per user and organisation), joined in the
    # same query rather than looked up first: two queries however many teams.
    led = list(
        TeamManager.objects.filter(
            organisation=organisation, person__user_id=membership.user_id
        ).values_list("team_id", flat=True)
    )
    below = team_subtree_ids(organisation=organisation, team_ids=led) if led else []
    return TeamScope(False, frozenset(below))
