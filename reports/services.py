"""Keeping the materialised results (GapScore, TeamSkillCoverage, snapshots) fresh.

The pattern (see docs/tenancy.md, "Celery recomputation"):

- Every change of an input calls ``inputs_changed`` inside the change's transaction: it bumps the
  organisation's ``inputs_version`` and, once the transaction commits, enqueues at
  most one recomputation per organisation every few seconds (a burst of 500 ratings → a handful of
  tasks, not 500). If the broker is down the bump is still committed, so the periodic dispatcher
  finds the organisation behind and catches up.
- ``recompute_organisation`` rebuilds every result of one organisation from the current inputs and
  upserts it: running it twice, or again after a killed run, gives the same rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Organisation
from accounts.tenancy import organisation_context, tenant_cache_key
from reports import gaps
from reports.models import GapScore, GapSnapshot, TeamSkillCoverage, TeamSnapshot
from skills.levels import Effective, RatingEvent, Source, effective_level
from skills.models import Rating, RatingSource, RoleAssignment, RoleRequirement
from teams.models import Team, TeamMembership

logger = logging.getLogger(__name__)

# A burst of changes within this window shares one recomputation.
DEBOUNCE_SECONDS = 5
LOCK_SECONDS = 600


def inputs_changed(*, organisation: Organisation) -> None:
    """Record that ratings, requirements, assignments or teams changed; schedule a recompute."""
    Organisation.objects.filter(pk=organisation.pk).update(inputs_version=F("inputs_version") + 1)
    transaction.on_commit(lambda: recompute_enqueue(organisation_id=organisation.pk))


def recompute_enqueue(*, organisation_id: int, countdown: int = DEBOUNCE_SECONDS) -> bool:
    """Enqueue one recomputation unless one was enqueued in the last few seconds. Returns whether it
    enqueued. Never raises: it runs in ``on_commit``, after the change is saved, so an exception
    here would show the user an error page for a change that was in fact recorded. With Redis (cache
    and broker) down the committed ``inputs_version`` bump is the pending marker, and the periodic
    dispatcher catches up."""
    from reports.tasks import recompute_organisation_task

    queued = tenant_cache_key(organisation_id, "recompute", "queued")
    try:
        # In-process tasks (make demo, tests) run at once, so there is no queued task for a later
        # change to join: debouncing would leave that change's results stale.
        eager = recompute_organisation_task.app.conf.task_always_eager
        if not eager and not cache.add(queued, 1, DEBOUNCE_SECONDS):
            return False
        # No publish retries: the caller is a web request, and the dispatcher is the retry.
        recompute_organisation_task.apply_async(
            kwargs={"organisation_id": organisation_id}, countdown=countdown, retry=False
        )
    except Exception:
        logger.warning(
            "could not enqueue recompute for organisation %s; the dispatcher will catch up",
            organisation_id,
            exc_info=True,
        )
        # The cache may be as unreachable as the broker; the marker expires by itself anyway.
        with contextlib.suppress(Exception):
            cache.delete(queued)
        return False
    return True


def _lock_acquire(key: str) -> bool:
    """Take the per-organisation recompute lock without waiting. On PostgreSQL it is a session
    advisory lock: a worker killed mid-run loses its connection and with it the lock, so the rerun
    (``acks_late``) can start at once. A cache key would outlive the killed worker and refuse every
    rerun for ``LOCK_SECONDS``. Elsewhere (SQLite, tasks run in-process) the cache serves."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
            return bool(cursor.fetchone()[0])
    return bool(cache.add(key, 1, LOCK_SECONDS))


def _lock_release(key: str) -> None:
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        except DatabaseError:  # the connection is gone, and the lock went with it
            logger.warning("could not release %s; its connection is gone", key, exc_info=True)
        return
    cache.delete(key)


def _team_descendants(teams: Iterable[tuple[int, int | None]]) -> dict[int, set[int]]:
    """Each team with itself and every team below it (cycles are ignored)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    ids = []
    for team_id, parent_id in teams:
        children[parent_id].append(team_id)
        ids.append(team_id)
    result = {}
    for team_id in ids:
        seen, stack = set(), [team_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(children.get(current, []))
        result[team_id] = seen
    return result


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


def _requirements(
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
    requirements = _requirements(organisation)
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


# The columns of the materialised rows, in the order the row builders below produce them.
GAP_FIELDS = (
    "person_id",
    "role_id",
    "kind",
    "gap",
    "readiness",
    "met",
    "total",
    "essential_alert",
    "missing",
    "computed_at",
    "inputs_version",
)
COVERAGE_FIELDS = (
    "team_id",
    "skill_id",
    "target",
    "coverage",
    "required_by",
    "avg_shortfall",
    "bus_factor_risk",
    "covered_by",
    "computed_at",
    "inputs_version",
)


def _gap_row(
    person_id: int,
    role_id: int,
    kind: str,
    requirements: list[gaps.Requirement],
    levels: dict[int, int],
    stamp: tuple[datetime, int],
) -> tuple[Any, ...]:
    result = gaps.person_gap(requirements, levels)
    missing = [
        {
            "skill": r.requirement.skill_id,
            "target": r.requirement.target,
            "level": r.level,
            "shortfall": r.shortfall,
            "weight": r.requirement.weight,
            "essential": r.requirement.essential,
        }
        for r in result.missing
    ]
    return (
        person_id,
        role_id,
        kind,
        Decimal(str(result.gap)),
        Decimal(str(result.readiness)),
        result.met,
        result.total,
        result.essential_alert,
        missing,
        *stamp,
    )


def _coverage_rows(
    team_id: int, members: list[gaps.Member], stamp: tuple[datetime, int]
) -> list[tuple[Any, ...]]:
    return [
        (
            team_id,
            skill_id,
            c.target,
            c.coverage,
            c.required_by,
            Decimal(str(c.avg_shortfall)),
            c.bus_factor_risk,
            list(c.covered_by),
            *stamp,
        )
        for skill_id, c in gaps.team_coverage(members).items()
    ]


def recompute_organisation(*, organisation_id: int) -> bool:
    """Rebuild an organisation's gap scores and team coverage. Holds a per-organisation lock so
    runs never overlap; returns False when another run holds it."""
    lock = tenant_cache_key(organisation_id, "recompute", "lock")
    if not _lock_acquire(lock):
        return False
    try:
        with organisation_context(organisation_id):
            # Read the version first: a change committed while we compute bumps it again, and the
            # dispatcher will see this run's result as behind.
            organisation = Organisation.objects.get(pk=organisation_id)
            version = organisation.inputs_version
            now = timezone.now()
            stamp = (now, version)
            inputs = load_inputs(organisation, required_only=True)

            scores = [
                _gap_row(
                    person_id,
                    role_id,
                    kind,
                    inputs.requirements.get(role_id, []),
                    inputs.levels.get(person_id, {}),
                    stamp,
                )
                for person_id, role_id, kind in inputs.assignments
            ]
            _write_rows(GapScore, GAP_FIELDS, scores, organisation_id=organisation_id)

            # One Member per person, shared by every team they count in (their own and the ones
            # above it), and each team's people gathered once rather than by a scan per team.
            current_role = inputs.current_role
            people_of: dict[int, set[int]] = defaultdict(set)
            for team_id, person_id in inputs.memberships:
                people_of[team_id].add(person_id)
            member_of: dict[int, gaps.Member] = {}
            coverage_rows = []
            for team_id, subtree in _team_descendants(inputs.teams).items():
                people = sorted(set().union(*(people_of.get(t, ()) for t in subtree)))
                members = []
                for p in people:
                    if p not in member_of:
                        member_of[p] = gaps.Member(
                            person_id=p,
                            requirements=tuple(
                                inputs.requirements.get(current_role.get(p, -1), ())
                            ),
                            levels=inputs.levels.get(p, {}),
                        )
                    members.append(member_of[p])
                coverage_rows.extend(_coverage_rows(team_id, members, stamp))
            _write_rows(
                TeamSkillCoverage, COVERAGE_FIELDS, coverage_rows, organisation_id=organisation_id
            )
            # Rows this run did not produce (an assignment removed, a skill no longer required)
            # are older than it: delete them. Rows written after ``now`` by a concurrent
            # incremental update are newer and stay.
            for model in (GapScore, TeamSkillCoverage):
                model.objects.filter(organisation_id=organisation_id, computed_at__lt=now).delete()
            Organisation.objects.filter(pk=organisation_id).update(
                computed_version=version, computed_at=now
            )
        return True
    finally:
        _lock_release(lock)


# A rating change touching at most this many people is applied incrementally (recompute_person);
# a bigger one (an import) waits for the full recompute.
INCREMENTAL_MAX_PEOPLE = 20


def ratings_changed(
    *, organisation: Organisation, person_ids: Iterable[int], skill_ids: Iterable[int]
) -> None:
    """Ratings of these people in these skills changed; call inside the change's transaction.

    A few people (a self rating, a manager validation): their gap scores and the coverage of
    those skills in their teams are rebuilt right here (``recompute_person``), so the response
    that saved the rating already reads fresh figures. If the organisation's results were fresh
    before the change they are fresh after it, and ``computed_version`` follows; otherwise a full
    recompute is enqueued as for any change. An import of many people goes the full way at once.
    """
    person_ids, skill_ids = set(person_ids), set(skill_ids)
    if not person_ids or len(person_ids) > INCREMENTAL_MAX_PEOPLE:
        inputs_changed(organisation=organisation)
        return
    # The row lock queues concurrent changes of this organisation here, so each incremental
    # update reads the ratings the one before it committed.
    inputs_version, computed_version = (
        Organisation.objects.select_for_update()
        .filter(pk=organisation.pk)
        .values_list("inputs_version", "computed_version")
        .get()
    )
    version = inputs_version + 1
    Organisation.objects.filter(pk=organisation.pk).update(inputs_version=version)
    # Already inside the change's organisation context and transaction (every rating service
    # runs in one): no nested context, whose savepoint and settings cost four round trips.
    # A rating changes figures, never which rows exist (those follow assignments, memberships
    # and requirements), so there is nothing to prune.
    stamp = (timezone.now(), version)
    for person_id in sorted(person_ids):
        _person_rows_rebuild(
            organisation, person_id=person_id, skill_ids=skill_ids, stamp=stamp, prune=False
        )
    if computed_version >= inputs_version:
        Organisation.objects.filter(pk=organisation.pk).update(
            computed_version=version, computed_at=timezone.now()
        )
    else:  # other changes are still waiting for a full recompute: let it run
        transaction.on_commit(lambda: recompute_enqueue(organisation_id=organisation.pk))


def recompute_person(
    *,
    organisation_id: int,
    person_id: int,
    skill_ids: Iterable[int] | None = None,
    version: int | None = None,
) -> None:
    """Make the results one person's ratings feed fresh, as a full recompute would write them:
    their gap scores in every role, and the coverage of ``skill_ids`` (default: every skill the
    teams require) in each team they count in — their own teams and every team above them. Other
    rows are left alone. A few queries however large the organisation; the largest reads the
    levels of the people of those teams in those skills.

    ``version`` is the inputs version the rows record (default: the organisation's current one).
    """
    with organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        stamp = (timezone.now(), organisation.inputs_version if version is None else version)
        _person_rows_rebuild(
            organisation,
            person_id=person_id,
            skill_ids=None if skill_ids is None else set(skill_ids),
            stamp=stamp,
            prune=True,
        )


def _person_rows_rebuild(
    organisation: Organisation,
    *,
    person_id: int,
    skill_ids: set[int] | None,
    stamp: tuple[datetime, int],
    prune: bool,
) -> None:
    """``recompute_person`` inside the organisation's context; ``prune`` also deletes the rows
    that should no longer exist (an assignment ended, someone left)."""
    organisation_id = organisation.pk
    now = stamp[0]
    wanted = skill_ids

    # The teams they count in: their own and every team above (a team's figures include its
    # sub-teams), whether or not they are still active (someone who left stops covering).
    own_teams = set(
        TeamMembership.objects.filter(organisation=organisation, person_id=person_id).values_list(
            "team_id", flat=True
        )
    )
    affected: dict[int, set[int]] = {}
    if own_teams:
        subtrees = _team_descendants(
            Team.objects.filter(organisation=organisation).values_list("id", "parent_id")
        )
        affected = {t: sub for t, sub in subtrees.items() if sub & own_teams}
    people_of: dict[int, set[int]] = defaultdict(set)
    if affected:
        for team_id, member_id in TeamMembership.objects.filter(
            organisation=organisation,
            team_id__in=set().union(*affected.values()),
            person__is_active=True,
        ).values_list("team_id", "person_id"):
            people_of[team_id].add(member_id)
    members_all = set().union(*people_of.values()) if people_of else set()

    # One read of the roles of the person (all kinds) and of the members (current), one of their
    # requirements. Someone who has left holds no scores: the join leaves them out.
    assignments, current = [], {}
    for holder, role_id, kind in RoleAssignment.objects.filter(
        organisation=organisation, person_id__in=members_all | {person_id}, person__is_active=True
    ).values_list("person_id", "role_id", "kind"):
        if holder == person_id:
            assignments.append((role_id, kind))
        if kind == RoleAssignment.Kind.CURRENT and holder in members_all:
            current[holder] = role_id
    requirements = _requirements(
        organisation, role_ids={r for r, _ in assignments} | set(current.values())
    )

    # Their gap scores: every role, all of its requirements.
    own_skills = {r.skill_id for role_id, _ in assignments for r in requirements.get(role_id, ())}
    levels = {
        skill_id: eff.level_for_gap
        for (_, skill_id), eff in latest_effective_levels(
            organisation=organisation, person_ids=[person_id], skill_ids=own_skills
        ).items()
    }
    scores = [
        _gap_row(person_id, role_id, kind, requirements.get(role_id, []), levels, stamp)
        for role_id, kind in assignments
    ]
    _write_rows(GapScore, GAP_FIELDS, scores, organisation_id=organisation_id)
    if prune:
        GapScore.objects.filter(
            organisation=organisation, person_id=person_id, computed_at__lt=now
        ).delete()
    if not affected:
        return

    # The coverage of ``wanted`` (default: every required skill) in those teams.
    team_requirements = {
        role_id: [
            r for r in requirements.get(role_id, ()) if wanted is None or r.skill_id in wanted
        ]
        for role_id in set(current.values())
    }
    required = {r.skill_id for rs in team_requirements.values() for r in rs}
    member_levels: dict[int, dict[int, int]] = defaultdict(dict)
    for (member_id, skill_id), eff in latest_effective_levels(
        organisation=organisation, person_ids=members_all, skill_ids=required
    ).items():
        member_levels[member_id][skill_id] = eff.level_for_gap
    coverage_rows = []
    for team_id, subtree in affected.items():
        people = sorted(set().union(*(people_of.get(t, ()) for t in subtree)))
        members = [
            gaps.Member(
                person_id=p,
                requirements=tuple(team_requirements.get(current.get(p, -1), ())),
                levels=member_levels.get(p, {}),
            )
            for p in people
        ]
        coverage_rows.extend(_coverage_rows(team_id, members, stamp))
    _write_rows(TeamSkillCoverage, COVERAGE_FIELDS, coverage_rows, organisation_id=organisation_id)
    if not prune:
        return
    # A skill no member's role requires any more loses its row in these teams.
    stale = TeamSkillCoverage.objects.filter(
        organisation=organisation, team_id__in=affected, computed_at__lt=now
    )
    if wanted is not None:
        stale = stale.filter(skill_id__in=wanted)
    stale.delete()


# Natural keys of the materialised tables (their unique constraints).
_UNIQUE = {
    GapScore: ("organisation_id", "person_id", "role_id", "kind"),
    TeamSkillCoverage: ("organisation_id", "team_id", "skill_id"),
}
WRITE_BATCH = 5000


def _write_rows(
    model: type[GapScore] | type[TeamSkillCoverage],
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    organisation_id: int,
) -> None:
    """Insert or update ``rows`` (tuples in ``fields`` order) on their natural key.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`` per batch of
    columns: building 65,000 model instances and their SQL cost more than computing the figures
    (see BENCHMARKS.md, P1). Elsewhere ``bulk_create`` with the same conflict handling."""
    if not rows:
        return
    unique = _UNIQUE[model]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [
                model(organisation_id=organisation_id, **dict(zip(fields, r, strict=True)))
                for r in rows
            ],
            update_conflicts=True,
            unique_fields=[u.removesuffix("_id") for u in unique],
            update_fields=[f.removesuffix("_id") for f in fields if f not in unique],
            batch_size=1000,
        )
        return
    meta = model._meta
    columns = [meta.get_field(f.removesuffix("_id")).column for f in fields]
    sources, json_columns = [], set()
    for i, f in enumerate(fields):
        db_type = meta.get_field(f.removesuffix("_id")).db_type(connection)
        if db_type == "jsonb":
            # One JSON document per batch: psycopg escapes a text[] of long JSON strings element
            # by element, which took longer than all the rest of the write.
            json_columns.add(i)
            sources.append(
                "(SELECT array_agg(e ORDER BY n) FROM jsonb_array_elements(%s::jsonb) "
                "WITH ORDINALITY AS j(e, n))"
            )
        else:
            sources.append(f"%s::{db_type}[]")
    updates = ", ".join(
        f"{c} = EXCLUDED.{c}" for f, c in zip(fields, columns, strict=True) if f not in unique
    )
    names = ", ".join(columns)
    sql = (
        f'INSERT INTO "{meta.db_table}" (organisation_id, {names}) '  # noqa: S608  (names from the model)
        f"SELECT %s, {names} FROM unnest({', '.join(sources)}) AS r({names}) "
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            arrays: list[Any] = [list(column) for column in zip(*batch, strict=True)]
            for i in json_columns:
                arrays[i] = json.dumps(arrays[i])
            cursor.execute(sql, [organisation_id, *arrays])


def snapshot_take(*, organisation_id: int, day: date | None = None) -> int:
    """Copy today's gap scores and team figures into the trend tables (idempotent per day)."""
    day = day or timezone.localdate()
    with organisation_context(organisation_id):
        scores = list(
            GapScore.objects.filter(organisation_id=organisation_id).values_list(
                "person_id", "role_id", "kind", "gap"
            )
        )
        GapSnapshot.objects.bulk_create(
            [
                GapSnapshot(
                    organisation_id=organisation_id, day=day, person_id=p, role_id=r, kind=k, gap=g
                )
                for p, r, k, g in scores
            ],
            update_conflicts=True,
            unique_fields=["organisation", "day", "person", "role", "kind"],
            update_fields=["gap"],
        )
        team_gaps: dict[int, list[Decimal]] = defaultdict(list)
        members = list(
            TeamMembership.objects.filter(organisation_id=organisation_id).values_list(
                "team_id", "person_id"
            )
        )
        current = {p: g for p, _, k, g in scores if k == RoleAssignment.Kind.CURRENT}
        for team_id, person_id in members:
            if person_id in current:
                team_gaps[team_id].append(current[person_id])
        risks: dict[int, int] = defaultdict(int)
        for team_id in TeamSkillCoverage.objects.filter(
            organisation_id=organisation_id, bus_factor_risk=True
        ).values_list("team_id", flat=True):
            risks[team_id] += 1
        team_ids = Team.objects.filter(organisation_id=organisation_id).values_list("id", flat=True)
        TeamSnapshot.objects.bulk_create(
            [
                TeamSnapshot(
                    organisation_id=organisation_id,
                    day=day,
                    team_id=t,
                    avg_gap=(sum(team_gaps[t]) / len(team_gaps[t])) if team_gaps[t] else Decimal(0),
                    bus_factor_risks=risks[t],
                )
                for t in team_ids
            ],
            update_conflicts=True,
            unique_fields=["organisation", "day", "team"],
            update_fields=["avg_gap", "bus_factor_risks"],
        )
    return len(scores)


def organisations_behind() -> list[int]:
    """Organisations whose results lag their inputs: the dispatcher's work list."""
    return list(
        Organisation.objects.filter(computed_version__lt=F("inputs_version"))
        .order_by("computed_at")
        .values_list("pk", flat=True)
    )
