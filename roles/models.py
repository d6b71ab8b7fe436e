"""Role profiles: what a role asks of the people in it, and who holds which role.

The tables predate this app (they were created by the skills app) and keep their names and
constraint names; the move was state-only (``roles/migrations/0001``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


def _org_id_unique(table: str) -> models.UniqueConstraint:
    # TenantModel names this constraint after the app label, which was "skills" when it was made.
    return models.UniqueConstraint(fields=["organisation", "id"], name=f"{table}_org_id_uniq")


class Importance(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    OPTIONAL = "optional", "Optional"


class RoleProfile(TenantModel):
    """A role such as "Backend Engineer": the skills it requires, each with a target level."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    # Set when HR built the profile from an O*NET occupation (our own mapping; see README).
    source_occupation = models.ForeignKey(
        "skills.LibraryOccupation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        db_table = "skills_roleprofile"
        constraints = [
            _org_id_unique("skills_roleprofile"),
            models.UniqueConstraint(
                fields=["organisation", "name"], name="roleprofile_org_name_uniq"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleRequirement(TenantModel):
    role = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="requirements")
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="requirements")
    target_level = models.PositiveSmallIntegerField()
    importance = models.CharField(
        max_length=16, choices=Importance.choices, default=Importance.ESSENTIAL
    )
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    # A certification the role asks for beside the skill, by name (matched to a person's
    # ``certifications.Certification.name`` in any case). Shown next to the gap, never inside it:
    # the gap score stays a function of skill levels alone (reports/gaps.py).
    certification = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        db_table = "skills_rolerequirement"
        constraints = [
            _org_id_unique("skills_rolerequirement"),
            models.UniqueConstraint(
                fields=["organisation", "role", "skill"], name="rolerequirement_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.skill} ≥ {self.target_level}"


class RoleAssignment(TenantModel):
    """A person's current role, or the role they are working towards."""

    class Kind(models.TextChoices):
        CURRENT = "current", "Current role"
        TARGET = "target", "Target role"

    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="roles")
    role = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CURRENT)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        db_table = "skills_roleassignment"
        constraints = [
            _org_id_unique("skills_roleassignment"),
            models.UniqueConstraint(
                fields=["organisation", "person", "kind"], name="roleassignment_person_kind_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "role"], name="roleassignment_role_idx")]

    def __str__(self) -> str:
        return f"{self.person}: {self.role} ({self.kind})"
