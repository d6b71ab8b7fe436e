from __future__ import annotations

from datetime import datetime

from django.db import models

from accounts.models import Organisation
from skillsmap.core.tenancy import TenantModel


def results_as_of(computed_at: datetime, organisation: Organisation) -> datetime:
    """When a stored row's figures were last confirmed: its own stamp, which says when they last
    changed (the full recompute on PostgreSQL does not rewrite a row whose figures stand,
    ``reports.sql``), or the organisation's last catch-up (``Organisation.computed_at``: all of
    its results were current then), whichever is later."""
    confirmed = organisation.computed_at
    return confirmed if confirmed is not None and confirmed > computed_at else computed_at


class GapScore(TenantModel):
    """A person's gap against one of their roles (current or target), as computed by
    ``reports.gaps.person_gap``."""

    # No single-column foreign-key constraints here or on TeamSkillCoverage (db_constraint):
    # on PostgreSQL the composite (organisation, person) and (organisation, role) keys that
    # skillsmap.core.rls adds check the same references, and with them the organisation. The
    # repeats cost a full recompute from no results 1 s of its 3.5 s at commit (BENCHMARKS.md,
    # P1). Deletes still cascade: Django's collector does that, not the database.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    person = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    role = models.ForeignKey(
        "roles.RoleProfile", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=16)  # RoleAssignment.Kind
    gap = models.DecimalField(max_digits=5, decimal_places=2)
    readiness = models.DecimalField(max_digits=5, decimal_places=2)
    met = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    essential_alert = models.BooleanField(default=False)
    missing = models.JSONField(default=list)  # [{"skill": id, "target": t, "level": l, ...}]
    # When these figures last changed, and from which inputs version (``results_as_of``).
    computed_at = models.DateTimeField()
    inputs_version = models.PositiveBigIntegerField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "person", "role", "kind"], name="gapscore_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "role"], name="gapscore_role_idx"),
            # The dashboard adds up everyone's current gap per team and per role: read from this
            # index alone, not from the table's rows with their missing lists (BENCHMARKS.md, P8).
            models.Index(
                fields=["organisation", "kind"],
                include=["person", "role", "gap"],
                name="gapscore_kind_gap_idx",
            ),
        ]


class TeamSkillCoverage(TenantModel):
    """Coverage, bus factor and average shortfall of one required skill in one team
    (``reports.gaps.team_coverage``)."""

    # Checked through the composite keys only, as GapScore's.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    skill = models.ForeignKey(
        "skills.Skill", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    target = models.PositiveSmallIntegerField()
    coverage = models.PositiveIntegerField()
    required_by = models.PositiveIntegerField()
    avg_shortfall = models.DecimalField(max_digits=5, decimal_places=2)
    bus_factor_risk = models.BooleanField(default=False)
    covered_by = models.JSONField(default=list)  # person ids
    computed_at = models.DateTimeField()
    inputs_version = models.PositiveBigIntegerField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "team", "skill"], name="teamskillcoverage_uniq"
            ),
        ]
        indexes = [
            # The dashboard counts the risks and finds the first of them by (coverage, team).
            models.Index(
                fields=["organisation", "coverage", "team"],
                condition=models.Q(bus_factor_risk=True),
                name="coverage_risk_idx",
            ),
        ]


class GapSnapshot(TenantModel):
    """One day's gap of a person in a role: the trend line. Taken nightly; one row per day."""

    day = models.DateField()
    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey("roles.RoleProfile", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    gap = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "day", "person", "role", "kind"], name="gapsnapshot_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "person", "day"], name="gapsnapshot_person_idx")
        ]


class TeamSnapshot(TenantModel):
    """One day's figures of a team: average gap and the number of bus-factor risks."""

    day = models.DateField()
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    avg_gap = models.DecimalField(max_digits=5, decimal_places=2)
    bus_factor_risks = models.PositiveIntegerField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "day", "team"], name="teamsnapshot_uniq"
            ),
        ]
