"""Writes of notifications: raising one (``notify``, called by every domain app), reading them,
and each member's email preferences.

Preferences, reads and unsubscribes are not audited: they are a member's own settings about
their own mail, not a change a colleague or an admin would ask about, and the audit log (which
admins read) would otherwise list who turned which emails off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from notifications.kinds import Kind
from notifications.models import EmailState, Notification, NotificationPreference
from notifications.selectors import email_wanted
from notifications.tokens import unsubscribe_claim
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context

logger = logging.getLogger(__name__)


def _email_enqueue(*, organisation_id: int, notification_id: int) -> None:
    """Hand the email to a worker. Runs after commit, so it never raises: with the broker down
    the row stays pending and the sweep enqueues it later."""
    from notifications.tasks import notification_email_send  # tasks import this module's peers

    try:
        # No publish retries: the caller may be a web request waiting for its response.
        notification_email_send.apply_async(
            kwargs={"organisation_id": organisation_id, "notification_id": notification_id},
            retry=False,
        )
    except Exception:
        logger.warning("could not queue notification email %s", notification_id, exc_info=True)


def notify(
    *,
    organisation: Organisation,
    recipient: User,
    kind: Kind,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> Notification | None:
    """In-app notification for ``recipient`` (None if they hold no active membership of
    ``organisation``), and, unless they opted out of ``kind``'s email, its email (subject = title,
    text + HTML from templates, with a signed one-click unsubscribe link) sent by Celery after the
    transaction commits, retried on failure. ``url`` is a site path such as "/o/acme/me/skills/".
    A repeated (recipient, kind, dedupe_key) with a non-empty dedupe_key creates and sends
    nothing and returns None: reminders and alerts use it to go out once per period."""
    kind = Kind(kind)
    with organisation_context(organisation):
        if not Membership.objects.filter(
            organisation=organisation, user=recipient, is_active=True
        ).exists():
            return None
        if (
            dedupe_key
            and Notification.objects.filter(
                organisation=organisation, recipient=recipient, kind=kind, dedupe_key=dedupe_key
            ).exists()
        ):
            return None
        wants_email = bool(recipient.email) and email_wanted(
            organisation=organisation, user=recipient, kind=kind
        )
        try:
            # A savepoint: a concurrent twin with the same key loses the race on the unique
            # constraint without breaking the caller's transaction.
            with transaction.atomic():
                notification = Notification.objects.create(
                    organisation=organisation,
                    recipient=recipient,
                    kind=kind,
                    title=title.strip()[:200],
                    body=body.strip(),
                    url=url[:500],
                    dedupe_key=dedupe_key[:200],
                    email_state=EmailState.PENDING if wants_email else EmailState.OPTED_OUT,
                )
        except IntegrityError:
            if dedupe_key:
                return None
            raise
    if wants_email:
        organisation_id, notification_id = organisation.pk, notification.pk
        transaction.on_commit(
            lambda: _email_enqueue(organisation_id=organisation_id, notification_id=notification_id)
        )
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, organisation: Organisation, user: User) -> int:
    return Notification.objects.filter(
        organisation=organisation, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())


def _preference_write(*, organisation: Organisation, user: User, kind: Kind, email: bool) -> None:
    NotificationPreference.objects.update_or_create(
        organisation=organisation,
        user=user,
        kind=kind,
        defaults={"email": email, "updated_at": timezone.now()},
    )
    if not email:
        # Emails of that kind still waiting for them (queued, or failed and due a retry) are
        # not sent either: "stop" means from now.
        Notification.objects.filter(
            organisation=organisation,
            recipient=user,
            kind=kind,
            email_state__in=[EmailState.PENDING, EmailState.FAILED],
        ).update(email_state=EmailState.OPTED_OUT)


@transaction.atomic
def email_preferences_set(
    *, organisation: Organisation, user: User, email_kinds: Iterable[Kind | str]
) -> dict[Kind, bool]:
    """Email on for exactly ``email_kinds``, off for every other kind. Returns the new settings."""
    try:
        wanted = {Kind(k) for k in email_kinds}
    except ValueError as exc:
        raise ServiceError("Unknown kind of notification.", code="invalid") from exc
    for kind in Kind:
        _preference_write(organisation=organisation, user=user, kind=kind, email=kind in wanted)
    return {kind: kind in wanted for kind in Kind}


@transaction.atomic
def email_preference_update(
    *, organisation: Organisation, user: User, changes: dict[Kind, bool]
) -> None:
    """Turn some kinds' email on or off, leaving the others as they are (the API's PUT/PATCH)."""
    for kind, email in changes.items():
        _preference_write(organisation=organisation, user=user, kind=Kind(kind), email=email)


class UnsubscribeError(ServiceError):
    pass


def unsubscribe_apply(*, organisation: Organisation, token: str) -> tuple[User, Kind]:
    """Turn one kind's email off for the user a signed token names (the email's one-click
    unsubscribe; no sign-in). A tampered token, or one of another organisation, writes nothing."""
    claim = unsubscribe_claim(token)
    if claim is None or claim.organisation_id != organisation.pk:
        raise UnsubscribeError("This unsubscribe link is not valid.")
    with organisation_context(organisation):
        membership = (
            Membership.objects.filter(organisation=organisation, user_id=claim.user_id)
            .select_related("user")
            .first()
        )
        if membership is None:
            raise UnsubscribeError("This unsubscribe link is not valid.")
        _preference_write(
            organisation=organisation, user=membership.user, kind=claim.kind, email=False
        )
        return membership.user, claim.kind
