"""In-app notifications, the state of their email, and each member's email preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.kinds import Kind
from skillsmap.core.tenancy import TenantModel


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    # A failed email is retried (by the task's own retries, then by the periodic sweep) until
    # NOTIFICATION_EMAIL_MAX_ATTEMPTS; ``attempts`` tells the two apart.
    FAILED = "failed", "Failed"
    # Nothing to send: the recipient has no email address, or no longer an active membership.
    SKIPPED = "skipped", "Not sent"
    OPTED_OUT = "opted_out", "Not sent: email turned off for this kind"


class Notification(TenantModel):
    """Something a member should know, shown in the app and (unless they opted out) emailed.

    The row is written in the transaction of the change it reports, before any email is tried: a
    mail server that is down delays the email, never loses the notification."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # A site path ("/o/acme/me/skills/"); emails make it absolute with SITE_URL.
    url = models.CharField(max_length=500, blank=True)
    # Reminders and alerts go out once per period: a repeated non-empty key for the same
    # recipient and kind is refused by the constraint below (and notify() returns None).
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    email_state = models.CharField(
        max_length=16, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.CharField(max_length=500, blank=True)
    email_last_attempt_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "recipient", "kind", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_uniq",
            ),
        ]
        indexes = [
            # The list page and the bell: one member's notifications, newest first / unread.
            models.Index(
                fields=["organisation", "recipient", "-created_at"], name="notification_inbox_idx"
            ),
            # The sweep finds emails left pending or failed without reading sent ones.
            models.Index(
                fields=["organisation", "email_state", "created_at"],
                condition=Q(email_state__in=["pending", "failed"]),
                name="notification_email_todo_idx",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(TenantModel):
    """Whether a member wants a kind of notification by email. Per membership (organisation and
    user), because a person in two organisations may want one's campaign emails and not the
    other's. No row means email on; in-app notifications cannot be turned off (they are the
    record of what the member was told)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "user", "kind"], name="notificationpref_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} email {'on' if self.email else 'off'}"
