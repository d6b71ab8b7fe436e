"""Endorsements: a colleague vouches for a person's skill, with an optional note.

An endorsement is a social signal, never an assessment: it names a skill, not a level, and
nothing in ``skills.levels`` (the effective level) or ``reports`` (gaps, coverage) reads it. The
endorser is a ``Person`` of the same organisation (so a composite foreign key on PostgreSQL keeps
both ends inside it, and the database itself refuses a self-endorsement).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel

NOTE_MAX_LENGTH = 500


class Endorsement(TenantModel):
    endorser = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="endorsements_given"
    )
    person = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="endorsements"
    )
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    # Set by the endorsed person: a hidden endorsement is shown to them only and counts nowhere.
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "endorser", "person", "skill"], name="endorsement_uniq"
            ),
            models.CheckConstraint(
                condition=~models.Q(endorser=models.F("person")), name="endorsement_not_self"
            ),
        ]
        indexes = [
            # The counts of the person page, the matrix and people search.
            models.Index(
                fields=["organisation", "person", "skill"], name="endorsement_person_skill_idx"
            ),
            # The rate limit: one endorser's endorsements of the last hour.
            models.Index(
                fields=["organisation", "endorser", "created_at"], name="endorsement_recent_idx"
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.endorser} endorses {self.person} · {self.skill}"
