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
from enum import Enum

from django.db.models import Exists, OuterRef, Value

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


class _Reach(Enum):
    NONE = "none"
    ALL = "all"
    LED = "led"


def _reach(membership: Membership | None) -> _Reach:
    """Whose team figures a member reads, before any team is looked at: HR and admins every
    team; a manager the teams they lead and those below; anyone else none. A member who happens
    to lead a team is not a manager and reads no team's matrix."""
    if membership is None or not membership.is_active:
        return _Reach.NONE
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return _Reach.ALL
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        return _Reach.NONE
    return _Reach.LED


def teams_visible_to(*, organisation: Organisation, membership: Membership | None) -> TeamScope:
    """The one rule for whose team figures a member reads (``_reach``); ``team_ids`` lists every
    team for HR and admins."""
    reach = _reach(membership)
    if reach is _Reach.NONE:
        return TeamScope(False, frozenset())
    if reach is _Reach.ALL:
        ids = Team.objects.filter(organisation=organisation).values_list("pk", flat=True)
        return TeamScope(True, frozenset(ids))
    assert membership is not None  # _reach says NONE without one
    # The teams led by the caller's person record (one per user and organisation), joined in the
    # same query rather than looked up first: two queries however many teams.
    led = list(
        TeamManager.objects.filter(
            organisation=organisation, person__user_id=membership.user_id
        ).values_list("team_id", flat=True)
    )
    below = team_subtree_ids(organisation=organisation, team_ids=led) if led else []
    return TeamScope(False, frozenset(below))


@dataclass(frozen=True)
class TeamTree:
    """Every team of an organisation as (id, parent id) pairs with its name, and the teams whose
    figures the caller reads (``scope``, by ``teams_visible_to``'s rule)."""

    pairs: list[tuple[int, int | None]]
    names: dict[int, str]
    scope: TeamScope

    def subtree(self, team_id: int) -> list[int]:
        """The team and every team below it, in walk order (as ``team_subtree_ids``)."""
        return walk_down(children_of(self.pairs), [team_id])


def team_tree_for(*, organisation: Organisation, membership: Membership | None) -> TeamTree:
    """The team tree and the caller's scope in it in one query, for a page that needs both (the
    team matrix): whether the caller leads each team is a column of the tree's own read."""
    reach = _reach(membership)
    led = (
        Exists(
            TeamManager.objects.filter(
                organisation=organisation,
                team_id=OuterRef("pk"),
                person__user_id=membership.user_id,
            )
        )
        if reach is _Reach.LED and membership is not None
        else Value(False)
    )
    rows = list(
        Team.objects.filter(organisation=organisation)
        .annotate(led=led)
        .values_list("pk", "parent_id", "name", "led")
        .order_by()
    )
    pairs: list[tuple[int, int | None]] = [(team_id, parent) for team_id, parent, _, _ in rows]
    names = {team_id: name for team_id, _, name, _ in rows}
    if reach is _Reach.ALL:
        scope = TeamScope(True, frozenset(names))
    elif reach is _Reach.LED:
        below = walk_down(children_of(pairs), [team_id for team_id, _, _, led in rows if led])
        scope = TeamScope(False, frozenset(below))
    else:
        scope = TeamScope(False, frozenset())
    return TeamTree(pairs, names, scope)
