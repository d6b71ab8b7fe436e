"""Loading the gap engine's inputs: effective levels (through ``skills.selectors.levels``, the one
loader), role requirements and current roles, for a whole organisation or a few people, and the
engine's view of a team's members (``reports.members``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from accounts.models import Organisation
from reports import gaps
from reports.members import levels_for_gap, members_build
from roles.models import RoleAssignment, RoleRequirement
from skills.selectors.levels import effective_levels
from teams.models import Team, TeamMembership

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inputs:
    """Everything the gap engine needs about one organisation, as plain data."""

    assignments: list[tuple[int, int, str]]  # person, role, kind
    requirements: dict[int, list[gaps.Requirement]]  # role → requirements
    memberships: list[tuple[int, int]]  # team, person
    teams: list[tuple[int, int | None]]  # team, parent
    levels: dict[int, dict[int, int]]  # person → skill → level for gaps
    interests: dict[int, set[int]]  # person → skills they want to grow in

    @cached_property
    def current_role(self) -> dict[int, int]:
        return {p: r for p, r, k in self.assignments if k == RoleAssignment.Kind.CURRENT}


def requirements_load(
    organisation: Organisation,
    *,
    role_ids: set[int] | None = None,
    skill_ids: set[int] | None = None,
) -> dict[int, list[gaps.Requirement]]:
    """Role → its requirements (of skills not archived), for these roles and skills (None: all)."""
    rows = RoleRequirement.objects.filter(organisation=organisation, skill__is_archived=False)
    if role_ids is not None:
        rows = rows.filter(role_id__in=role_ids)
    if skill_ids is not None:
        rows = rows.filter(skill_id__in=skill_ids)
    requirements: dict[int, list[gaps.Requirement]] = defaultdict(list)
    if (role_ids is not None and not role_ids) or (skill_ids is not None and not skill_ids):
        return requirements
    # A fixed order, so that the float sums of the gap are the same in full and incremental runs.
    for role_id, skill_id, target, weight, importance in rows.order_by(
        "role_id", "skill_id"
    ).values_list("role_id", "skill_id", "target_level", "weight", "importance"):
        requirements[role_id].append(
            gaps.Requirement(skill_id, target, float(weight), importance == "essential")
        )
    return requirements


def load_inputs(
    organisation: Organisation,
    *,
    required_only: bool = False,
    team_ids: Iterable[int] | None = None,
) -> Inputs:
    """Five queries, whatever the organisation's size. ``required_only`` loads levels only for
    skills some role requires (all the gap scores and team coverage read); pages that also show
    other skills (mentor pairs) load them all. ``team_ids`` narrows everything to the people of
    those teams: a team page must not read the whole organisation's ratings."""
    # People marked inactive have left: they neither hold gaps nor cover a team's skills.
    memberships_qs = TeamMembership.objects.filter(
        organisation=organisation, person__is_active=True
    )
    assignments_qs = RoleAssignment.objects.filter(
        organisation=organisation, person__is_active=True
    )
    if team_ids is not None:
        memberships_qs = memberships_qs.filter(team_id__in=set(team_ids))
        assignments_qs = assignments_qs.filter(person_id__in=memberships_qs.values("person_id"))
    assignments = list(assignments_qs.values_list("person_id", "role_id", "kind"))
    requirements = requirements_load(organisation)
    memberships = list(memberships_qs.values_list("team_id", "person_id"))
    teams: list[tuple[int, int | None]] = list(
        Team.objects.filter(organisation=organisation).values_list("id", "parent_id")
    )
    required = {r.skill_id for rs in requirements.values() for r in rs}
    effective = effective_levels(
        organisation=organisation,
        skill_ids=required if required_only else None,
        person_ids=None if team_ids is None else {p for _, p in memberships},
    )
    active = {p for p, _, _ in assignments} | {p for _, p in memberships}
    levels, interests = levels_for_gap(effective, people=active)
    return Inputs(assignments, requirements, memberships, teams, levels, interests)


def current_requirements(inputs: Inputs) -> Callable[[int], Sequence[gaps.Requirement]]:
    """Person → the requirements of their current role (none without one), for ``members_build``."""
    current_role, requirements = inputs.current_role, inputs.requirements

    def requirements_of(person_id: int) -> Sequence[gaps.Requirement]:
        return requirements.get(current_role.get(person_id, -1), ())

    return requirements_of


def team_members(*, team_ids: set[int], inputs: Inputs) -> list[gaps.Member]:
    """The engine's view of the people in these teams, with their interests (what-if)."""
    people = sorted({p for t, p in inputs.memberships if t in team_ids})
    return members_build(
        people,
        levels=inputs.levels,
        requirements_of=current_requirements(inputs),
        interests=inputs.interests,
    )
