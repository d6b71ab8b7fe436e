"""Helpers of the notification tests: raise one as a domain app would, read rows back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Organisation, User
from notifications.kinds import Kind
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from skillsmap.core.tenancy import organisation_context


@pytest.fixture
def raise_notification(
    django_capture_on_commit_callbacks: Any,
) -> Callable[..., Notification | None]:
    """``notify`` as a domain service calls it, with its after-commit email run at once."""

    def _raise(
        organisation: Organisation,
        recipient: User,
        kind: Kind = Kind.ENDORSEMENT,
        title: str = "Sam endorsed your Python",
        **extra: Any,
    ) -> Notification | None:
        with django_capture_on_commit_callbacks(execute=True):
            return notify(
                organisation=organisation, recipient=recipient, kind=kind, title=title, **extra
            )

    return _raise


def notifications_of(organisation: Organisation, user: User | None = None) -> list[Notification]:
    with organisation_context(organisation):
        rows = Notification.objects.filter(organisation=organisation)
        if user is not None:
            rows = rows.filter(recipient=user)
        return list(rows.order_by("pk"))


def reload(notification: Notification) -> Notification:
    with organisation_context(notification.organisation_id):
        return Notification.objects.get(pk=notification.pk)


def preferences_of(organisation: Organisation, user: User) -> dict[str, bool]:
    with organisation_context(organisation):
        return dict(
            NotificationPreference.objects.filter(organisation=organisation, user=user).values_list(
                "kind", "email"
            )
        )
