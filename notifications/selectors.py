"""Reads of notifications and preferences. Each takes the organisation, and every read of
notifications takes the user too: a member only ever sees their own."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Organisation, User
from notifications.kinds import Kind
from notifications.models import EmailState, Notification, NotificationPreference
from notifications.tokens import unsubscribe_claim
from skillsmap.core.tenancy import organisation_context


def notification_list(
    *, organisation: Organisation, user: User, unread_only: bool = False
) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(organisation=organisation, recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, organisation: Organisation, user: User) -> int:
    return Notification.objects.filter(
        organisation=organisation, recipient=user, read_at__isnull=True
    ).count()


def notification_get(
    *, organisation: Organisation, user: User, notification_id: int
) -> Notification:
    """Another member's notification, or another organisation's, is missing like an unknown id."""
    notification = Notification.objects.filter(
        organisation=organisation, recipient=user, pk=notification_id
    ).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def email_preferences(*, organisation: Organisation, user: User) -> dict[Kind, bool]:
    """Every kind with whether the member gets it by email (no row: yes)."""
    stored = dict(
        NotificationPreference.objects.filter(organisation=organisation, user=user).values_list(
            "kind", "email"
        )
    )
    return {kind: stored.get(kind.value, True) for kind in Kind}


def email_wanted(*, organisation: Organisation, user: User, kind: Kind) -> bool:
    return not NotificationPreference.objects.filter(
        organisation=organisation, user=user, kind=kind, email=False
    ).exists()


def notification_email_due_ids(
    *,
    organisation_id: int,
    pending_before: datetime,
    failed_before: datetime,
    max_attempts: int,
) -> list[int]:
    """The emails of one organisation the sweep should try (again); see tasks.py."""
    with organisation_context(organisation_id):
        return list(
            Notification.objects.filter(organisation_id=organisation_id)
            .filter(
                Q(email_state=EmailState.PENDING, created_at__lt=pending_before)
                | Q(
                    email_state=EmailState.FAILED,
                    email_attempts__lt=max_attempts,
                    email_last_attempt_at__lt=failed_before,
                )
            )
            .order_by("created_at")
            .values_list("pk", flat=True)[:500]
        )


def unsubscribe_kind(*, organisation: Organisation, token: str) -> Kind | None:
    """The kind a genuine unsubscribe token of this organisation turns off; None otherwise."""
    claim = unsubscribe_claim(token)
    if claim is None or claim.organisation_id != organisation.pk:
        return None
    with organisation_context(organisation):
        if not Membership.objects.filter(organisation=organisation, user_id=claim.user_id).exists():
            return None
    return claim.kind
