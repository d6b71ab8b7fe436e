"""Personal API tokens: made and revoked on a page, shown once, stored hashed, optionally confined
to one organisation or read-only; throttled with Retry-After; sessions need their CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.api.conftest import Furnished
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _create_on_page(client: Client, **data: object) -> str:
    response = client.post("/settings/tokens/", {"name": "HR sync", **data})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'value="(smk_[^"]+)"', response.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


def test_a_token_made_on_the_page_is_shown_once_and_stored_only_as_a_hash(org_a, login):
    client = login(org_a.member)
    secret = _create_on_page(client)
    token = ApiToken.objects.get(user=org_a.member)
    assert secret not in token.token_hash and token.token_hash != secret
    assert secret.startswith(f"smk_{token.prefix}_")
    listing = client.get("/settings/tokens/").content.decode()
    assert "HR sync" in listing and token.prefix in listing
    assert secret not in listing  # never again

    me = _bearer(secret).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == org_a.member.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_stops_working_on_the_next_request(org_a, login):
    client = login(org_a.member)
    secret = _create_on_page(client)
    api = _bearer(secret)
    assert api.get(f"/api/v1/orgs/{org_a.organisation.slug}/skills/").status_code == 200
    token = ApiToken.objects.get(user=org_a.member)
    assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    response = api.get(f"/api/v1/orgs/{org_a.organisation.slug}/skills/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token is not valid or has been revoked."


def test_nobody_revokes_someone_elses_token(org_a, login):
    _create_on_page(login(org_a.member))
    token = ApiToken.objects.get(user=org_a.member)
    response = login(org_a.admin).post(f"/settings/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_a_token_confined_to_one_organisation_cannot_reach_the_others(org_a, org_b, login):
    # The member of A also belongs to B; the token is for A only.
    MembershipFactory(organisation=org_b.organisation, user=org_a.member)
    secret = _create_on_page(login(org_a.member), organisation=org_a.organisation.slug)
    api = _bearer(secret)
    assert api.get(f"/api/v1/orgs/{org_a.organisation.slug}/").status_code == 200
    assert api.get(f"/api/v1/orgs/{org_b.organisation.slug}/").status_code == 404
    assert [o["slug"] for o in api.get("/api/v1/orgs/").json()] == [org_a.organisation.slug]


def test_the_token_page_offers_only_the_users_organisations(org_a, org_b, login):
    page = login(org_a.member).get("/settings/tokens/").content.decode()
    assert org_a.organisation.name in page
    assert org_b.organisation.name not in page
    response = login(org_a.member).post(
        "/settings/tokens/", {"name": "x", "organisation": org_b.organisation.slug}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=org_a.member).exists()


def test_a_read_only_token_reads_but_never_writes(alpha: Furnished, api):
    client = api(alpha.world.admin, read_only=True)
    base = f"/api/v1/orgs/{alpha.slug}"
    assert client.get(f"{base}/skills/").status_code == 200
    response = client.post(f"{base}/roles/", {"name": "Data Engineer"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This token is read-only."


def test_anonymous_and_bad_tokens_get_401_with_a_challenge(org_a):
    anonymous = APIClient().get("/api/v1/me/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
    for header in ("Bearer nonsense", "Bearer smk_0000_x", "Bearer a b"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/me/").status_code == 401


def test_repeated_invalid_tokens_are_refused_with_retry_after(org_a, api):
    valid = api(org_a.member)
    bad = _bearer("smk_deadbeef_not-a-real-token")
    codes = [bad.get("/api/v1/me/").status_code for _ in range(21)]
    assert codes[:20] == [401] * 20
    refused = bad.get("/api/v1/me/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # Colleagues behind the same address keep working with their valid tokens.
    assert valid.get("/api/v1/me/").status_code == 200


def test_too_many_requests_get_429_with_retry_after(org_a, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "5/minute"},
    }
    client = api(org_a.member)
    codes = [client.get("/api/v1/me/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    response = client.get("/api/v1/me/")
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_browser_session_needs_its_csrf_token_to_write(alpha: Furnished):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alpha.world.admin)
    url = f"/api/v1/orgs/{alpha.slug}/roles/"
    assert client.get(url).status_code == 200  # reads need no token
    refused = client.post(url, {"name": "Data Engineer"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/settings/tokens/")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(url, {"name": "Data Engineer"}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201
