"""``notify`` and its email, read back from a real SMTP server: the in-app row, the message's
parts and headers, its links, the one-click unsubscribe, dedupe and opting out."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from django.core import mail
from django.db import transaction

from notifications.kinds import Kind
from notifications.models import EmailState
from notifications.services import notify
from skillsmap.core.tenancy import organisation_context
from tests.notifications.conftest import notifications_of, preferences_of, reload

pytestmark = pytest.mark.django_db


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _unsubscribe_url(message: EmailMessage) -> str:
    header = str(message["List-Unsubscribe"]).strip()
    match = re.fullmatch(r"<(http://testserver(/\S+))>", header)
    assert match, header
    return match.group(2)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_a_notification_is_shown_in_the_app_and_mailed_with_text_and_html(
    org_a, smtp_server, raise_notification
):
    notification = raise_notification(
        org_a.organisation,
        org_a.member,
        kind=Kind.RATING_VALIDATED,
        title="Mo validated your rating of Python",
        body="Your self-assessment of Python, level 3 (Competent), is now validated.",
        url="/o/alpha/me/skills/#skill-1",
    )
    [message] = smtp_server.wait_for(1)

    assert message["Subject"] == "Mo validated your rating of Python"
    assert message["To"] == "member@alpha.example"
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    assert "level 3 (Competent), is now validated" in text
    assert "http://testserver/o/alpha/me/skills/#skill-1" in text
    assert 'href="http://testserver/o/alpha/me/skills/#skill-1"' in html
    assert "Competent" in html
    assert 'Stop emails about "Validations of your ratings"' in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _unsubscribe_url(message) in text
    # The in-app row was written first and now records the send.
    row = reload(notification)
    assert row.email_state == EmailState.SENT
    assert row.email_attempts == 1
    assert row.email_sent_at is not None
    assert row.read_at is None


def test_html_part_escapes_what_users_typed(org_a, smtp_server, raise_notification):
    raise_notification(
        org_a.organisation, org_a.member, title="Note", body="<script>alert(1)</script>"
    )
    [message] = smtp_server.wait_for(1)
    _text, html = _parts(message)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_unsubscribe_link_stops_that_kind_of_email_and_keeps_the_in_app_ones(
    org_a, smtp_server, raise_notification, client
):
    raise_notification(org_a.organisation, org_a.member, kind=Kind.ENDORSEMENT)
    [message] = smtp_server.wait_for(1)
    url = _unsubscribe_url(message)

    # Not signed in: the confirmation page, with one button, and nothing written yet.
    page = client.get(url)
    assert page.status_code == 200
    assert "Endorsements of your skills" in page.content.decode()
    assert preferences_of(org_a.organisation, org_a.member) == {}

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", with no session, no CSRF.
    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Emails stopped" in done.content.decode()
    assert preferences_of(org_a.organisation, org_a.member) == {"endorsement": False}

    smtp_server.clear()
    second = raise_notification(org_a.organisation, org_a.member, kind=Kind.ENDORSEMENT)
    assert second is not None
    assert reload(second).email_state == EmailState.OPTED_OUT
    # Other kinds still go out.
    raise_notification(org_a.organisation, org_a.member, kind=Kind.CAMPAIGN_ASK, title="Review")
    [only] = smtp_server.wait_for(1)
    assert only["Subject"] == "Review"
    assert len(notifications_of(org_a.organisation, org_a.member)) == 3


def test_unsubscribing_twice_is_harmless(org_a, smtp_server, raise_notification, client):
    raise_notification(org_a.organisation, org_a.member)
    url = _unsubscribe_url(smtp_server.wait_for(1)[0])
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    assert preferences_of(org_a.organisation, org_a.member) == {"endorsement": False}


def test_a_tampered_unsubscribe_token_is_refused_and_writes_nothing(
    org_a, smtp_server, raise_notification, client
):
    raise_notification(org_a.organisation, org_a.member)
    url = _unsubscribe_url(smtp_server.wait_for(1)[0])
    token = url.rstrip("/").rsplit("/", 1)[1]
    payload, timestamp, signature = token.split(":")
    for bad in (
        f"{payload}:{timestamp}:{signature[:-2]}xx",  # signature changed
        f"{payload[:-3]}abc:{timestamp}:{signature}",  # payload changed
        "not-a-token",
    ):
        bad_url = url.replace(token, bad)
        for response in (client.get(bad_url), client.post(bad_url)):
            assert response.status_code == 400
            body = response.content.decode()
            assert "This unsubscribe link is not valid" in body
            assert "Alpha Ltd" not in body
    assert preferences_of(org_a.organisation, org_a.member) == {}


def test_an_unsubscribe_token_of_one_organisation_does_nothing_in_another(
    org_a, org_b, smtp_server, raise_notification, client
):
    raise_notification(org_a.organisation, org_a.member)
    url = _unsubscribe_url(smtp_server.wait_for(1)[0])
    foreign = url.replace("/o/alpha/", "/o/beta/")
    assert client.get(foreign).status_code == 400
    response = client.post(foreign)
    assert response.status_code == 400
    assert "Beta GmbH" not in response.content.decode()
    assert preferences_of(org_a.organisation, org_a.member) == {}
    assert preferences_of(org_b.organisation, org_b.member) == {}


def test_a_repeated_dedupe_key_creates_and_sends_nothing(org_a, smtp_server, raise_notification):
    first = raise_notification(org_a.organisation, org_a.member, dedupe_key="2026-W10")
    again = raise_notification(org_a.organisation, org_a.member, dedupe_key="2026-W10")
    other_week = raise_notification(org_a.organisation, org_a.member, dedupe_key="2026-W11")
    assert first is not None and other_week is not None
    assert again is None
    smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2
    assert len(notifications_of(org_a.organisation, org_a.member)) == 2


def test_the_same_dedupe_key_is_independent_per_recipient_and_kind(org_a, raise_notification):
    assert raise_notification(org_a.organisation, org_a.member, dedupe_key="k") is not None
    assert raise_notification(org_a.organisation, org_a.manager, dedupe_key="k") is not None
    assert (
        raise_notification(org_a.organisation, org_a.member, kind=Kind.CAMPAIGN_ASK, dedupe_key="k")
        is not None
    )
    assert len(mail.outbox) == 3


def test_an_opted_out_kind_gets_the_in_app_row_and_no_email(org_a, login, raise_notification):
    response = login(org_a.member).post(
        "/o/alpha/me/notifications/preferences/",
        {"email_kinds": [k.value for k in Kind if k != Kind.CERTIFICATION_EXPIRY]},
    )
    assert response.status_code == 302
    notification = raise_notification(
        org_a.organisation, org_a.member, kind=Kind.CERTIFICATION_EXPIRY, title="AWS expires"
    )
    assert notification is not None
    assert reload(notification).email_state == EmailState.OPTED_OUT
    assert mail.outbox == []


def test_no_notification_for_someone_without_an_active_membership(
    org_a, org_b, outsider, raise_notification
):
    assert raise_notification(org_a.organisation, outsider) is None
    assert raise_notification(org_a.organisation, org_b.member) is None
    membership = org_a.memberships["member"]
    with organisation_context(org_a.organisation):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    assert raise_notification(org_a.organisation, org_a.member) is None
    assert notifications_of(org_a.organisation) == []
    assert mail.outbox == []


def test_a_rolled_back_change_leaves_no_notification_and_sends_no_email(
    org_a, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(
            organisation=org_a.organisation,
            recipient=org_a.member,
            kind=Kind.ENDORSEMENT,
            title="Never",
        )
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert notifications_of(org_a.organisation) == []
    assert mail.outbox == []


def test_the_email_is_only_sent_after_commit(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(
            organisation=org_a.organisation,
            recipient=org_a.member,
            kind=Kind.ENDORSEMENT,
            title="Later",
        )
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.subject for m in mail.outbox] == ["Later"]


def test_a_link_to_another_site_is_left_out_of_the_email(org_a, raise_notification):
    raise_notification(org_a.organisation, org_a.member, url="https://evil.example/phish")
    [message] = mail.outbox
    assert "evil.example" not in message.body
    assert "evil.example" not in message.alternatives[0][0]
