from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel


class Job(TenantModel):
    """A long-running piece of work started by a user: an import or an export.

    Imports are all-or-nothing: the job validates every row first and writes nothing if any row is
    bad, recording each row's message in ``errors``. Progress lives in the cache while the job runs
    (the job's own transaction is invisible to the page that polls it) and here once it ends.
    """

    class Kind(models.TextChoices):
        PEOPLE_IMPORT = "people_import", "People import"
        RATINGS_IMPORT = "ratings_import", "Ratings import"
        GAP_EXPORT = "gap_export", "Gap report export"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    payload = models.BinaryField(blank=True)  # the uploaded file; workers share no filesystem
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line": 3, "message": "..."}]
    summary = models.JSONField(default=dict, blank=True)
    # An export's parameters (format, teams) and its file, kept in the database so that web and
    # worker need no shared disk.
    params = models.JSONField(default=dict, blank=True)
    output = models.BinaryField(blank=True, null=True)
    output_name = models.CharField(max_length=255, blank=True)
    output_content_type = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["organisation", "-created_at"], name="job_org_created_idx")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class GapScore(TenantModel):
    """A person's gap against one of their roles (current or target), as computed by
    ``reports.gaps.person_gap``."""

    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey("skills.RoleProfile", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # RoleAssignment.Kind
    gap = models.DecimalField(max_digits=5, decimal_places=2)
    readiness = models.DecimalField(max_digits=5, decimal_places=2)
    met = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    essential_alert = models.BooleanField(default=False)
    missing = models.JSONField(default=list)  # [{"skill": id, "target": t, "level": l, ...}]
    computed_at = models.DateTimeField()
    inputs_version = models.PositiveBigIntegerField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "person", "role", "kind"], name="gapscore_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "role"], name="gapscore_role_idx")]


class TeamSkillCoverage(TenantModel):
    """Coverage, bus factor and average shortfall of one required skill in one team
    (``reports.gaps.team_coverage``)."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
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


class GapSnapshot(TenantModel):
    """One day's gap of a person in a role: the trend line. Taken nightly; one row per day."""

    day = models.DateField()
    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey("skills.RoleProfile", on_delete=models.CASCADE, related_name="+")
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
