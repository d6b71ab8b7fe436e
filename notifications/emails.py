"""A notification's email: rendered from templates (plain text and HTML), with absolute links
from SITE_URL and the one-click unsubscribe headers, and its delivery recorded on the row."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation
from notifications.kinds import Kind
from notifications.models import EmailState, Notification
from notifications.tokens import unsubscribe_token
from skillsmap.core.tenancy import organisation_context

logger = logging.getLogger(__name__)

# What a mail server being down, refusing or timing out looks like: worth retrying. Anything else
# (a template error) is a bug that a retry would only repeat.
RETRYABLE = (smtplib.SMTPException, OSError)


def absolute_url(path: str) -> str:
    """``SITE_URL`` + a site path. Emails are sent by a worker with no request to build links
    from; invitations (sent from a request) use the request's host, which the operator sets
    SITE_URL to as well."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def is_site_path(url: str) -> bool:
    """A path of this site ("/o/acme/..."), never another host's URL nor "//evil.example"."""
    parts = urlsplit(url)
    return (
        url.startswith("/") and not url.startswith("//") and not parts.scheme and not parts.netloc
    )


def unsubscribe_path(*, organisation: Organisation, user_id: int, kind: Kind) -> str:
    token = unsubscribe_token(organisation_id=organisation.pk, user_id=user_id, kind=kind)
    return reverse(
        "notifications:unsubscribe", kwargs={"org_slug": organisation.slug, "token": token}
    )


def email_message(notification: Notification) -> EmailMultiAlternatives:
    organisation = notification.organisation
    kind = Kind(notification.kind)
    unsubscribe = absolute_url(
        unsubscribe_path(organisation=organisation, user_id=notification.recipient_id, kind=kind)
    )
    context = {
        "notification": notification,
        "organisation": organisation,
        "recipient": notification.recipient,
        "kind_label": kind.label,
        "link": absolute_url(notification.url) if is_site_path(notification.url) else "",
        "inbox_link": absolute_url(
            reverse("notifications:list", kwargs={"org_slug": organisation.slug})
        ),
        "preferences_link": absolute_url(
            reverse("notifications:preferences", kwargs={"org_slug": organisation.slug})
        ),
        "unsubscribe_link": unsubscribe,
    }
    # A kind may have its own templates; base.* serve every kind that has none.
    text = render_to_string(
        [f"notifications/email/{kind.value}.txt", "notifications/email/base.txt"], context
    )
    html = render_to_string(
        [f"notifications/email/{kind.value}.html", "notifications/email/base.html"], context
    )
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=text,
        to=[notification.recipient.email],
        headers={
            # RFC 2369 + RFC 8058: mail clients show "Unsubscribe" and POST to it in one click.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Notifications are automatic: no out-of-office replies to them (RFC 3834).
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class Delivery:
    """What one attempt did. ``error`` is set when it failed in a way worth retrying;
    ``retry`` tells whether attempts remain."""

    state: str
    error: BaseException | None = None
    retry: bool = False


def _max_attempts() -> int:
    return int(settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS)


def notification_email_deliver(*, organisation_id: int, notification_id: int) -> Delivery:
    """Send a notification's email if it is still due, and record the outcome on the row.

    Safe to run twice (a retried task, the sweep, a redelivered message): the row is locked
    while sending, and an email already sent, skipped or opted out is left alone. The failure
    is recorded and committed before the caller re-raises for a retry, so the row always tells
    how many attempts were made and why the last one failed."""
    with organisation_context(organisation_id):
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "organisation")
            .filter(organisation_id=organisation_id, pk=notification_id)
            .first()
        )
        if notification is None:
            return Delivery(state="missing")
        if notification.email_state not in (EmailState.PENDING, EmailState.FAILED):
            return Delivery(state=notification.email_state)
        if notification.email_attempts >= _max_attempts():
            return Delivery(state=notification.email_state)
        recipient = notification.recipient
        # Checked at sending time too: a member deactivated since the notification was raised
        # gets nothing more by email.
        member = Membership.objects.filter(
            organisation_id=organisation_id, user=recipient, is_active=True
        ).exists()
        if not member or not recipient.email or not recipient.is_active:
            notification.email_state = EmailState.SKIPPED
            notification.save(update_fields=["email_state"])
            return Delivery(state=EmailState.SKIPPED)

        now = timezone.now()
        notification.email_attempts += 1
        notification.email_last_attempt_at = now
        try:
            email_message(notification).send()
        except RETRYABLE as exc:
            notification.email_state = EmailState.FAILED
            notification.email_last_error = f"{type(exc).__name__}: {exc}"[:500]
            notification.save(
                update_fields=[
                    "email_state",
                    "email_attempts",
                    "email_last_attempt_at",
                    "email_last_error",
                ]
            )
            logger.warning(
                "notification %s: email attempt %s failed: %s",
                notification.pk,
                notification.email_attempts,
                exc,
            )
            return Delivery(
                state=EmailState.FAILED,
                error=exc,
                retry=notification.email_attempts < _max_attempts(),
            )
        notification.email_state = EmailState.SENT
        notification.email_sent_at = now
        notification.email_last_error = ""
        notification.save(
            update_fields=[
                "email_state",
                "email_attempts",
                "email_last_attempt_at",
                "email_sent_at",
                "email_last_error",
            ]
        )
        return Delivery(state=EmailState.SENT)
