"""On PostgreSQL, row-level security keeps one organisation's notifications and preferences out of
another's queries, even raw ones, and the sweep still finds every organisation's due emails."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications import tasks
from notifications.models import EmailState, Notification
from notifications.services import email_preferences_set
from skillsmap.core.tenancy import organisation_context

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # a constant table name
        return int(cursor.fetchone()[0])


def test_raw_sql_in_one_organisation_sees_none_of_the_others_notifications(
    pg, org_a, org_b, raise_notification
):
    raise_notification(org_a.organisation, org_a.member)
    raise_notification(org_b.organisation, org_b.member)
    raise_notification(org_b.organisation, org_b.manager)
    with organisation_context(org_b.organisation):
        email_preferences_set(organisation=org_b.organisation, user=org_b.member, email_kinds=[])
    assert _count("notifications_notification") == 0  # no organisation set: nothing at all
    with organisation_context(org_a.organisation):
        assert _count("notifications_notification") == 1
        assert _count("notifications_notificationpreference") == 0
    with organisation_context(org_b.organisation):
        assert _count("notifications_notification") == 2


def test_the_sweep_visits_each_organisation(pg, org_a, org_b, raise_notification, settings):
    settings.NOTIFICATION_EMAIL_SWEEP_AFTER_SECONDS = -60  # everything pending counts as stuck
    rows = []
    for world in (org_a, org_b):
        notification = raise_notification(world.organisation, world.member)
        with organisation_context(world.organisation):
            Notification.objects.filter(pk=notification.pk).update(email_state=EmailState.PENDING)
        rows.append(notification)
    assert tasks.notification_email_sweep() == 2
    for notification in rows:
        with organisation_context(notification.organisation_id):
            assert Notification.objects.get(pk=notification.pk).email_state == EmailState.SENT
