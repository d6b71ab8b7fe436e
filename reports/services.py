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
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from accounts.tenancy import organisation_context, tenant_cache_key
from reports import gaps
from reports.models import GapScore, GapSnapshot, TeamSkillCoverage, TeamSnapshot
from skills.models import RoleAssignment, RoleRequirement
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

    @property
    def current_role(self) -> dict[int, int]:
        return {p: r for p, r, k in self.assignments if k == RoleAssignment.Kind.CURRENT}


def load_inputs(organisation: Organisation) -> Inputs:
    """Five queries, whatever the organisation's size."""
    from skills.selectors.ratings import effective_levels

    # People marked inactive have left: they neither hold gaps nor cover a team's skills.
    assignments = list(
        RoleAssignment.objects.filter(
            organisation=organisation, person__is_active=True
        ).values_list("person_id", "role_id", "kind")
    )
    requirements: dict[int, list[gaps.Requirement]] = defaultdict(list)
    for role_id, skill_id, target, weight, importance in RoleRequirement.objects.filter(
        organisation=organisation, skill__is_archived=False
    ).values_list("role_id", "skill_id", "target_level", "weight", "importance"):
        requirements[role_id].append(
            gaps.Requirement(skill_id, target, float(weight), importance == "essential")
        )
    memberships = list(
        TeamMembership.objects.filter(
            organisation=organisation, person__is_active=True
        ).values_list("team_id", "person_id")
    )
    teams = list(Team.objects.filter(organisation=organisation).values_list("id", "parent_id"))
    people = {p for p, _, _ in assignments} | {p for _, p in memberships}
    effective = effective_levels(organisation=organisation, person_ids=people)
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    interests: dict[int, set[int]] = defaultdict(set)
    for (person_id, skill_id), eff in effective.items():
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
            inputs = load_inputs(organisation)

            scores = []
            for person_id, role_id, kind in inputs.assignments:
                result = gaps.person_gap(
                    inputs.requirements.get(role_id, []), inputs.levels.get(person_id, {})
                )
                scores.append(
                    GapScore(
                        organisation=organisation,
                        person_id=person_id,
                        role_id=role_id,
                        kind=kind,
                        gap=Decimal(str(result.gap)),
                        readiness=Decimal(str(result.readiness)),
                        met=result.met,
                        total=result.total,
                        essential_alert=result.essential_alert,
                        missing=[
                            {
                                "skill": r.requirement.skill_id,
                                "target": r.requirement.target,
                                "level": r.level,
                                "shortfall": r.shortfall,
                                "weight": r.requirement.weight,
                                "essential": r.requirement.essential,
                            }
                            for r in result.missing
                        ],
                        computed_at=now,
                        inputs_version=version,
                    )
                )
            _upsert(
                GapScore,
                scores,
                organisation,
                unique=["organisation", "person", "role", "kind"],
                keys={(s.person_id, s.role_id, s.kind) for s in scores},
                key_fields=("person_id", "role_id", "kind"),
            )

            coverage_rows = []
            for team_id, subtree in _team_descendants(inputs.teams).items():
                members = team_members(team_ids=subtree, inputs=inputs)
                for skill_id, c in gaps.team_coverage(members).items():
                    coverage_rows.append(
                        TeamSkillCoverage(
                            organisation=organisation,
                            team_id=team_id,
                            skill_id=skill_id,
                            target=c.target,
                            coverage=c.coverage,
                            required_by=c.required_by,
                            avg_shortfall=Decimal(str(c.avg_shortfall)),
                            bus_factor_risk=c.bus_factor_risk,
                            covered_by=list(c.covered_by),
                            computed_at=now,
                            inputs_version=version,
                        )
                    )
            _upsert(
                TeamSkillCoverage,
                coverage_rows,
                organisation,
                unique=["organisation", "team", "skill"],
                keys={(c.team_id, c.skill_id) for c in coverage_rows},
                key_fields=("team_id", "skill_id"),
            )
            Organisation.objects.filter(pk=organisation_id).update(
                computed_version=version, computed_at=now
            )
        return True
    finally:
        _lock_release(lock)


def _upsert(model, rows, organisation, *, unique, keys, key_fields) -> None:
    """Insert or update ``rows`` on their natural key, then delete rows no longer produced."""
    update_fields = [
        f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in unique
    ]
    model.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=unique,
        update_fields=update_fields,
        batch_size=1000,
    )
    existing = model.objects.filter(organisation=organisation).values_list("pk", *key_fields)
    stale = [row[0] for row in existing if tuple(row[1:]) not in keys]
    if stale:
        model.objects.filter(organisation=organisation, pk__in=stale).delete()


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
