"""The incremental path: a rating change of a few people rebuilds just their rows and those
skills' coverage in their teams, inside the change's own transaction."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organisation
from reports import freshness, gaps
from reports.inputs import requirements_load
from reports.members import levels_for_gap, members_build
from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import incremental_lock
from reports.rows import COVERAGE_FIELDS, GAP_FIELDS, gap_row, team_coverage_rows
from reports.sql import person_rows_sql
from reports.writer import write_rows
from roles.models import RoleAssignment
from skills.selectors.levels import effective_levels, review_period
from skillsmap.core.tenancy import organisation_context
from teams.hierarchy import team_descendants
from teams.models import Team, TeamMembership

logger = logging.getLogger(__name__)


# A rating change touching at most this many people is applied incrementally (recompute_person);
# a bigger one (an import) waits for the full recompute.
INCREMENTAL_MAX_PEOPLE = 20


_ORGANISATION = Organisation._meta.db_table
_VERSION_BUMP_SQL = (
    f"UPDATE {_ORGANISATION} SET inputs_version = inputs_version + 1, "  # noqa: S608 (constants)
    "computed_version = CASE WHEN computed_version >= inputs_version "
    "THEN inputs_version + 1 ELSE computed_version END, "
    "computed_at = CASE WHEN computed_version >= inputs_version THEN %(now)s ELSE computed_at END "
    "WHERE id = %(org)s RETURNING inputs_version, computed_version"
)


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
        freshness.inputs_changed(organisation=organisation)
        return
    # Never alongside a full recompute (they deadlocked on each other's rows): wait for a running
    # one, or make one that starts now report busy.
    incremental_lock(organisation.pk)
    # One statement bumps the inputs version and, if the results were fresh before the change,
    # the computed version with it: the rows written below make them fresh again, in this same
    # transaction. Its row lock queues concurrent changes of this organisation here, so each
    # incremental update reads the ratings the one before it committed.
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_BUMP_SQL, {"now": now, "org": organisation.pk})
        version, computed_version = cursor.fetchone()
    fresh = computed_version == version
    # Already inside the change's organisation context and transaction (every rating service
    # runs in one): no nested context, whose savepoint and settings cost four round trips.
    # A rating changes figures, never which rows exist (those follow assignments, memberships
    # and requirements), so there is nothing to prune.
    stamp = (now, version)
    for person_id in sorted(person_ids):
        if connection.vendor == "postgresql":
            # Two statements over the rows that matter, where the Python path below reads the
            # members and levels of the person's teams into the worker first (BENCHMARKS.md, P2).
            # Held to the same rows as the full recompute by a property test.
            person_rows_sql(
                organisation_id=organisation.pk,
                person_id=person_id,
                skill_ids=sorted(skill_ids),
                now=stamp[0],
                version=version,
                review_period=review_period(organisation),
            )
            continue
        _person_rows_rebuild(
            organisation, person_id=person_id, skill_ids=skill_ids, stamp=stamp, prune=False
        )
    if not fresh:  # other changes are still waiting for a full recompute: let it run
        transaction.on_commit(lambda: freshness.recompute_enqueue(organisation_id=organisation.pk))


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
        subtrees = team_descendants(
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
    requirements = requirements_load(
        organisation, role_ids={r for r, _ in assignments} | set(current.values())
    )

    # Their gap scores: every role, all of its requirements.
    own_skills = {r.skill_id for role_id, _ in assignments for r in requirements.get(role_id, ())}
    own_levels, _ = levels_for_gap(
        effective_levels(organisation=organisation, person_ids=[person_id], skill_ids=own_skills)
    )
    levels = own_levels.get(person_id, {})
    scores = [
        gap_row(person_id, role_id, kind, requirements.get(role_id, []), levels, stamp)
        for role_id, kind in assignments
    ]
    write_rows(GapScore, GAP_FIELDS, scores, organisation_id=organisation_id)
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
    member_levels, _ = levels_for_gap(
        effective_levels(organisation=organisation, person_ids=members_all, skill_ids=required)
    )

    def requirements_of(member_id: int) -> Sequence[gaps.Requirement]:
        return team_requirements.get(current.get(member_id, -1), ())

    coverage_rows = []
    for team_id, subtree in affected.items():
        people = sorted(set().union(*(people_of.get(t, ()) for t in subtree)))
        members = members_build(people, levels=member_levels, requirements_of=requirements_of)
        coverage_rows.extend(team_coverage_rows(team_id, members, stamp))
    write_rows(TeamSkillCoverage, COVERAGE_FIELDS, coverage_rows, organisation_id=organisation_id)
    if not prune:
        return
    # A skill no member's role requires any more loses its row in these teams.
    stale = TeamSkillCoverage.objects.filter(
        organisation=organisation, team_id__in=affected, computed_at__lt=now
    )
    if wanted is not None:
        stale = stale.filter(skill_id__in=wanted)
    stale.delete()
