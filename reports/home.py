"""The reports figures of the organisation home page (``skillsmap.home``): a person's readiness,
the bus-factor risks of the teams a manager reads, and the organisation's gap.

Every figure is one the engine has already written (``GapScore``, ``TeamSkillCoverage``) read
through the selectors of the pages that show it in full, so the home page and those pages agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.models import Organisation
from accounts.views_base import Tenant
from reports.models import TeamSkillCoverage
from reports.selectors import RoleGapView, dashboard_gaps, matrix_team_ids, person_gap_view
from teams.models import Person

RISKS_SHOWN = 5
TEAMS_SHOWN = 3


def current_readiness(*, organisation: Organisation, person: Person) -> RoleGapView | None:
    """The person's readiness for their current role, with its missing skills heaviest first (the
    person gap page's current card); ``None`` without a current role."""
    current = person_gap_view(organisation=organisation, person=person)["current"]
    return current if isinstance(current, RoleGapView) else None


@dataclass(frozen=True)
class TeamRisks:
    count: int
    shown: list[TeamSkillCoverage]


def team_risks(*, organisation: Organisation, tenant: Tenant) -> TeamRisks:
    """Bus-factor risks (one person or nobody at target) in the teams whose matrix the caller may
    read (a manager: the teams they lead and those below), fewest people at target first."""
    risks = TeamSkillCoverage.objects.filter(organisation=organisation, bus_factor_risk=True)
    team_ids = matrix_team_ids(organisation=organisation, tenant=tenant)
    if team_ids is not None:
        risks = risks.filter(team_id__in=team_ids)
    return TeamRisks(
        count=risks.count(),
        shown=list(
            risks.select_related("team", "skill").order_by("coverage", "team__name", "skill__name")[
                :RISKS_SHOWN
            ]
        ),
    )


@dataclass(frozen=True)
class OrganisationGap:
    average: Decimal | None  # people in their current role; None when nobody has one
    people: int
    worst_teams: list[dict[str, Any]]  # the dashboard's team rows with an average, worst first
    fresh: bool


def organisation_gap(*, organisation: Organisation) -> OrganisationGap:
    """The dashboard's figures in brief: the average current-role gap (the mean the dashboard's
    trend ends on, ``gaps.mean_gap`` over everyone) and its worst teams."""
    # The dashboard's own sums (one statement), not its risks and trends, nor a second read of
    # every current gap.
    figures = dashboard_gaps(organisation=organisation)
    return OrganisationGap(
        average=figures.overall,
        people=sum(role["people"] for role in figures.roles),
        worst_teams=[row for row in figures.teams.rows if row["avg_gap"] is not None][:TEAMS_SHOWN],
        fresh=organisation.results_are_fresh,
    )
