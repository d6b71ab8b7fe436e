"""The full recompute on PostgreSQL, set-based: gap scores and team coverage computed and upserted
by two ``INSERT … SELECT … ON CONFLICT`` statements, with no row brought into Python. What both
read (effective levels, requirement lines, each team's people, each team's targets) is computed
once into temporary tables. A row whose figures did not change is not rewritten, and rows no
longer produced are deleted by what is produced (not by their age).

It is a second statement of two definitions, so it is held to them: the effective-level rule
(``skills.levels``) and the gap formula (``reports.gaps``, docstring). A property test over
randomly generated organisations (``tests/reports/test_sql_recompute.py``) proves that it writes
exactly the rows of the Python engine (``reports.recompute.recompute_python``), which SQLite runs.

What it restates, in SQL:

- effective level: per (person, skill) the latest self assessment (every source but
  ``MANAGER_SOURCES``) and the latest manager validation, each by ``(rated_at, id)``; the manager's
  level unless the self assessment is newer by more than the review period; "not applicable" and
  unrated count as 0. Reviews (``REVIEW_SOURCES``, "Mark as reviewed") are left out: they only
  date the effective rating (its staleness), never choose its level. Only skills some role
  requires are read;
- people who are inactive hold no scores and cover nothing; archived skills are not required;
- per assignment ``gap = Σ w·shortfall / Σ w·t`` in hundredths, half to even (``gaps.hundredths``),
  the missing list heaviest first (``PersonGap.missing``);
- per team (with every team below it) and skill its members' current roles require:
  ``gaps.team_coverage``.

The organisation's memory is PostgreSQL's, not the worker's: the worker holds no row.
"""

# The statements are assembled from constant parts and the models' table names; every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from reports.gaps import ESSENTIAL_ALERT_SHORTFALL
from reports.models import GapScore, TeamSkillCoverage
from roles.models import RoleAssignment, RoleRequirement
from skills.levels import MANAGER_SOURCES, REVIEW_SOURCES
from skills.models import Rating, Skill
from teams.models import Person, Team, TeamMembership

_TABLES = {
    "rating": Rating._meta.db_table,
    "skill": Skill._meta.db_table,
    "requirement": RoleRequirement._meta.db_table,
    "assignment": RoleAssignment._meta.db_table,
    "person": Person._meta.db_table,
    "team": Team._meta.db_table,
    "membership": TeamMembership._meta.db_table,
    "gapscore": GapScore._meta.db_table,
    "coverage": TeamSkillCoverage._meta.db_table,
}


# The requirements of skills not archived (``{skills}``: a filter on them, or nothing).
def _required(skills: str = "") -> str:
    return f"""
required AS MATERIALIZED (
    SELECT r.role_id, r.skill_id, r.target_level AS target, r.weight,
           r.importance = 'essential' AS essential
    FROM {{requirement}} r JOIN {{skill}} k ON k.id = r.skill_id AND NOT k.is_archived
    WHERE r.organisation_id = %(org)s{skills}
)"""


# Per (person, skill, by a manager or not) the latest rating, of the required skills (or of
# ``skills``); ``who`` narrows the people (the incremental path), or nothing.
def _latest(who: str = "", skills: str = "skill_id IN (SELECT skill_id FROM required)") -> str:
    return f"""
latest AS (
    SELECT DISTINCT ON (person_id, skill_id, source = ANY(%(manager)s))
           person_id, skill_id, source = ANY(%(manager)s) AS by_manager,
           CASE WHEN not_applicable THEN 0 ELSE coalesce(level, 0) END AS level, rated_at
    FROM {{rating}}
    WHERE organisation_id = %(org)s
      AND {skills}
      AND source <> ALL(%(review)s){who}
    ORDER BY person_id, skill_id, source = ANY(%(manager)s), rated_at DESC, id DESC
)"""


# The effective level for the gap of every rated (person, skill) pair ``latest`` holds.
_EFFECTIVE_SELECT = """
SELECT coalesce(s.person_id, m.person_id) AS person_id,
       coalesce(s.skill_id, m.skill_id) AS skill_id,
       CASE WHEN m.person_id IS NOT NULL
                 AND (s.person_id IS NULL OR s.rated_at - m.rated_at <= %(period)s)
            THEN m.level ELSE s.level END AS level
FROM (SELECT * FROM latest WHERE NOT by_manager) s
FULL JOIN (SELECT * FROM latest WHERE by_manager) m
       ON m.person_id = s.person_id AND m.skill_id = s.skill_id
"""

# The effective level for the gap of every rated (person, skill) pair among the required skills,
# computed once for both statements. A temporary table dropped at commit: it lives in the
# recompute's transaction only, which suits PgBouncer, and ANALYZE gives the planner its size.
EFFECTIVE_TABLE = "recompute_effective"
EFFECTIVE_SQL = (
    "CREATE TEMPORARY TABLE "
    + EFFECTIVE_TABLE
    + " ON COMMIT DROP AS WITH "
    + _required()
    + ", "
    + _latest()
    + _EFFECTIVE_SELECT
)


# Every (assignment, requirement) line of the active people ``who`` chooses (all of them, or
# fewer), with the person's effective level (from ``effective``) and shortfall: what the gap score
# of an assignment adds up, and (its current roles) what a team's coverage needs. An assignment
# whose role requires nothing has one line with no skill, so every assignment has a line.
def _lines_select(effective: str, who: str = "") -> str:
    return f"""
SELECT a.person_id, a.role_id, a.kind, r.skill_id, r.target, r.weight, r.essential,
       coalesce(e.level, 0) AS level,
       greatest(0, r.target - coalesce(e.level, 0)) AS shortfall
FROM {{assignment}} a
JOIN {{person}} p ON p.id = a.person_id AND p.is_active
LEFT JOIN required r ON r.role_id = a.role_id
LEFT JOIN {effective} e ON e.person_id = a.person_id AND e.skill_id = r.skill_id
WHERE a.organisation_id = %(org)s{who}
"""


# Computed once for both statements.
LINES_TABLE = "recompute_lines"
LINES_SQL = (
    "CREATE TEMPORARY TABLE "
    + LINES_TABLE
    + " ON COMMIT DROP AS WITH "
    + _required()
    + _lines_select(EFFECTIVE_TABLE)
)


# Each team that ``start`` lists (as ``team_id, team_id, ARRAY[team_id]``), with the active
# people of it and of every team below it. ``few``: ``start`` lists a handful of teams (the
# incremental path), so each one's members are looked up by index; the planner, misled by the
# recursion's estimate, would otherwise hash every membership of the organisation (11 ms on L).
# ``OFFSET 0`` keeps the lookup a subquery per team rather than a join it may reorder.
def _people_select(start: str, *, few: bool = False) -> str:
    members = (
        """CROSS JOIN LATERAL (
    SELECT m.person_id FROM {membership} m JOIN {person} p ON p.id = m.person_id AND p.is_active
    WHERE m.team_id = s.member_team AND m.organisation_id = %(org)s OFFSET 0
) m"""
        if few
        else """JOIN {membership} m ON m.team_id = s.member_team AND m.organisation_id = %(org)s
JOIN {person} p ON p.id = m.person_id AND p.is_active"""
    )
    return f"""
subtree (team_id, member_team, path) AS (
    {start}
    UNION ALL
    SELECT s.team_id, c.id, s.path || c.id
    FROM subtree s JOIN {{team}} c ON c.parent_id = s.member_team AND c.organisation_id = %(org)s
    WHERE c.id <> ALL (s.path)
)
SELECT DISTINCT s.team_id, m.person_id
FROM subtree s
{members}
"""


# Each team's active people, with the people of every team below it.
PEOPLE_TABLE = "recompute_people"
PEOPLE_SQL = (
    "CREATE TEMPORARY TABLE "
    + PEOPLE_TABLE
    + " ON COMMIT DROP AS WITH RECURSIVE "
    + _people_select("SELECT id, id, ARRAY[id] FROM {team} WHERE organisation_id = %(org)s")
)


# Per team and skill its members' current roles require: the highest target, how many require
# it and their summed shortfall. These (team, skill) pairs are the coverage rows.
def _targets_select(people: str, lines: str) -> str:
    return (
        "SELECT pe.team_id, l.skill_id, max(l.target) AS target, count(*) AS required_by,"
        f" sum(l.shortfall) AS shortfall_sum FROM {people} pe JOIN {lines} l"
        " ON l.person_id = pe.person_id AND l.kind = %(current)s AND l.skill_id IS NOT NULL"
        " GROUP BY pe.team_id, l.skill_id"
    )


TARGETS_TABLE = "recompute_targets"
TARGETS_SQL = (
    "CREATE TEMPORARY TABLE "
    + TARGETS_TABLE
    + " ON COMMIT DROP AS "
    + _targets_select(PEOPLE_TABLE, LINES_TABLE)
)

# Hundredths of a non-negative exact numeric, half to even (``gaps.hundredths``).
_HALF_EVEN = (
    "(CASE WHEN {h} - floor({h}) = 0.5 AND floor({h})::bigint %% 2 = 0 THEN floor({h}) "
    "ELSE round({h}) END) / 100"
)


def _changed_only(table: str, figures: tuple[str, ...]) -> str:
    """An upsert's ``SET`` of the figures and stamps, ``WHERE`` the figures differ from the
    row's."""
    ours = ", ".join(f"{table}.{f}" for f in figures)
    new = ", ".join(f"EXCLUDED.{f}" for f in figures)
    updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in (*figures, "computed_at", "inputs_version"))
    return f"{updates}\nWHERE ({ours}) IS DISTINCT FROM ({new})"


GAP_FIGURES = ("gap", "readiness", "met", "total", "essential_alert", "missing")
COVERAGE_FIGURES = (
    "target", "coverage", "required_by", "avg_shortfall", "bus_factor_risk", "covered_by"
)  # fmt: skip


# The gap score of every assignment ``lines`` holds, upserted. ``ctes``: what ``lines`` needs
# first (the incremental path's own), or nothing.
#
# A row whose figures are what they were is left as it is, stamps included: a full recompute of
# an organisation whose inputs barely moved writes only what moved (no rewrite of 80,000 rows, no
# dead tuples for autovacuum). So a row's stamp says when its figures last changed; the results as
# a whole are as of the organisation's ``computed_at``, which every recompute sets
# (``reports.selectors.results_as_of``).
def _gap_upsert(lines: str, ctes: str = "") -> str:
    return (
        f"""
INSERT INTO {{gapscore}} (organisation_id, person_id, role_id, kind, gap, readiness, met, total,
                        essential_alert, missing, computed_at, inputs_version)
WITH {ctes}sums AS (
    SELECT person_id, role_id, kind,
           coalesce(sum(weight * target), 0) AS den,
           coalesce(sum(weight * shortfall), 0) AS num,
           count(skill_id) FILTER (WHERE shortfall = 0) AS met,
           count(skill_id) AS total,
           coalesce(bool_or(essential AND shortfall >= %(alert)s), false) AS alert,
           -- json, cast once: building jsonb element by element costs twice as much.
           json_agg(
               json_build_object(
                   'skill', skill_id, 'target', target, 'level', level,
                   'shortfall', shortfall, 'weight', weight, 'essential', essential
               )
               ORDER BY weight * shortfall DESC, shortfall DESC, skill_id
           ) FILTER (WHERE shortfall > 0) AS missing
    FROM {lines}
    GROUP BY person_id, role_id, kind
), gaps AS (
    SELECT *, CASE WHEN den <= 0 THEN 0 ELSE """
        + _HALF_EVEN.format(h="(10000 * num / den)")
        + """ END AS gap
    FROM sums
)
SELECT %(org)s, person_id, role_id, kind, gap, 100 - gap, met, total, alert,
       coalesce(missing::jsonb, '[]'::jsonb), %(now)s, %(version)s
FROM gaps
ON CONFLICT (organisation_id, person_id, role_id, kind) DO UPDATE SET
"""
        + _changed_only("{gapscore}", GAP_FIGURES)
        + "\n"
    )


GAP_SQL = _gap_upsert(LINES_TABLE)

# Scores of assignments that are gone (or of people made inactive).
GAP_DELETE_SQL = (
    "DELETE FROM {gapscore} g WHERE g.organisation_id = %(org)s AND NOT EXISTS (SELECT 1 FROM "
    + LINES_TABLE
    + " l WHERE l.person_id = g.person_id AND l.role_id = g.role_id AND l.kind = g.kind)"
)


# The coverage row of every (team, skill) pair ``targets`` holds, from ``people`` and their
# levels in ``effective``, upserted. ``ctes``: what those need first, or nothing.
def _coverage_upsert(targets: str, people: str, effective: str, ctes: str = "") -> str:
    return (
        f"""
INSERT INTO {{coverage}} (organisation_id, team_id, skill_id, target, coverage, required_by,
                        avg_shortfall, bus_factor_risk, covered_by, computed_at, inputs_version)
WITH {ctes}covering AS (
    -- Unrated counts as 0, which meets only a target of 0: every member covers those.
    SELECT t.team_id, t.skill_id, pe.person_id
    FROM {targets} t JOIN {people} pe ON pe.team_id = t.team_id
    WHERE t.target <= 0
    UNION ALL
    -- Joined on the team's people first and then on their levels: a join of the targets and
    -- the levels on the skill alone multiplies every team by every rater.
    SELECT t.team_id, t.skill_id, pe.person_id
    FROM {targets} t JOIN {people} pe ON pe.team_id = t.team_id
    JOIN {effective} e ON e.person_id = pe.person_id AND e.skill_id = t.skill_id
    WHERE t.target > 0 AND e.level >= t.target
), covered AS (
    SELECT team_id, skill_id, count(*) AS n, jsonb_agg(person_id ORDER BY person_id) AS ids
    FROM covering GROUP BY team_id, skill_id
)
SELECT %(org)s, t.team_id, t.skill_id, t.target, coalesce(c.n, 0), t.required_by, """
        + _HALF_EVEN.format(h="(100 * t.shortfall_sum::numeric / t.required_by)")
        + f""", coalesce(c.n, 0) <= 1, coalesce(c.ids, '[]'::jsonb), %(now)s, %(version)s
FROM {targets} t LEFT JOIN covered c ON c.team_id = t.team_id AND c.skill_id = t.skill_id
ON CONFLICT (organisation_id, team_id, skill_id) DO UPDATE SET
"""
        + _changed_only("{coverage}", COVERAGE_FIGURES)
        + "\n"
    )


COVERAGE_SQL = _coverage_upsert(TARGETS_TABLE, PEOPLE_TABLE, EFFECTIVE_TABLE)

# Coverage of (team, skill) pairs no current role of the team's people requires any more.
COVERAGE_DELETE_SQL = (
    "DELETE FROM {coverage} c WHERE c.organisation_id = %(org)s AND NOT EXISTS (SELECT 1 FROM "
    + TARGETS_TABLE
    + " t WHERE t.team_id = c.team_id AND t.skill_id = c.skill_id)"
)

# The incremental path (``person_rows_sql``): the same statements over CTEs narrowed to one
# person, where the full recompute's temporary tables would cost more to create than the rows.
# Their gap scores, every role, all of its requirements:
PERSON_GAP_SQL = _gap_upsert(
    "lines",
    ctes=_required(
        " AND r.role_id IN (SELECT role_id FROM {assignment}"
        " WHERE organisation_id = %(org)s AND person_id = %(person)s)"
    )
    + ", "
    + _latest(" AND person_id = %(person)s")
    + ", effective AS ("
    + _EFFECTIVE_SELECT
    + "), lines AS ("
    + _lines_select("effective", " AND a.person_id = %(person)s")
    + "), ",
)
# The coverage of the skills changed, in each team they count in: their own teams, whether or
# not they are still active (someone who left stops covering), and every team above them (a
# team's figures include its sub-teams). ``UNION`` ends a cycle of parents.
PERSON_COVERAGE_SQL = _coverage_upsert(
    "targets",
    "people",
    "effective",
    ctes="""RECURSIVE up (team_id) AS (
    SELECT team_id FROM {membership} WHERE organisation_id = %(org)s AND person_id = %(person)s
    UNION
    SELECT t.parent_id FROM {team} t JOIN up ON t.id = up.team_id
    WHERE t.organisation_id = %(org)s AND t.parent_id IS NOT NULL
), people AS (WITH RECURSIVE """
    + _people_select("SELECT team_id, team_id, ARRAY[team_id] FROM up", few=True)
    + "), "
    + _required(" AND r.skill_id = ANY(%(skills)s)")
    + ", "
    # The people (a few hundred) as an array and the skills as given drive the (person, skill)
    # index; the recursion's estimate of thousands of people, and the skills twice (as given and
    # through ``required``), chose a scan of every rating of the skill (9 ms on XL).
    + _latest(
        " AND person_id = ANY(ARRAY(SELECT person_id FROM people))",
        skills="skill_id = ANY(%(skills)s)",
    )
    + ", effective AS ("
    + _EFFECTIVE_SELECT
    + "), lines AS ("
    + _lines_select(
        "effective",
        " AND a.kind = %(current)s AND a.person_id IN (SELECT person_id FROM people)",
    )
    + "), targets AS ("
    + _targets_select("people", "lines")
    + "), ",
)

_TEMPORARY = (EFFECTIVE_TABLE, LINES_TABLE, PEOPLE_TABLE, TARGETS_TABLE)


def effective_table_create(cursor: Any, *, params: dict[str, Any]) -> None:
    """Create ``EFFECTIVE_TABLE`` for the rest of the transaction: the effective level of every
    rated (person, skill) pair among the organisation's required skills. The recompute reads it,
    and so do the XLSX report's team sheets (``reports.export_data``). ``params`` holds ``org``,
    ``period``, ``manager`` and ``review`` as ``recompute_sql`` sets them."""
    # A second run in one transaction (tests, nested callers) finds the first one's table.
    cursor.execute("DROP TABLE IF EXISTS " + EFFECTIVE_TABLE)
    cursor.execute(EFFECTIVE_SQL.format(**_TABLES), params)
    cursor.execute("CREATE INDEX ON " + EFFECTIVE_TABLE + " (person_id, skill_id)")
    cursor.execute("ANALYZE " + EFFECTIVE_TABLE)


def _parameters(
    organisation_id: int, *, now: datetime, version: int, review_period: timedelta
) -> dict[str, Any]:
    return {
        "org": organisation_id,
        "period": review_period,
        "now": now,
        "version": version,
        "manager": sorted(s.value for s in MANAGER_SOURCES),
        "review": sorted(s.value for s in REVIEW_SOURCES),
        "alert": ESSENTIAL_ALERT_SHORTFALL,
        "current": RoleAssignment.Kind.CURRENT.value,
    }


def recompute_sql(
    *, organisation_id: int, now: datetime, version: int, review_period: timedelta
) -> None:
    """Upsert every gap score and team-coverage row of the organisation, stamped ``(now,
    version)``. Runs inside the caller's ``organisation_context``, so row-level security admits
    only this organisation's rows besides the explicit filters."""
    params = _parameters(organisation_id, now=now, version=version, review_period=review_period)
    with connection.cursor() as cursor:
        # All transaction-local, so they end with the recompute (and suit PgBouncer): sorts of a
        # large organisation fit in memory rather than spilling to disk, and JIT compilation
        # costs more than it saves on these statements (2 s of 24 s measured on L).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        # Whole-organisation joins are hash or merge joins. Right after a large import the
        # tables' statistics still describe them small, and a nested loop chosen on that
        # estimate ran for minutes (an organisation grown by 4,000 people, before autovacuum).
        cursor.execute("SET LOCAL enable_nestloop = off")
        # ANALYZE of the temporary tables below gives the planner their sizes; its default sample
        # (30,000 rows) cost 0.24 s on L, and row counts and a few common values need far fewer.
        cursor.execute("SET LOCAL default_statistics_target = 10")
        # A second run in one transaction (tests, nested callers) finds the first one's tables.
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_TEMPORARY))
        effective_table_create(cursor, params=params)
        # The planner's row counts of what follows come from these (a CTE's estimate was off by
        # four orders of magnitude and chose sorts of a hundred million rows).
        for table, sql in (
            (LINES_TABLE, LINES_SQL),
            (PEOPLE_TABLE, PEOPLE_SQL),
            (TARGETS_TABLE, TARGETS_SQL),
        ):
            cursor.execute(sql.format(**_TABLES), params)
            cursor.execute("ANALYZE " + table)
        for sql in (GAP_SQL, GAP_DELETE_SQL, COVERAGE_SQL, COVERAGE_DELETE_SQL):
            cursor.execute(sql.format(**_TABLES), params)
        cursor.execute("DROP TABLE " + ", ".join(_TEMPORARY))


def person_rows_sql(
    *,
    organisation_id: int,
    person_id: int,
    skill_ids: list[int],
    now: datetime,
    version: int,
    review_period: timedelta,
) -> None:
    """Upsert, stamped ``(now, version)``, what one person's ratings in ``skill_ids`` feed: their
    gap scores in every role, and the coverage of those skills in each team they count in,
    exactly as ``recompute_sql`` writes them. Two statements however large the organisation;
    no row is deleted (a rating changes figures, never which rows exist). Runs inside the
    caller's ``organisation_context`` and transaction."""
    params: dict[str, Any] = {
        **_parameters(organisation_id, now=now, version=version, review_period=review_period),
        "person": person_id,
        "skills": sorted(skill_ids),
    }
    with connection.cursor() as cursor:
        # The recursion's row estimates are far too high, and the cost they add up to passed
        # jit_above_cost: compiling the statement took 1.4 s of its 1.8 s. For the rest of the
        # transaction only (one web request's), where nothing gains from compilation either.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(PERSON_GAP_SQL.format(**_TABLES), params)
        cursor.execute(PERSON_COVERAGE_SQL.format(**_TABLES), params)
