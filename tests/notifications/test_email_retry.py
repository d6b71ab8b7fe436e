"""A mail server that is down delays an email, never loses it: the failure is recorded on the
notification, the task retries with backoff (in a worker) or the sweep tries again, and the email
goes out once the server is back, once."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from notifications import tasks
from notifications.kinds import Kind
from notifications.models import EmailState, Notification
from notifications.services import notify
from skillsmap.core.tenancy import organisation_context
from tests.notifications.conftest import reload
from tests.smtp import free_port

pytestmark = pytest.mark.django_db


def _age(notification: Notification, **delta: int) -> None:
    """Make the notification (and its last attempt) look ``delta`` old to the sweep."""
    past = timezone.now() - timedelta(**delta)
    with organisation_context(notification.organisation_id):
        Notification.objects.filter(pk=notification.pk).update(
            created_at=past,
            email_last_attempt_at=past if notification.email_last_attempt_at else None,
        )


@pytest.fixture
def closed_port(settings):
    """SMTP pointed at a port nobody listens on: every send is refused (ConnectionRefusedError)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


def test_a_refused_send_is_recorded_and_retried_by_the_sweep_once_the_server_is_back(
    org_a, settings, smtp_server, raise_notification
):
    up = smtp_server.port
    settings.EMAIL_PORT = free_port()  # the mail server is down
    notification = raise_notification(org_a.organisation, org_a.member, title="Hello")
    assert notification is not None
    failed = reload(notification)
    # The in-app notification is there whatever the mail server does.
    assert failed.email_state == EmailState.FAILED
    assert failed.email_attempts == 1
    assert "ConnectionRefused" in failed.email_last_error

    # Too recent: a retry of the task itself may still be on its way.
    assert tasks.notification_email_sweep() == 0
    _age(failed, hours=1)
    # Still down: another attempt, recorded.
    assert tasks.notification_email_sweep() == 1
    assert reload(notification).email_attempts == 2

    settings.EMAIL_PORT = up  # back
    server = smtp_server
    _age(reload(notification), hours=1)
    assert tasks.notification_email_sweep() == 1
    [message] = server.wait_for(1)
    assert message["Subject"] == "Hello"
    sent = reload(notification)
    assert sent.email_state == EmailState.SENT
    assert sent.email_attempts == 3
    assert sent.email_last_error == ""

    # Sent is final: the sweep and a redelivered task send nothing more.
    _age(sent, hours=1)
    assert tasks.notification_email_sweep() == 0
    tasks.notification_email_send.apply(
        kwargs={"organisation_id": org_a.organisation.pk, "notification_id": notification.pk}
    )
    assert len(server.messages) == 1


def test_attempts_stop_at_the_maximum_and_the_email_stays_failed(
    org_a, settings, closed_port, raise_notification
):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 2
    notification = raise_notification(org_a.organisation, org_a.member)
    _age(reload(notification), hours=1)
    assert tasks.notification_email_sweep() == 1
    given_up = reload(notification)
    assert (given_up.email_state, given_up.email_attempts) == (EmailState.FAILED, 2)
    _age(given_up, hours=1)
    assert tasks.notification_email_sweep() == 0


def test_in_a_worker_a_failed_send_raises_for_celerys_retry_with_backoff(
    org_a, closed_port, django_capture_on_commit_callbacks
):
    """Outside embedded mode the task re-raises the SMTP error, which ``autoretry_for`` turns into
    a retry with exponential backoff; the attempt is recorded before that."""
    with django_capture_on_commit_callbacks(execute=False):
        notification = notify(
            organisation=org_a.organisation,
            recipient=org_a.member,
            kind=Kind.ENDORSEMENT,
            title="Retry me",
        )
    assert notification is not None
    with pytest.raises(ConnectionRefusedError):
        # Called directly (as a worker runs it, not eagerly): Celery's retry re-raises here.
        tasks.notification_email_send(
            organisation_id=org_a.organisation.pk, notification_id=notification.pk
        )
    row = reload(notification)
    assert (row.email_state, row.email_attempts) == (EmailState.FAILED, 1)
    task = tasks.notification_email_send
    assert task.autoretry_for == tasks.RETRYABLE
    assert task.retry_backoff and task.max_retries == 5


def test_an_email_whose_enqueue_was_lost_is_sent_by_the_sweep(
    org_a, smtp_server, django_capture_on_commit_callbacks
):
    """The broker was down after commit: the enqueue failed quietly (the request did not fail)
    and the email waits as pending until the sweep."""
    with (
        mock.patch.object(
            tasks.notification_email_send, "apply_async", side_effect=ConnectionError("no broker")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = notify(
            organisation=org_a.organisation,
            recipient=org_a.member,
            kind=Kind.CAMPAIGN_REMINDER,
            title="Your review is waiting",
        )
    assert notification is not None
    assert reload(notification).email_state == EmailState.PENDING
    assert smtp_server.messages == []
    assert tasks.notification_email_sweep() == 0  # just raised: its own enqueue may be running
    _age(notification, hours=1)
    assert tasks.notification_email_sweep() == 1
    assert smtp_server.wait_for(1)[0]["Subject"] == "Your review is waiting"
    assert reload(notification).email_state == EmailState.SENT


def test_a_member_deactivated_before_the_send_gets_no_email(
    org_a, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(
            organisation=org_a.organisation,
            recipient=org_a.member,
            kind=Kind.ENDORSEMENT,
            title="Too late",
        )
    membership = org_a.memberships["member"]
    with organisation_context(org_a.organisation):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    for callback in callbacks:
        callback()
    assert notification is not None
    assert reload(notification).email_state == EmailState.SKIPPED
    assert smtp_server.messages == []
