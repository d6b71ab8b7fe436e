"""The full recompute: every result of one organisation rebuilt from the current inputs and
upserted, under a per-organisation lock; running it twice, or again after a killed run, gives the
same rows. Also the dispatcher's query of organisations whose results lag their inputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from reports import gaps
from reports.inputs import current_requirements, load_inputs
from reports.members import members_build
from reports.models import GapScore, TeamSkillCoverage
from reports.rows import COVERAGE_FIELDS, GAP_FIELDS, gap_row, team_coverage_rows
from reports.sql import recompute_sql
from reports.writer import write_rows
from skills.selectors.levels import review_period
from skillsmap.core.tenancy import organisation_context, tenant_cache_key
from teams.hierarchy import team_descendants

DEBOUNCE_SECONDS = 5
LOCK_SECONDS = 600


@contextmanager
def recompute_lock(organisation_id: int) -> Iterator[bool]:
    """The per-organisation recompute lock, taken without waiting; yields whether it was taken.

    On PostgreSQL a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``) held by the
    transaction the block runs in. It ends with that transaction, which suits PgBouncer's
    transaction pooling: a session-level lock would stay on a server connection that the pooler
    then hands to another client (who would find it already "held" by itself, and run alongside),
    or be released by the wrong client. A worker killed mid-run loses its transaction and with it
    the lock, so the rerun (``acks_late``) can start at once; a cache key would outlive the killed
    worker and refuse every rerun for ``LOCK_SECONDS``. Elsewhere (SQLite, tasks run in-process)
    the cache serves."""
    key = tenant_cache_key(organisation_id, "recompute", "lock")
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [key])
                taken = bool(cursor.fetchone()[0])
            yield taken
        return
    taken = bool(cache.add(key, 1, LOCK_SECONDS))
    try:
        yield taken
    finally:
        if taken:
            cache.delete(key)


def incremental_lock(organisation_id: int) -> None:
    """Hold, until the caller's transaction ends, the shared side of the recompute lock: an
    incremental update waits here while a full recompute runs, and a full recompute that starts
    while incremental updates are in flight finds the lock taken and reports "busy" (the
    dispatcher reruns it on its next cycle).

    Without it the two deadlocked (seen in CI): the incremental update locks the organisation row
    and then waits for a gap-score row the full recompute has upserted, while the full recompute
    waits for the organisation row to record its version. Taken before anything else, the lock
    keeps them from holding each other's rows. Elsewhere (SQLite) writes are serialised anyway."""
    if connection.vendor != "postgresql":
        return
    key = tenant_cache_key(organisation_id, "recompute", "lock")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", [key])


RecomputeOutcome = Literal["computed", "current", "busy"]


def recompute_organisation(*, organisation_id: int, only_if_behind: bool = False) -> bool:
    """Rebuild an organisation's gap scores and team coverage in one transaction, so pages read
    either the previous complete results or the new ones. Holds a per-organisation lock so runs
    never overlap; returns False when another run holds it."""
    outcome = recompute_organisation_outcome(
        organisation_id=organisation_id, only_if_behind=only_if_behind
    )
    return outcome != "busy"


def recompute_organisation_outcome(
    *, organisation_id: int, only_if_behind: bool = False
) -> RecomputeOutcome:
    """``recompute_organisation``, saying what happened. With ``only_if_behind`` (the dispatcher's
    tasks) an organisation whose results already match its inputs is left alone: two beat cycles
    in a row queue two tasks for a lagging organisation, and once the first has run the second
    has nothing to do. Nothing else skips, as the results also age with the clock (staleness)."""
    with recompute_lock(organisation_id) as taken:
        if not taken:
            return "busy"
        return (
            "computed" if _recompute(organisation_id, only_if_behind=only_if_behind) else "current"
        )


def _recompute(organisation_id: int, *, only_if_behind: bool = False) -> bool:
    with organisation_context(organisation_id):
        # Read the version first: a change committed while we compute bumps it again, and the
        # dispatcher will see this run's result as behind.
        organisation = Organisation.objects.get(pk=organisation_id)
        version = organisation.inputs_version
        if only_if_behind and organisation.computed_version >= version:
            return False
        now = timezone.now()
        if connection.vendor == "postgresql":
            # Set-based, in the database: the worker holds none of the organisation's rows
            # (BENCHMARKS.md, P1 and P1m). Proven equal to the Python engine by a property test.
            recompute_sql(
                organisation_id=organisation_id,
                now=now,
                version=version,
                review_period=review_period(organisation),
            )
            # It also deletes the rows it no longer produces, and leaves unchanged rows with
            # the stamp of their last change.
        else:
            recompute_python(organisation, now=now, version=version)
            # Every row this run produced carries ``now``: the ones it did not produce (an
            # assignment removed, a skill no longer required) are older. Delete them.
            for model in (GapScore, TeamSkillCoverage):
                model.objects.filter(organisation_id=organisation_id, computed_at__lt=now).delete()
        Organisation.objects.filter(pk=organisation_id).update(
            computed_version=version, computed_at=now
        )
    return True


def recompute_python(organisation: Organisation, *, now: datetime, version: int) -> None:
    """The gap engine's own recompute: inputs loaded into Python, the rule and the formula applied
    by ``skills.levels`` and ``reports.gaps``, the rows upserted. SQLite runs it; on PostgreSQL it
    is the definition ``reports.sql`` is tested against. Inside ``organisation_context``."""
    organisation_id = organisation.pk
    stamp = (now, version)
    inputs = load_inputs(organisation, required_only=True)
    scores = [
        gap_row(
            person_id,
            role_id,
            kind,
            inputs.requirements.get(role_id, []),
            inputs.levels.get(person_id, {}),
            stamp,
        )
        for person_id, role_id, kind in inputs.assignments
    ]
    write_rows(GapScore, GAP_FIELDS, scores, organisation_id=organisation_id)

    # One Member per person, shared by every team they count in (their own and the ones above
    # it), and each team's people gathered once rather than by a scan per team.
    requirements_of = current_requirements(inputs)
    people_of: dict[int, set[int]] = defaultdict(set)
    for team_id, person_id in inputs.memberships:
        people_of[team_id].add(person_id)
    member_of: dict[int, gaps.Member] = {}
    coverage_rows = []
    for team_id, subtree in team_descendants(inputs.teams).items():
        people = sorted(set().union(*(people_of.get(t, ()) for t in subtree)))
        members = members_build(
            people, levels=inputs.levels, requirements_of=requirements_of, cache=member_of
        )
        coverage_rows.extend(team_coverage_rows(team_id, members, stamp))
    write_rows(TeamSkillCoverage, COVERAGE_FIELDS, coverage_rows, organisation_id=organisation_id)


def organisations_behind() -> list[int]:
    """Organisations whose results lag their inputs: the dispatcher's work list."""
    return list(
        Organisation.objects.filter(computed_version__lt=F("inputs_version"))
        .order_by("computed_at")
        .values_list("pk", flat=True)
    )
