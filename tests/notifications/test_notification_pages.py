"""The bell, the list, reading notifications and the email preferences page: a member only ever
sees their own notifications of the organisation they are in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.kinds import Kind
from tests.notifications.conftest import notifications_of, preferences_of, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def inboxes(org_a, org_b, raise_notification):
    """Two unread for alpha's member, one for alpha's manager, one for beta's member."""
    mine = [
        raise_notification(
            org_a.organisation,
            org_a.member,
            title="Mo validated your rating of Python",
            url="/o/alpha/me/skills/",
        ),
        raise_notification(org_a.organisation, org_a.member, title="Review campaign Q3 is open"),
    ]
    managers = raise_notification(org_a.organisation, org_a.manager, title="MANAGER ONLY")
    beta = raise_notification(org_b.organisation, org_b.member, title="BETA ONLY")
    return mine, managers, beta


def test_the_page_itself_runs_no_query_for_the_bell_and_links_to_the_list_without_js(
    org_a, login, inboxes
):
    page = login(org_a.member).get("/o/alpha/me/notifications/preferences/")
    body = page.content.decode()
    assert 'href="/o/alpha/notifications/" class="nav-bell"' in body
    assert 'hx-get="/o/alpha/notifications/bell/" hx-trigger="load"' in body
    with CaptureQueriesContext(connection) as queries:
        login(org_a.member).get("/o/alpha/")
    assert not any("notifications_notification" in q["sql"] for q in queries.captured_queries)


def test_the_bell_counts_only_my_unread_notifications_of_this_organisation(
    org_a, org_b, login, inboxes
):
    client = login(org_a.member)
    bell = client.get("/o/alpha/notifications/bell/")
    assert bell.status_code == 200
    assert ">2<" in bell.content.decode()
    assert bell["Cache-Control"].startswith("max-age=0")
    # The manager's own count, and nothing for a member of beta who is not in alpha.
    assert ">1<" in login(org_a.manager).get("/o/alpha/notifications/bell/").content.decode()
    assert login(org_b.member).get("/o/alpha/notifications/bell/").status_code == 404


def test_the_list_shows_mine_newest_first_with_unread_marked(org_a, login, inboxes):
    response = login(org_a.member).get("/o/alpha/notifications/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Review campaign Q3 is open") < body.index("Mo validated your rating")
    assert body.count(">Unread</span>") == 2
    assert "MANAGER ONLY" not in body
    assert "BETA ONLY" not in body


def test_the_list_is_paged(org_a, login, raise_notification):
    for n in range(30):
        raise_notification(org_a.organisation, org_a.member, title=f"Note {n:02d}")
    client = login(org_a.member)
    first = client.get("/o/alpha/notifications/").content.decode()
    assert "Note 29" in first and "Note 04" not in first
    assert "Page 1 of 2" in first
    second = client.get("/o/alpha/notifications/?page=2").content.decode()
    assert "Note 04" in second and "Note 29" not in second


def test_opening_a_notification_marks_it_read_and_follows_its_link(org_a, login, inboxes):
    (validated, _), _, _ = inboxes
    response = login(org_a.member).get(f"/o/alpha/notifications/{validated.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/me/skills/"
    assert reload(validated).read_at is not None


def test_a_notification_never_redirects_off_site(org_a, login, raise_notification):
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        notification = raise_notification(org_a.organisation, org_a.member, url=url)
        response = login(org_a.member).get(f"/o/alpha/notifications/{notification.pk}/open/")
        assert response["Location"] == "/o/alpha/notifications/"


def test_another_members_or_organisations_notification_is_404_and_stays_unread(
    org_a, org_b, login, inboxes
):
    _, managers, beta = inboxes
    client = login(org_a.member)
    for notification in (managers, beta):
        assert client.get(f"/o/alpha/notifications/{notification.pk}/open/").status_code == 404
        assert client.post(f"/o/alpha/notifications/{notification.pk}/read/").status_code == 404
    assert client.get("/o/alpha/notifications/987654/open/").status_code == 404
    # Through beta's URL an alpha member is not a member at all.
    assert client.post(f"/o/beta/notifications/{beta.pk}/read/").status_code == 404
    assert reload(managers).read_at is None
    assert reload(beta).read_at is None


def test_mark_as_read_without_javascript_returns_to_the_list(org_a, login, inboxes):
    (first, second), _, _ = inboxes
    response = login(org_a.member).post(f"/o/alpha/notifications/{first.pk}/read/", {"page": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/notifications/?page=1"
    assert reload(first).read_at is not None
    assert reload(second).read_at is None


def test_mark_as_read_with_htmx_swaps_the_notification_in_place(org_a, login, inboxes):
    (first, _), _, _ = inboxes
    response = login(org_a.member).post(
        f"/o/alpha/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="notification-{first.pk}"' in body
    assert "Unread" not in body and "Mark as read" not in body


def test_mark_as_read_refuses_get(org_a, login, inboxes):
    (first, _), _, _ = inboxes
    assert login(org_a.member).get(f"/o/alpha/notifications/{first.pk}/read/").status_code == 405
    assert reload(first).read_at is None


def test_mark_all_as_read_marks_only_mine_here(org_a, org_b, login, inboxes):
    response = login(org_a.member).post("/o/alpha/notifications/read-all/", follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert all(n.read_at for n in notifications_of(org_a.organisation, org_a.member))
    assert all(n.read_at is None for n in notifications_of(org_a.organisation, org_a.manager))
    assert all(n.read_at is None for n in notifications_of(org_b.organisation))
    assert "Nothing unread" in response.content.decode()


def test_the_unread_filter(org_a, login, inboxes):
    (first, _), _, _ = inboxes
    client = login(org_a.member)
    client.post(f"/o/alpha/notifications/{first.pk}/read/")
    body = client.get("/o/alpha/notifications/?unread=1").content.decode()
    assert "Review campaign Q3 is open" in body
    assert "Mo validated your rating" not in body


def test_the_preferences_page_round_trip(org_a, org_b, login):
    client = login(org_a.member)
    page = client.get("/o/alpha/me/notifications/preferences/")
    body = page.content.decode()
    assert page.status_code == 200
    for kind in Kind:
        assert kind.label in body
    # Every kind starts ticked: email on unless turned off.
    assert body.count("checked") == len(Kind)

    wanted = [Kind.CAMPAIGN_ASK.value, Kind.RATING_VALIDATED.value]
    response = client.post("/o/alpha/me/notifications/preferences/", {"email_kinds": wanted})
    assert response.status_code == 302
    stored = preferences_of(org_a.organisation, org_a.member)
    assert {k for k, on in stored.items() if on} == set(wanted)
    assert {k for k, on in stored.items() if not on} == {k.value for k in Kind} - set(wanted)
    again = client.get("/o/alpha/me/notifications/preferences/").content.decode()
    assert again.count("checked") == 2
    # Another organisation's settings are separate.
    assert preferences_of(org_b.organisation, org_b.member) == {}


def test_the_preferences_page_refuses_an_unknown_kind_and_writes_nothing(org_a, login):
    response = login(org_a.member).post(
        "/o/alpha/me/notifications/preferences/", {"email_kinds": ["campaign_ask", "spam"]}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert preferences_of(org_a.organisation, org_a.member) == {}


@pytest.mark.parametrize(
    "path",
    [
        "/o/alpha/notifications/",
        "/o/alpha/notifications/bell/",
        "/o/alpha/me/notifications/preferences/",
    ],
)
def test_an_outsider_gets_404(org_a, outsider, login, path):
    assert login(outsider).get(path).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(org_a, client):
    response = client.get("/o/alpha/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
