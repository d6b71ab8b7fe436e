"""Turning the engine's results into the rows of ``GapScore`` and ``TeamSkillCoverage``."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from reports import gaps

logger = logging.getLogger(__name__)


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


def gap_row(
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


def team_coverage_rows(
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
