"""Trend snapshots: today's point of every person's and team's gap, kept for the charts."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.utils import timezone

from reports import gaps
from reports.models import GapScore, GapSnapshot, TeamSkillCoverage, TeamSnapshot
from roles.models import RoleAssignment
from skillsmap.core.tenancy import organisation_context
from teams.models import Team, TeamMembership

logger = logging.getLogger(__name__)


def _or_zero(average: Decimal | None) -> Decimal:
    """A team with no member in a current role is stored as 0."""
    return Decimal(0) if average is None else average


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
        members = TeamMembership.objects.filter(organisation_id=organisation_id).values_list(
            "team_id", "person_id"
        )
        current = {p: g for p, _, k, g in scores if k == RoleAssignment.Kind.CURRENT}
        team_gaps = gaps.team_current_gaps(members, current)
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
                    avg_gap=_or_zero(gaps.team_average_gap(team_gaps.get(t, []))),
                    bus_factor_risks=risks[t],
                )
                for t in team_ids
            ],
            update_conflicts=True,
            unique_fields=["organisation", "day", "team"],
            update_fields=["avg_gap", "bus_factor_risks"],
        )
    return len(scores)
