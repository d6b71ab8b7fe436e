"""SCIM tokens through the REST API (admins): the secret and the base URL come back once."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_an_admin_creates_lists_reads_and_revokes_a_token_through_the_api(org_a: World):
    api = APIClient()
    api.force_authenticate(org_a.admin)
    base = "/api/v1/orgs/alpha/scim-tokens/"

    created = api.post(base, {"name": "Okta"}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith(f"scim_{body['prefix']}_")
    assert body["scim_base_url"] == "http://testserver/scim/v2/alpha/"
    assert body["created_by"] == org_a.admin.email
    listed = api.get(base).json()["results"]
    assert [t["id"] for t in listed] == [body["id"]] and "secret" not in listed[0]
    scim = APIClient()
    assert (
        scim.get("/scim/v2/alpha/Users", HTTP_AUTHORIZATION=f"Bearer {body['secret']}").status_code
        == 200
    )

    revoked = api.post(f"{base}{body['id']}/revoke/", {}, format="json")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api.get(f"{base}{body['id']}/").json()["revoked_at"]
    assert (
        scim.get("/scim/v2/alpha/Users", HTTP_AUTHORIZATION=f"Bearer {body['secret']}").status_code
        == 401
    )


def test_another_organisations_token_is_a_404(org_a: World, org_b: World):
    api = APIClient()
    api.force_authenticate(org_b.admin)
    own = api.post("/api/v1/orgs/beta/scim-tokens/", {"name": "B"}, format="json").json()
    api.force_authenticate(org_a.admin)

    assert api.get(f"/api/v1/orgs/alpha/scim-tokens/{own['id']}/").status_code == 404
    assert (
        api.post(
            f"/api/v1/orgs/alpha/scim-tokens/{own['id']}/revoke/", {}, format="json"
        ).status_code
        == 404
    )
