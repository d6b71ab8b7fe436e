"""Expiry alerts: the daily run that tells people their certifications are running out.

Three thresholds per certification: 90 days before its expiry (``CERTIFICATION_EXPIRY_WARNING_DAYS``),
30 days before, and once expired. Each run sends the threshold a certification is at now, to the
person, their line manager (``Person.manager``) and the organisation's HR members, through
``notifications.services.notify``; its dedupe key (certification, expiry date, threshold) makes
each alert go once, however often the task runs, and a renewed certification (a new expiry date)
is alerted afresh. A certification that expired long ago (before ``EXPIRED_ALERT_WINDOW_DAYS``)
is listed on the pages but not alerted: a first run after an import must not flood inboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from certifications.models import Certification, warning_days
from notifications.kinds import Kind
from notifications.services import notify

SOON_DAYS = 30
EXPIRED_ALERT_WINDOW_DAYS = 30
EXPIRED = "expired"


def threshold_for(expires_on: date, *, today: date) -> str | None:
    """The alert a certification is due now: "expired", "30", "90" (days), or None."""
    days_left = (expires_on - today).days
    if days_left < 0:
        return EXPIRED if -days_left <= EXPIRED_ALERT_WINDOW_DAYS else None
    if days_left <= SOON_DAYS:
        return str(SOON_DAYS)
    if days_left <= warning_days():
        return str(warning_days())
    return None


def dedupe_key(certification: Certification, threshold: str) -> str:
    assert certification.expires_on is not None
    return f"certification:{certification.pk}:{certification.expires_on.isoformat()}:{threshold}"


def _when(expires_on: date, today: date) -> str:
    day = dateformat.format(expires_on, "j M Y")
    days_left = (expires_on - today).days
    if days_left < 0:
        return f"expired on {day}"
    if days_left == 0:
        return f"expires today ({day})"
    return f"expires in {days_left} day{'s' if days_left != 1 else ''}, on {day}"


@dataclass(frozen=True)
class AlertsSent:
    certifications: int
    notifications: int


def expiry_alerts_send(*, organisation: Organisation, today: date | None = None) -> AlertsSent:
    """Send today's due alerts of one organisation; runs inside its organisation context. Safe to
    run twice: a repeated alert is refused by ``notify``'s dedupe key and sends nothing."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=warning_days())
    due = list(
        Certification.objects.filter(
            Q(expires_on__lte=horizon),
            organisation=organisation,
            person__is_active=True,
            expires_on__gte=today - timedelta(days=EXPIRED_ALERT_WINDOW_DAYS),
        )
        .select_related("person__user", "person__manager__user")
        .order_by("expires_on", "pk")
    )
    if not due:
        return AlertsSent(0, 0)
    hr_users = [
        membership.user
        for membership in Membership.objects.filter(
            organisation=organisation, is_active=True, role=Role.HR
        ).select_related("user")
    ]
    slug = organisation.slug
    own_url = reverse("certifications:my_certifications", kwargs={"org_slug": slug})
    list_url = reverse("certifications:expiry_list", kwargs={"org_slug": slug})
    sent = 0
    for certification in due:
        assert certification.expires_on is not None
        threshold = threshold_for(certification.expires_on, today=today)
        if threshold is None:
            continue
        person = certification.person
        when = _when(certification.expires_on, today)
        key = dedupe_key(certification, threshold)
        recipients: list[tuple[User, str, str]] = []
        if person.user is not None:
            recipients.append(
                (person.user, f"Your certification {certification.name} {when}", own_url)
            )
        manager = person.manager
        if manager is not None and manager.user is not None and manager.is_active:
            recipients.append(
                (
                    manager.user,
                    f"{person.name}'s certification {certification.name} {when}",
                    list_url,
                )
            )
        for user in hr_users:
            recipients.append(
                (user, f"{person.name}'s certification {certification.name} {when}", list_url)
            )
        body = (
            f"{certification.name}, issued by {certification.issuer}"
            f"{f' (credential {certification.credential_id})' if certification.credential_id else ''}, "
            f"{when}. Renew it and record the new expiry date in skillsmap."
        )
        seen: set[int] = set()
        for user, title, url in recipients:
            # Someone who is both the manager and HR gets one alert, the first that applies.
            if user.pk in seen:
                continue
            seen.add(user.pk)
            if (
                notify(
                    organisation=organisation,
                    recipient=user,
                    kind=Kind.CERTIFICATION_EXPIRY,
                    title=title,
                    body=body,
                    url=url,
                    dedupe_key=key,
                )
                is not None
            ):
                sent += 1
    return AlertsSent(len(due), sent)
