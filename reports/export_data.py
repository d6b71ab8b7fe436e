"""The gap report's team sheets, read set-based for the whole scope rather than team by team.

A team's sheet is its matrix as ``reports.selectors.team_matrix`` builds it without a lens or a
filter: the active people of the team and the teams below it × the (not archived) skills their
current roles require, by category and name; each cell the person's effective level, "n/a", or
blank when never rated; under the table the team's stored target, coverage and bus factor per
skill (``TeamSkillCoverage``), and per person their current role and stored gap (``GapScore``).
Built through the selector, each sheet cost a dozen queries and re-derived every member's levels
once per sheet that shows them (a person is on their team's sheet and on every sheet above it):
that was most of the export's time on a large organisation (BENCHMARKS.md, P5).

Here the organisation's structure is read once, in a fixed number of queries (team tree,
memberships, active people, current roles, requirements through the engine's
``requirements_load``, skills in matrix order); then levels, gap scores and coverage are read for
a batch of consecutive sheets at a time (about ``BATCH_PEOPLE`` people), so memory holds one
batch and never the organisation's ratings. The tree is walked by ``teams.hierarchy``, as the
selector does.

Levels. On PostgreSQL they come from the set-based recompute's table of effective levels
(``reports.sql.EFFECTIVE_SQL``, held to ``skills.levels`` by its property test), which holds each
rated (person, required skill) pair with the level its gap counts: the cell's level, except that
it counts "not applicable" as 0, which the sheet shows as "n/a". The pairs at 0 that have a "not
applicable" event (few) are therefore decided by ``skills.levels.effective_level`` itself, on
their events. No third statement of the rule. On other databases (SQLite: the demo, quick tests)
the levels come from ``skills.selectors.levels.effective_levels``, the loader the pages use.

A team whose members' roles require nothing shows the skills its people rated instead; such a
sheet (rare: nobody in it holds a role with requirements) is built by the selector itself.
"""

# The statements are assembled from constant parts and the models' table names; every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Field
from django.utils import timezone

from accounts.models import Organisation
from reports.inputs import requirements_load
from reports.models import GapScore, TeamSkillCoverage
from reports.selectors import Matrix, team_matrix
from reports.sql import EFFECTIVE_TABLE, effective_table_create
from roles.models import RoleAssignment
from skills.levels import MANAGER_SOURCES, REVIEW_SOURCES, RatingEvent, effective_level
from skills.models import Rating, Skill
from skills.selectors.levels import EVENT_FIELDS, effective_levels, rating_event, review_period
from skillsmap.core.rows import fetch_rows
from teams.hierarchy import children_of, team_pairs, walk_down
from teams.models import Person, Team, TeamMembership

# A batch of sheets is read together once it holds this many people (a sheet is never split).
BATCH_PEOPLE = 5000
NOT_APPLICABLE = "n/a"

MatrixValue = int | str  # a level, or NOT_APPLICABLE


class SheetColumn(NamedTuple):
    """A skill of a team's sheet, with the team's stored figures for it (``None``: none stored)."""

    name: str
    target: int | None
    coverage: int | None
    bus_factor_risk: bool | None


class SheetRow(NamedTuple):
    person: str
    role: str  # "" without a current role
    gap: Decimal | None  # the stored gap of the current role
    cells: list[tuple[int, MatrixValue]]  # (column index, value) by column; blanks left out


@dataclass(frozen=True)
class TeamMatrixSheet:
    team: Team
    columns: list[SheetColumn]
    rows: list[SheetRow]


def sheet_from_matrix(matrix: Matrix) -> TeamMatrixSheet:
    """The sheet of a matrix built by ``reports.selectors.team_matrix``: the export's form of it,
    and what the set-based path is held to (``tests/reports/test_export_data.py``)."""
    columns = [
        SheetColumn(
            c.skill.name,
            c.coverage.target if c.coverage else None,
            c.coverage.coverage if c.coverage else None,
            c.coverage.bus_factor_risk if c.coverage else None,
        )
        for c in matrix.columns
    ]
    rows = []
    for row in matrix.rows:
        cells: list[tuple[int, MatrixValue]] = []
        for index, cell in enumerate(row.cells):
            if cell.not_applicable:
                cells.append((index, NOT_APPLICABLE))
            elif cell.rated and cell.level is not None:
                cells.append((index, cell.level))
        # The stored gap (never a lens's, which this sheet has not).
        gap = row.gap.gap if row.gap is not None else None
        rows.append(
            SheetRow(
                row.person.name,
                row.role.name if row.role else "",
                Decimal(gap) if isinstance(gap, int | float) else gap,
                cells,
            )
        )
    return TeamMatrixSheet(matrix.team, columns, rows)


@dataclass(frozen=True)
class _Plan:
    """What one sheet shows before its levels are read."""

    team: Team
    people: list[int]  # active, in the sheet's order
    skills: list[int]  # columns, in the sheet's order; empty: the selector builds the sheet


class _Structure:
    """The organisation's teams, people, roles and skills, each read once."""

    def __init__(self, organisation: Organisation) -> None:
        self.children = children_of(team_pairs(organisation=organisation))
        self.members: dict[int, list[int]] = defaultdict(list)  # team → people (active or not)
        for team_id, person_id in (
            TeamMembership.objects.filter(organisation=organisation)
            .order_by()
            .values_list("team_id", "person_id")
        ):
            self.members[team_id].append(person_id)
        # A sheet lists its people by lower-cased name, as the selector does; ties (which the
        # selector leaves in whatever order the database returned) by name and id.
        self.names: dict[int, str] = {}
        self.rank: dict[int, int] = {}
        for rank, (person_id, name) in enumerate(
            Person.objects.filter(organisation=organisation, is_active=True)
            .order_by("name", "pk")
            .values_list("pk", "name")
        ):
            self.names[person_id] = name
            self.rank[person_id] = rank
        # The active people's current roles: their requirements are a sheet's columns.
        self.role: dict[int, tuple[int, str]] = {
            person_id: (role_id, role_name)
            for person_id, role_id, role_name in RoleAssignment.objects.filter(
                organisation=organisation,
                kind=RoleAssignment.Kind.CURRENT,
                person__is_active=True,
            ).values_list("person_id", "role_id", "role__name")
        }
        self.required: dict[int, set[int]] = {
            role_id: {r.skill_id for r in requirements}
            for role_id, requirements in requirements_load(organisation).items()
        }
        # The stored gap of each active person's current role.
        self.gaps: dict[int, Decimal] = dict(
            GapScore.objects.filter(
                organisation=organisation,
                kind=RoleAssignment.Kind.CURRENT,
                person__is_active=True,
            ).values_list("person_id", "gap")
        )
        # Columns by category and name, as the selector orders them: uncategorised skills last
        # on every database (where PostgreSQL sorts a NULL category name).
        self.skill_rank: dict[int, int] = {}
        self.skill_names: dict[int, str] = {}
        skills = list(
            Skill.objects.filter(organisation=organisation, is_archived=False)
            .order_by("category__name", "name", "pk")
            .values_list("pk", "name", "category_id")
        )
        skills.sort(key=lambda skill: skill[2] is None)  # stable: the rest keep their order
        for rank, (skill_id, name, _category) in enumerate(skills):
            self.skill_rank[skill_id] = rank
            self.skill_names[skill_id] = name

    def plan(self, team: Team) -> _Plan:
        members = {p for t in walk_down(self.children, [team.pk]) for p in self.members[t]}
        people = [p for p in members if p in self.names]
        required: set[int] = set()
        for person_id in people:
            if person_id in self.role:
                required |= self.required.get(self.role[person_id][0], set())
        rank = self.skill_rank
        skills = sorted((s for s in required if s in rank), key=lambda s: rank[s])
        people.sort(key=lambda p: (self.names[p].lower(), self.rank[p]))
        return _Plan(team, people, skills)


def team_matrix_sheets(
    *, organisation: Organisation, teams: Sequence[Team], now: datetime | None = None
) -> Iterator[TeamMatrixSheet]:
    """The sheet of each of ``teams``, in their order. On PostgreSQL, inside a transaction (the
    effective levels are a temporary table dropped at commit)."""
    if not teams:
        return
    structure = _Structure(organisation)
    now = now or timezone.now()
    with _level_reader(organisation, now=now) as levels_of:
        batch: list[_Plan] = []
        people = 0
        for team in teams:
            plan = structure.plan(team)
            if not plan.skills:
                yield from _read(organisation, structure, batch, levels_of)
                batch, people = [], 0
                yield sheet_from_matrix(team_matrix(organisation=organisation, team=team, now=now))
                continue
            batch.append(plan)
            people += len(plan.people)
            if people >= BATCH_PEOPLE:
                yield from _read(organisation, structure, batch, levels_of)
                batch, people = [], 0
        yield from _read(organisation, structure, batch, levels_of)


Levels = dict[int, list[tuple[int, MatrixValue]]]  # person → (skill, value) of each rated skill


# Reads the cells' values of a batch's people (ids) in its skills (ids).
LevelsOf = Callable[[set[int], set[int]], Levels]


def _read(
    organisation: Organisation,
    structure: _Structure,
    batch: list[_Plan],
    levels_of: LevelsOf,
) -> Iterator[TeamMatrixSheet]:
    """The batch's sheets: two queries for all of them (levels, coverage)."""
    if not batch:
        return
    person_ids = {p for plan in batch for p in plan.people}
    skill_ids = {s for plan in batch for s in plan.skills}
    levels = levels_of(person_ids, skill_ids) if person_ids else {}
    gaps = structure.gaps
    coverage: dict[tuple[int, int], tuple[int, int, bool]] = {
        (team_id, skill_id): (target, covered, risk)
        for team_id, skill_id, target, covered, risk in fetch_rows(
            TeamSkillCoverage.objects.filter(
                organisation=organisation, team_id__in=[plan.team.pk for plan in batch]
            ).values_list("team_id", "skill_id", "target", "coverage", "bus_factor_risk")
        )
    }
    names, unstored = structure.skill_names, (None, None, None)
    for plan in batch:
        team_id = plan.team.pk
        index = {skill_id: i for i, skill_id in enumerate(plan.skills)}
        columns = [
            SheetColumn(names[skill_id], *coverage.get((team_id, skill_id), unstored))
            for skill_id in plan.skills
        ]
        rows = []
        for person_id in plan.people:
            role = structure.role.get(person_id)
            cells = [
                (index[skill_id], value)
                for skill_id, value in levels.get(person_id, ())
                if skill_id in index
            ]
            cells.sort()
            rows.append(
                SheetRow(
                    structure.names[person_id],
                    role[1] if role else "",
                    gaps.get(person_id),
                    cells,
                )
            )
        yield TeamMatrixSheet(plan.team, columns, rows)


# --- Levels --------------------------------------------------------------------------------------


class _PythonLevels:
    """Through the pages' loader and the rule in Python: any database."""

    def __init__(self, organisation: Organisation, now: datetime) -> None:
        self.organisation = organisation
        self.now = now

    def __call__(self, person_ids: set[int], skill_ids: set[int]) -> Levels:
        levels: Levels = defaultdict(list)
        for (person_id, skill_id), eff in effective_levels(
            organisation=self.organisation, person_ids=person_ids, skill_ids=skill_ids, now=self.now
        ).items():
            if eff.not_applicable:
                levels[person_id].append((skill_id, NOT_APPLICABLE))
            elif eff.rated_at is not None and eff.level is not None:
                levels[person_id].append((skill_id, eff.level))
        return levels


class _TableLevels:
    """From the set-based recompute's table of effective levels (PostgreSQL)."""

    def __init__(self, not_applicable: set[tuple[int, int]]) -> None:
        self.not_applicable = not_applicable
        self.not_applicable_people = {person_id for person_id, _ in not_applicable}

    def __call__(self, person_ids: set[int], skill_ids: set[int]) -> Levels:
        levels: Levels = {}
        with connection.cursor() as cursor:
            # A row per person: a fraction of the rows to convert.
            cursor.execute(
                f"SELECT person_id, array_agg(skill_id), array_agg(level) FROM {EFFECTIVE_TABLE} "
                "WHERE person_id = ANY(%s::bigint[]) AND skill_id = ANY(%s::bigint[]) "
                "GROUP BY person_id",
                [_array(person_ids), _array(skill_ids)],
            )
            na, na_people = self.not_applicable, self.not_applicable_people
            for person_id, skills, values in cursor.fetchall():
                pairs: list[tuple[int, MatrixValue]] = list(zip(skills, values, strict=True))
                if person_id in na_people:
                    pairs = [(s, NOT_APPLICABLE if (person_id, s) in na else v) for s, v in pairs]
                levels[person_id] = pairs
        return levels


def _array(ids: Iterable[int]) -> str:
    """A PostgreSQL array literal of ids (a join in C; psycopg adapts a list element by element)."""
    return "{" + ",".join(map(str, ids)) + "}"


def _column(field: str) -> str:
    model_field = Rating._meta.pk if field == "pk" else Rating._meta.get_field(field)
    assert isinstance(model_field, Field) and model_field.column
    return model_field.column


# Every event of the pairs that the table puts at 0 and that have a "not applicable" event: the
# pairs whose cell may be "n/a" rather than 0, for the rule to decide. (Each step materialised:
# joined on the skill alone, the planner scanned every rating.)
_AMBIGUOUS_SQL = """
WITH not_applicable AS MATERIALIZED (
    SELECT DISTINCT person_id, skill_id FROM {rating}
    WHERE organisation_id = %(org)s AND not_applicable
), ambiguous AS MATERIALIZED (
    SELECT n.person_id, n.skill_id
    FROM not_applicable n JOIN {effective} e USING (person_id, skill_id)
    WHERE e.level = 0
)
SELECT r.person_id, r.skill_id, {fields}
FROM ambiguous a
JOIN {rating} r ON r.organisation_id = %(org)s AND r.person_id = a.person_id
               AND r.skill_id = a.skill_id
"""


def levels_from_table() -> bool:
    """Whether the cells come from the recompute's table of effective levels (PostgreSQL)."""
    return connection.vendor == "postgresql"


@contextmanager
def _level_reader(organisation: Organisation, *, now: datetime) -> Iterator[LevelsOf]:
    if not levels_from_table():
        yield _PythonLevels(organisation, now)
        return
    assert connection.in_atomic_block, "the effective-level table lives in a transaction"
    params: dict[str, Any] = {
        "org": organisation.pk,
        "period": review_period(organisation),
        "manager": sorted(s.value for s in MANAGER_SOURCES),
        "review": sorted(s.value for s in REVIEW_SOURCES),
    }
    with connection.cursor() as cursor:
        # The recompute's own steps and planner settings (reports.sql.recompute_sql): a table of
        # this transaction, indexed for the batches' reads; the settings are put back after.
        previous = _set_local(cursor, {"jit": "off", "work_mem": "64MB"})
        effective_table_create(cursor, params=params)
        cursor.execute(
            _AMBIGUOUS_SQL.format(
                rating=Rating._meta.db_table,
                effective=EFFECTIVE_TABLE,
                fields=", ".join("r." + _column(f) for f in EVENT_FIELDS),
            ),
            params,
        )
        events: dict[tuple[int, int], list[RatingEvent]] = defaultdict(list)
        for person_id, skill_id, *fields in cursor.fetchall():
            events[(person_id, skill_id)].append(rating_event(*fields))
        _set_local(cursor, previous)
    period = review_period(organisation)
    not_applicable = {
        pair
        for pair, pair_events in events.items()
        if effective_level(pair_events, review_period=period, now=now).not_applicable
    }
    yield _TableLevels(not_applicable)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS " + EFFECTIVE_TABLE)


def _set_local(cursor: CursorWrapper, settings: dict[str, str]) -> dict[str, str]:
    """Set transaction-local settings; return what they were."""
    previous = {}
    for name, value in settings.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        row = cursor.fetchone()
        previous[name] = row[0] if row else ""
    return previous
