"""The expiry list and its email alerts. The proof of the issue: a certification expiring in 30
days is listed for the person, their manager and HR, and emails each of them once, read back from
a real SMTP server; an expired one is listed too; a second run sends nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import dateformat

from accounts.permissions import Role
from certifications import tasks
from certifications.alerts import expiry_alerts_send, threshold_for
from certifications.selectors import expiry_list
from notifications.kinds import Kind
from notifications.models import Notification
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import days, today
from tests.endorsements.conftest import add_colleague
from tests.factories import CertificationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def expiring(org_a):
    return CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        name="AWS Solutions Architect",
        issuer="Amazon Web Services",
        credential_id="AWS-42",
        issued_on=days(-1000),
        expires_on=days(30),
    )


@pytest.fixture
def expired(org_a):
    return CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        name="First Aid",
        issued_on=days(-1000),
        expires_on=days(-3),
    )


@pytest.fixture
def far_off(org_a):
    return CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        name="Far Off",
        expires_on=days(200),
    )


@pytest.fixture
def hrs_own(org_a):
    return CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["hr"],
        name="HR's CIPD",
        issued_on=days(-1000),
        expires_on=days(10),
    )


def _listing(world, role):
    with organisation_context(world.organisation):
        return expiry_list(organisation=world.organisation, membership=world.memberships[role])


def _names(certifications) -> list[str]:
    return [c.name for c in certifications]


@pytest.mark.parametrize(
    ("role", "scope", "expiring_names"),
    [
        ("member", "own", ["AWS Solutions Architect"]),
        ("manager", "reports", ["AWS Solutions Architect"]),
        ("hr", "organisation", ["HR's CIPD", "AWS Solutions Architect"]),
        ("admin", "organisation", ["HR's CIPD", "AWS Solutions Architect"]),
    ],
)
def test_the_expiry_list_of_the_person_the_manager_and_hr(
    org_a, org_b, expiring, expired, far_off, hrs_own, role, scope, expiring_names
):
    CertificationFactory(
        organisation=org_b.organisation, person=org_b.people["member"], expires_on=days(5)
    )
    listing = _listing(org_a, role)
    assert listing.scope == scope and listing.within_days == 90
    assert _names(listing.expiring) == expiring_names  # soonest first
    assert _names(listing.expired) == ["First Aid"]


def test_a_colleague_does_not_see_the_members_expiring_certifications(org_a, expiring, expired):
    colleague = add_colleague(org_a)
    with organisation_context(org_a.organisation):
        from accounts.models import Membership

        membership = Membership.objects.get(organisation=org_a.organisation, user=colleague)
        listing = expiry_list(organisation=org_a.organisation, membership=membership)
    assert listing.expiring == [] and listing.expired == []


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_the_expiry_page_lists_the_one_expiring_in_30_days_and_the_expired_one(
    org_a, login, expiring, expired, far_off, role
):
    response = login(org_a.user(role)).get(
        reverse("certifications:expiry_list", kwargs={"org_slug": "alpha"})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "AWS Solutions Architect" in html and "in 30 days" in html
    assert "First Aid" in html and "Expired" in html
    assert "Far Off" not in html
    assert org_a.people["member"].name in html


def test_the_expiry_page_runs_a_fixed_number_of_queries(
    org_a, login, expiring, django_assert_max_num_queries
):
    client = login(org_a.hr)
    url = reverse("certifications:expiry_list", kwargs={"org_slug": "alpha"})
    client.get(url)
    for n in range(10):
        CertificationFactory(
            organisation=org_a.organisation, person=org_a.people["member"], expires_on=days(n)
        )
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_an_alert_at_30_days_emails_the_person_the_manager_and_hr_once(
    org_a, expiring, smtp_server, django_capture_on_commit_callbacks
):
    member = org_a.people["member"]
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        sent = expiry_alerts_send(organisation=org_a.organisation)
    assert (sent.certifications, sent.notifications) == (1, 3)
    messages = smtp_server.wait_for(3)
    assert len(messages) == 3
    by_recipient = {str(m["To"]): m for m in messages}
    assert set(by_recipient) == {
        "member@alpha.example",
        "manager@alpha.example",
        "hr@alpha.example",
    }
    day = dateformat.format(days(30), "j M Y")
    assert by_recipient["member@alpha.example"]["Subject"] == (
        f"Your certification AWS Solutions Architect expires in 30 days, on {day}"
    )
    for address in ("manager@alpha.example", "hr@alpha.example"):
        assert by_recipient[address]["Subject"] == (
            f"{member.name}'s certification AWS Solutions Architect expires in 30 days, on {day}"
        )
    own = by_recipient["member@alpha.example"].get_body(("plain",)).get_content()
    assert "issued by Amazon Web Services (credential AWS-42)" in own
    assert "http://testserver/o/alpha/me/certifications/" in own
    hr = by_recipient["hr@alpha.example"].get_body(("plain",)).get_content()
    assert "http://testserver/o/alpha/certifications/expiring/" in hr
    # The in-app rows, one per recipient.
    with organisation_context(org_a.organisation):
        rows = Notification.objects.filter(kind=Kind.CERTIFICATION_EXPIRY)
        assert sorted(rows.values_list("recipient__email", flat=True)) == [
            "hr@alpha.example",
            "manager@alpha.example",
            "member@alpha.example",
        ]

    # Running again (the daily task twice, or a retry) sends nothing more.
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        again = expiry_alerts_send(organisation=org_a.organisation)
    assert again.notifications == 0
    with organisation_context(org_a.organisation):
        assert Notification.objects.filter(kind=Kind.CERTIFICATION_EXPIRY).count() == 3
    assert smtp_server.messages == []


def test_the_daily_task_sends_through_celery_and_twice_is_harmless(
    org_a, org_b, expiring, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_expiry_alerts() == 2  # one task per organisation (eager in tests)
    smtp_server.wait_for(3)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_expiry_alerts(organisation_id=org_a.organisation.pk) == 0
    assert len(smtp_server.messages) == 3


def test_the_next_threshold_and_a_renewal_alert_afresh(
    org_a, expiring, django_capture_on_commit_callbacks
):
    def run(on):
        with (
            django_capture_on_commit_callbacks(execute=True),
            organisation_context(org_a.organisation),
        ):
            return expiry_alerts_send(organisation=org_a.organisation, today=on).notifications

    assert run(days(-60)) == 3  # 90 days before
    assert run(days(-59)) == 0
    assert run(today()) == 3  # 30 days before
    assert run(days(31)) == 3  # expired
    assert run(days(32)) == 0
    with organisation_context(org_a.organisation):
        expiring.expires_on = days(400)  # renewed
        expiring.save(update_fields=["expires_on"])
    assert run(days(340)) == 3


def test_no_alert_for_one_expired_long_ago_or_far_off_and_none_for_an_inactive_person(
    org_a, far_off, django_capture_on_commit_callbacks
):
    CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        issued_on=days(-1000),
        expires_on=days(-400),
    )
    leaver = org_a.people["hr"]
    with organisation_context(org_a.organisation):
        leaver.is_active = False
        leaver.save(update_fields=["is_active"])
    CertificationFactory(organisation=org_a.organisation, person=leaver, expires_on=days(10))
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        assert expiry_alerts_send(organisation=org_a.organisation).notifications == 0


def test_someone_both_manager_and_hr_gets_one_alert(org_a, django_capture_on_commit_callbacks):
    from django.core import mail

    hr_person = org_a.people["hr"]
    with organisation_context(org_a.organisation):
        report = org_a.people["admin"]
        report.manager = hr_person
        report.save(update_fields=["manager"])
    CertificationFactory(organisation=org_a.organisation, person=report, expires_on=days(20))
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        assert expiry_alerts_send(organisation=org_a.organisation).notifications == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@alpha.example", "hr@alpha.example"]


def test_another_organisations_hr_is_never_alerted(
    org_a, org_b, expiring, django_capture_on_commit_callbacks
):
    from django.core import mail

    second_hr = UserFactory(email="hr2@beta.example")
    MembershipFactory(organisation=org_b.organisation, user=second_hr, role=Role.HR)
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        expiry_alerts_send(organisation=org_a.organisation)
    assert all(m.to[0].endswith("@alpha.example") for m in mail.outbox)


@pytest.mark.parametrize(
    ("offset", "threshold"),
    [
        (91, None),
        (90, "90"),
        (31, "90"),
        (30, "30"),
        (0, "30"),
        (-1, "expired"),
        (-30, "expired"),
        (-31, None),
    ],
)
def test_threshold_for(offset, threshold):
    assert threshold_for(days(offset), today=today()) == threshold
