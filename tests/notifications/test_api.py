"""The notifications API: only one's own notifications, ever; another user's or another
organisation's id reads like a missing one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from notifications.kinds import Kind
from tests.notifications.conftest import notifications_of, preferences_of, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def _client(user):
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test')[1]}"
        )
        return client

    return _client


@pytest.fixture
def inboxes(org_a, org_b, raise_notification):
    mine = [
        raise_notification(org_a.organisation, org_a.member, title="First"),
        raise_notification(org_a.organisation, org_a.member, title="Second", url="/o/alpha/"),
    ]
    managers = raise_notification(org_a.organisation, org_a.manager, title="MANAGER ONLY")
    beta = raise_notification(org_b.organisation, org_b.member, title="BETA ONLY")
    return mine, managers, beta


def test_the_list_holds_only_my_notifications_newest_first(org_a, api, inboxes):
    response = api(org_a.member).get("/api/v1/orgs/alpha/notifications/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["title"] for r in results] == ["Second", "First"]
    assert results[0]["url"] == "/o/alpha/"
    assert results[0]["is_read"] is False
    assert results[0]["kind"] == "endorsement"


def test_even_an_admin_sees_only_their_own(org_a, api, inboxes):
    response = api(org_a.admin).get("/api/v1/orgs/alpha/notifications/")
    assert response.json()["results"] == []


def test_mark_one_read_then_filter_unread(org_a, api, inboxes):
    (first, second), _, _ = inboxes
    client = api(org_a.member)
    response = client.post(f"/api/v1/orgs/alpha/notifications/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    unread = client.get("/api/v1/orgs/alpha/notifications/?unread=true").json()["results"]
    assert [r["id"] for r in unread] == [second.pk]


def test_another_users_or_organisations_id_is_404_and_changes_nothing(org_a, api, inboxes):
    _, managers, beta = inboxes
    client = api(org_a.member)
    missing = client.post("/api/v1/orgs/alpha/notifications/987654/read/")
    for notification in (managers, beta):
        response = client.post(f"/api/v1/orgs/alpha/notifications/{notification.pk}/read/")
        assert response.status_code == 404
        assert response.json() == missing.json() == {"detail": "Not found.", "code": "not_found"}
        assert reload(notification).read_at is None


def test_mark_all_read_counts_and_touches_only_mine(org_a, org_b, api, inboxes):
    response = api(org_a.member).post("/api/v1/orgs/alpha/notifications/read-all/")
    assert response.json() == {"marked": 2}
    assert all(n.read_at for n in notifications_of(org_a.organisation, org_a.member))
    assert all(n.read_at is None for n in notifications_of(org_a.organisation, org_a.manager))
    assert all(n.read_at is None for n in notifications_of(org_b.organisation))


def test_preferences_get_and_put(org_a, org_b, api):
    client = api(org_a.member)
    assert client.get("/api/v1/orgs/alpha/notifications/preferences/").json() == {
        kind.value: True for kind in Kind
    }
    response = client.put(
        "/api/v1/orgs/alpha/notifications/preferences/",
        {"endorsement": False, "campaign_reminder": False},
        format="json",
    )
    assert response.status_code == 200
    expected = {kind.value: True for kind in Kind} | {
        "endorsement": False,
        "campaign_reminder": False,
    }
    assert response.json() == expected
    # A later PUT names one kind; the others keep their setting.
    response = client.put(
        "/api/v1/orgs/alpha/notifications/preferences/", {"endorsement": True}, format="json"
    )
    assert response.json() == expected | {"endorsement": True}
    assert preferences_of(org_b.organisation, org_b.member) == {}


def test_preferences_refuse_an_unknown_kind_or_a_non_boolean(org_a, api):
    client = api(org_a.member)
    for body, field in (({"spam": False}, "spam"), ({"endorsement": "maybe"}, "endorsement")):
        response = client.put("/api/v1/orgs/alpha/notifications/preferences/", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
    assert preferences_of(org_a.organisation, org_a.member) == {}
