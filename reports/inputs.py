"""Loading the gap engine's inputs: effective levels, role requirements and current roles, for a
whole organisation or a few people, and the engine's view of a team's members."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Organisation
from reports import gaps
from roles.models import RoleAssignment, RoleRequirement
from skills.levels import Effective, RatingEvent, Source, effective_level
from skills.models import Rating, RatingSource
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


_SOURCES = {source.value: source for source in Source}


def latest_effective_levels(
    *,
    organisation: Organisation,
    person_ids: Iterable[int] | None = None,
    skill_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> dict[tuple[int, int], Effective]:
    """(person id, skill id) → effective level, like ``skills.selectors.ratings.effective_levels``
    but for a whole organisation at once: the database keeps only the latest self assessment and
    the latest manager validation of each pair (by ``(rated_at, id)``), which is all the rule in
    ``skills.levels.effective_level`` reads, so Python sees two events per pair instead of the
    whole history. The rule itself is still applied by ``effective_level``, and only there.

    ``person_ids``/``skill_ids`` of ``None`` mean all of the organisation's."""
    events = Rating.objects.filter(organisation=organisation)
    for field, ids in (("person_id__in", person_ids), ("skill_id__in", skill_ids)):
        if ids is not None:
            ids = set(ids)
            if not ids:
                return {}
            events = events.filter(**{field: ids})
    is_manager = Case(
        When(source=RatingSource.MANAGER, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    events = events.annotate(
        latest=Window(
            RowNumber(),
            partition_by=[F("person_id"), F("skill_id"), is_manager],
            order_by=[F("rated_at").desc(), F("pk").desc()],
        )
    ).filter(latest=1)
    rows = events.order_by().values_list(
        "person_id", "skill_id", "level", "not_applicable", "source", "rated_at", "interest", "pk"
    )
    if connection.vendor == "postgresql":
        # psycopg already returns aware datetimes: skip the ORM's per-row converters, which cost
        # more than the query on a large organisation (BENCHMARKS.md, P1).
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    grouped: dict[tuple[int, int], list[RatingEvent]] = defaultdict(list)
    for person_id, skill_id, level, na, source, rated_at, interest, pk in rows:
        grouped[(person_id, skill_id)].append(
            RatingEvent(level, na, _SOURCES[source], rated_at, interest, pk)
        )
    period = timedelta(days=organisation.review_period_days)
    now = now or timezone.now()
    return {
        key: effective_level(group, review_period=period, now=now) for key, group in grouped.items()
    }


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
    teams = list(Team.objects.filter(organisation=organisation).values_list("id", "parent_id"))
    required = {r.skill_id for rs in requirements.values() for r in rs}
    effective = latest_effective_levels(
        organisation=organisation,
        skill_ids=required if required_only else None,
        person_ids=None if team_ids is None else {p for _, p in memberships},
    )
    active = {p for p, _, _ in assignments} | {p for _, p in memberships}
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    interests: dict[int, set[int]] = defaultdict(set)
    for (person_id, skill_id), eff in effective.items():
        if person_id not in active:
            continue
        levels[person_id][skill_id] = eff.level_for_gap
        if eff.interest:
            interests[person_id].add(skill_id)
    return Inputs(assignments, requirements, memberships, teams, levels, interests)


def team_members(*, team_ids: set[int], inputs: Inputs) -> list[gaps.Member]:
    """The engine's view of the people in these teams."""
    current_role = inputs.current_role
    people = sorted({p for t, p in inputs.memberships if t in team_ids})
    return [
        gaps.Member(
            person_id=p,
            requirements=tuple(inputs.requirements.get(current_role.get(p, -1), ())),
            levels=inputs.levels.get(p, {}),
            interests=frozenset(inputs.interests.get(p, ())),
        )
        for p in people
    ]
