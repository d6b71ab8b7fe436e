"""The core's one table: background jobs (imports and exports) of every domain app."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel

EXPORTS_STORAGE = "exports"


def export_storage() -> Storage:
    """Where jobs' files go: the ``exports`` storage when ``STORAGES`` names one, else ``default``.

    An export holds people's names and gaps: a deployment whose default storage is a public media
    bucket can send exports to a private one by naming it, with no code change; everyone else
    (tests, the demo) just uses ``default``."""
    return storages[EXPORTS_STORAGE if EXPORTS_STORAGE in settings.STORAGES else "default"]


def job_file_path(job: Job, filename: str) -> str:
    """``exports/<organisation id>/<random>/<filename>``: one organisation's files under one
    prefix (a bucket policy or a cleanup can follow it), and a path nobody can guess or count
    through, so that a misconfigured public bucket does not hand out every organisation's file."""
    return f"exports/{job.organisation_id}/{secrets.token_urlsafe(24)}/{filename}"


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
        CERTIFICATIONS_IMPORT = "certifications_import", "Certifications import"

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
    # An export's parameters (format, teams). Its file is in the storage (web and worker share it:
    # a bucket, or one disk), named here; the retention task deletes it after
    # EXPORT_RETENTION_DAYS and sets file_expired_at, keeping the row.
    params = models.JSONField(default=dict, blank=True)
    file = models.FileField(
        upload_to=job_file_path, storage=export_storage, max_length=500, blank=True
    )
    file_expired_at = models.DateTimeField(null=True, blank=True)
    output_name = models.CharField(max_length=255, blank=True)
    output_content_type = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        # The table and its constraint names predate the move from reports (state-only migration).
        db_table = "reports_job"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "id"], name="reports_job_org_id_uniq")
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="job_org_created_idx")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def file_kept_until(self) -> datetime | None:
        """When the retention task deletes the file (None: no file, or already deleted)."""
        if not self.file or self.file_expired_at:
            return None
        written = self.finished_at or self.created_at
        return written + timedelta(days=settings.EXPORT_RETENTION_DAYS)
