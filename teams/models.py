from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


class Person(TenantModel):
    """Someone whose skills the organisation maps. May exist before they have an account (imported
    by HR) and is linked to their user when they join with the same email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    name = models.CharField(max_length=150)
    email = models.EmailField()
    job_title = models.CharField(max_length=150, blank=True)
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    location = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint("organisation", Lower("email"), name="person_org_email_uniq"),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(user__isnull=False),
                name="person_org_user_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "name"], name="person_org_name_idx"),
            models.Index(fields=["organisation", "manager"], name="person_org_manager_idx"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(TenantModel):
    """A group of people, optionally inside a parent team. Managers of a team manage its sub-teams."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation", "name"], name="team_org_name_uniq"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(TenantModel):
    """A person in a team. A person may be in several teams."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="team_memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "team", "person"], name="teammembership_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team}"


class TeamManager(TenantModel):
    """A person who leads a team. Leading a team means managing it and every team below it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="managers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="led_teams")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "team", "person"], name="teammanager_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} leads {self.team}"
