"""Review campaigns (#16, part 1): HR or a manager asks a set of people to rate a set of skills by
a due date.

Who is asked is resolved to people at launch and stored (``CampaignParticipant``), and so are the
skills each one is asked (``CampaignSkill``, a tenant table: an automatic many-to-many table would
carry no ``organisation_id`` and escape row-level security). A later change of teams or roles does
not move a running campaign's goalposts. Progress is never stored: "rated" is read from the rating
events since the launch (``reviews.selectors``), so it cannot go stale; ``completed_at`` is a
stamp the daily task and the close leave for the record.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


def default_grace_days() -> int:
    """Days after the due date before a campaign closes by itself (7 by default)."""
    return int(getattr(settings, "CAMPAIGN_GRACE_DAYS", 7))


class CampaignStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Campaign(TenantModel):
    name = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    due_on = models.DateField()
    grace_days = models.PositiveSmallIntegerField(default=default_grace_days)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    # What the launcher chose, as ids and names at launch (for the page; the participants are
    # the resolved truth). {"everyone": bool, "teams": [...], "roles": [...], "people": [...],
    # "skills": [...], "without_account": int}.
    audience = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    launched_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The summary: the average current-role gap of the participants at launch (snapshot) and at
    # close, the rating events that changed a level, and who completed. Null until known.
    gap_before = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    gap_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    ratings_changed = models.PositiveIntegerField(null=True, blank=True)
    completed_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["organisation", "status", "due_on"], name="campaign_status_idx"),
        ]
        ordering = ["-launched_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN

    @property
    def asks_everyone(self) -> bool:
        """Launched for the whole organisation (HR and admins), not for named teams or people."""
        return bool(self.audience.get("everyone"))

    @property
    def audience_summary(self) -> list[str]:
        """Whom the launcher named, for the campaign page: "Teams: Platform, Data", "Role
        profiles: Backend", "3 people by name" (a launch may name hundreds)."""
        if self.asks_everyone:
            return ["Everyone in the organisation"]
        lines = []
        for key, label in (("teams", "Teams"), ("roles", "Role profiles")):
            if names := [str(item["name"]) for item in self.audience.get(key, [])]:
                lines.append(f"{label}: {', '.join(names)}")
        if people := len(self.audience.get("people", [])):
            lines.append(f"{people} {'person' if people == 1 else 'people'} by name")
        return lines

    @property
    def skills_summary(self) -> str:
        """Which skills were asked, for the campaign page."""
        if names := [str(item["name"]) for item in self.audience.get("skills", [])]:
            return ", ".join(names)
        return (
            "Each person's own: what their roles require, their profile skills and the skills "
            "they have rated"
        )

    @property
    def without_account(self) -> int:
        """How many of the people the launcher named were not asked: no account to answer with."""
        return int(self.audience.get("without_account", 0))

    @property
    def closes_on(self) -> date:
        """The day it closes by itself: the due date plus the grace period."""
        return self.due_on + timedelta(days=self.grace_days)

    def is_overdue(self, today: date | None = None) -> bool:
        return (today or timezone.localdate()) > self.due_on


class CampaignParticipant(TenantModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="campaign_participations"
    )
    skills = models.ManyToManyField(
        "skills.Skill", through="CampaignSkill", related_name="campaign_participants"
    )
    # The person's current-role gap at launch (null without a current role): the "before".
    gap_before = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The cadence step (its date) of the last reminder sent: a step goes once, and a later run
    # never sends an earlier step (``reviews.services.campaign_reminders_send``).
    last_reminder_on = models.DateField(null=True, blank=True)
    last_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "campaign", "person"], name="campaignparticipant_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "person"], name="campaignparticipant_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.person}"


class CampaignSkill(TenantModel):
    """A skill one participant is asked to rate."""

    participant = models.ForeignKey(
        CampaignParticipant, on_delete=models.CASCADE, related_name="skill_links"
    )
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "participant", "skill"], name="campaignskill_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.skill}"
