"""A person's certifications: what they hold, from whom, until when, with evidence.

A certification names one or more skills of the organisation's framework (``CertificationSkill``,
a tenant table: an automatic many-to-many table would carry no ``organisation_id`` and escape
row-level security). Its status (valid, expiring, expired) is computed from its dates on every
read, never stored, so it cannot go stale.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


class CertificationStatus(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring soon"
    EXPIRED = "expired", "Expired"


def warning_days() -> int:
    """How many days before its expiry a certification counts as expiring (90 by default)."""
    return int(settings.CERTIFICATION_EXPIRY_WARNING_DAYS)


def certification_status(
    expires_on: date | None, *, today: date | None = None, within_days: int | None = None
) -> CertificationStatus:
    """Valid through its expiry date; expiring when that date is at most ``within_days`` away;
    expired from the day after. No expiry date: valid for good."""
    if expires_on is None:
        return CertificationStatus.VALID
    today = today or timezone.localdate()
    if expires_on < today:
        return CertificationStatus.EXPIRED
    days = warning_days() if within_days is None else within_days
    if expires_on <= today + timedelta(days=days):
        return CertificationStatus.EXPIRING
    return CertificationStatus.VALID


def evidence_path(certification: Certification, filename: str) -> str:
    """``certifications/<organisation id>/<random>/<file>``: one organisation's files under one
    prefix (a bucket policy or a cleanup can follow it), and a path nobody can guess or count
    through. The name given by the service is already a safe one; the uploader's own name is kept
    in ``evidence_name``, for the download."""
    return f"certifications/{certification.organisation_id}/{secrets.token_urlsafe(24)}/{filename}"


class Certification(TenantModel):
    person = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="certifications"
    )
    name = models.CharField(max_length=200)
    issuer = models.CharField(max_length=200)
    credential_id = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    # Through the default storage (a bucket or one disk). Served only by the permission-checked
    # download view, never as a media URL.
    evidence = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_content_type = models.CharField(max_length=60, blank=True)
    evidence_size = models.PositiveIntegerField(default=0)
    skills = models.ManyToManyField(
        "skills.Skill", through="CertificationSkill", related_name="certifications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            # The service says so first, with a message; this keeps an import or a raw write honest.
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="certification_expiry_after_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "person"], name="certification_person_idx"),
            models.Index(fields=["organisation", "expires_on"], name="certification_expiry_idx"),
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.person} · {self.name}"

    @property
    def status(self) -> CertificationStatus:
        return certification_status(self.expires_on)

    @property
    def days_left(self) -> int | None:
        """Days until the expiry date (negative once expired); None without one."""
        if self.expires_on is None:
            return None
        return (self.expires_on - timezone.localdate()).days

    @property
    def has_evidence_file(self) -> bool:
        return bool(self.evidence.name)


class CertificationSkill(TenantModel):
    """A skill a certification is evidence of."""

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="skill_links"
    )
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "certification", "skill"], name="certificationskill_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification} · {self.skill}"
