"""The reference for P1: every gap score of an organisation computed by one hand-written
``INSERT … SELECT`` in PostgreSQL, with no Python in the loop.

It implements the formula of ``reports.gaps`` (docstring) and the effective-level rule of
``skills.levels`` independently of them, so that agreeing numbers check both:

- effective level: the latest self assessment (source ``self`` or ``import``) and the latest manager
  validation, each by ``(rated_at, id)``; the manager's level unless the self assessment is newer by
  more than the review period; "not applicable" and unrated count as 0;
- per requirement ``shortfall = max(0, target − level)``; ``gap = Σ w·shortfall / Σ w·t`` as a
  percentage rounded to 0.01 half to even (Python's ``round`` on the exactly representable values
  these weights give), 0 when ``Σ w·t`` is 0; ``met`` counts shortfalls of 0; the essential alert is
  any essential requirement 2 or more levels short;
- people who are inactive hold no scores; archived skills are not required.

The rows go to ``bench_reference_gap``, an ordinary table (no row-level security, same key as
``reports_gapscore``) that the benchmark creates in its own database; the inputs are read inside
``organisation_context`` like the application's own queries.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from accounts.models import Organisation
from reports.models import GapScore
from skills.selectors.ratings import review_period
from skillsmap.core.tenancy import organisation_context

TABLE = "bench_reference_gap"

CREATE = """
CREATE TABLE IF NOT EXISTS bench_reference_gap (
    organisation_id bigint NOT NULL,
    person_id bigint NOT NULL,
    role_id bigint NOT NULL,
    kind varchar(16) NOT NULL,
    gap numeric(5, 2) NOT NULL,
    readiness numeric(5, 2) NOT NULL,
    met integer NOT NULL,
    total integer NOT NULL,
    essential_alert boolean NOT NULL,
    PRIMARY KEY (organisation_id, person_id, role_id, kind)
)
"""

INSERT = """
INSERT INTO bench_reference_gap
    (organisation_id, person_id, role_id, kind, gap, readiness, met, total, essential_alert)
WITH latest_self AS (
    SELECT DISTINCT ON (person_id, skill_id) person_id, skill_id, level, not_applicable, rated_at
    FROM skills_rating
    WHERE organisation_id = %(org)s AND source <> 'manager'
    ORDER BY person_id, skill_id, rated_at DESC, id DESC
), latest_manager AS (
    SELECT DISTINCT ON (person_id, skill_id) person_id, skill_id, level, not_applicable, rated_at
    FROM skills_rating
    WHERE organisation_id = %(org)s AND source = 'manager'
    ORDER BY person_id, skill_id, rated_at DESC, id DESC
), effective AS (
    SELECT coalesce(s.person_id, m.person_id) AS person_id,
           coalesce(s.skill_id, m.skill_id) AS skill_id,
           CASE WHEN m.person_id IS NOT NULL
                     AND (s.person_id IS NULL OR s.rated_at - m.rated_at <= %(period)s)
                THEN CASE WHEN m.not_applicable THEN 0 ELSE m.level END
                ELSE CASE WHEN s.not_applicable THEN 0 ELSE s.level END
           END AS level
    FROM latest_self s
    FULL JOIN latest_manager m ON m.person_id = s.person_id AND m.skill_id = s.skill_id
), lines AS (
    SELECT a.person_id, a.role_id, a.kind, r.skill_id, r.target_level AS target, r.weight,
           r.importance, greatest(0, r.target_level - coalesce(e.level, 0)) AS shortfall
    FROM skills_roleassignment a
    JOIN teams_person p ON p.id = a.person_id AND p.is_active
    LEFT JOIN (
        skills_rolerequirement r JOIN skills_skill k ON k.id = r.skill_id AND NOT k.is_archived
    ) ON r.role_id = a.role_id
    LEFT JOIN effective e ON e.person_id = a.person_id AND e.skill_id = r.skill_id
    WHERE a.organisation_id = %(org)s
), sums AS (
    SELECT person_id, role_id, kind,
           coalesce(sum(weight * target), 0) AS den,
           coalesce(sum(weight * shortfall), 0) AS num,
           count(skill_id) FILTER (WHERE shortfall = 0) AS met,
           count(skill_id) AS total,
           coalesce(bool_or(importance = 'essential' AND shortfall >= 2), false) AS alert
    FROM lines
    GROUP BY person_id, role_id, kind
), hundredths AS (
    SELECT *, CASE WHEN den <= 0 THEN 0 ELSE 10000 * num / den END AS h FROM sums
), rounded AS (
    -- Half to even, as Python's round() does on these exactly representable values.
    SELECT *, (CASE WHEN h - floor(h) = 0.5 AND floor(h)::bigint %% 2 = 0 THEN floor(h)
                    ELSE round(h) END) / 100 AS gap
    FROM hundredths
)
SELECT %(org)s, person_id, role_id, kind, gap, 100 - gap, met, total, alert
FROM rounded
"""


def reference_prepare() -> None:
    with connection.cursor() as cursor:
        cursor.execute(CREATE)


def reference_compute(*, organisation: Organisation) -> int:
    """Replace the organisation's reference rows; returns how many were written."""
    with organisation_context(organisation), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM bench_reference_gap WHERE organisation_id = %s", [organisation.pk]
        )
        cursor.execute(
            INSERT,
            {"org": organisation.pk, "period": review_period(organisation)},
        )
        return cursor.rowcount


Row = tuple[int, int, str, Decimal, Decimal, int, int, bool]


def reference_rows(*, organisation: Organisation) -> dict[tuple[int, int, str], Row]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, role_id, kind, gap, readiness, met, total, essential_alert "
            "FROM bench_reference_gap WHERE organisation_id = %s",
            [organisation.pk],
        )
        return {(r[0], r[1], r[2]): tuple(r) for r in cursor.fetchall()}


def engine_rows(*, organisation: Organisation) -> dict[tuple[int, int, str], Row]:
    with organisation_context(organisation):
        rows = GapScore.objects.filter(organisation=organisation).values_list(
            "person_id", "role_id", "kind", "gap", "readiness", "met", "total", "essential_alert"
        )
        return {(r[0], r[1], r[2]): tuple(r) for r in rows}


def compare(*, organisation: Organisation) -> dict[str, object]:
    """The engine's materialised gap scores against the reference rows, field by field."""
    engine, reference = (
        engine_rows(organisation=organisation),
        reference_rows(organisation=organisation),
    )
    differing = sorted(k for k in engine.keys() & reference.keys() if engine[k] != reference[k])
    return {
        "rows": len(engine),
        "reference_rows": len(reference),
        "only_engine": len(engine.keys() - reference.keys()),
        "only_reference": len(reference.keys() - engine.keys()),
        "differing": len(differing),
        "examples": [
            {"engine": [str(v) for v in engine[k]], "reference": [str(v) for v in reference[k]]}
            for k in differing[:3]
        ],
        "identical": engine == reference,
    }
