"""The SSO settings over the API: admins read, set, change and remove the organisation's provider;
the client secret goes in and never comes out."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context
from sso.crypto import secret_decrypt
from sso.models import IdentityProvider
from tests.conftest import World

pytestmark = pytest.mark.django_db

BODY = {
    "protocol": "oidc",
    "oidc_issuer": "https://login.alpha.example",
    "oidc_client_id": "skillsmap",
    "oidc_client_secret": "api-secret-value",
    "is_enabled": True,
    "trust_idp_mfa": True,
}


@pytest.fixture
def admin_api(org_a: World, api):
    return api(org_a.admin)


def _url(world: World) -> str:
    return f"/api/v1/orgs/{world.organisation.slug}/sso/"


def test_an_admin_sets_reads_changes_and_removes_the_provider(org_a: World, admin_api):
    assert admin_api.get(_url(org_a)).status_code == 404  # nothing configured yet
    created = admin_api.put(_url(org_a), BODY, format="json")
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["protocol"] == "oidc" and body["is_enabled"] is True
    assert body["oidc_client_secret_set"] is True
    assert body["oidc_redirect_uri"] == "http://testserver/accounts/oidc/org-alpha/login/callback/"
    assert body["saml_acs_url"] == "http://testserver/accounts/saml/alpha/acs/"
    assert "api-secret-value" not in created.content.decode()

    changed = admin_api.patch(_url(org_a), {"sso_required": True}, format="json")
    assert changed.status_code == 200
    assert changed.json()["sso_required"] is True
    assert changed.json()["trust_idp_mfa"] is True  # left as it was
    with organisation_context(org_a.organisation):
        provider = IdentityProvider.objects.get(organisation=org_a.organisation)
        assert secret_decrypt(provider.oidc_client_secret_encrypted) == "api-secret-value"
        events = list(AuditEvent.objects.filter(verb__startswith="sso.").order_by("id"))
    assert [e.verb for e in events] == ["sso.configured", "sso.enabled", "sso.updated"]
    assert all("api-secret-value" not in f"{e.before}{e.after}" for e in events)

    assert admin_api.get(_url(org_a)).json()["sso_required"] is True
    assert admin_api.delete(_url(org_a)).status_code == 204
    assert admin_api.get(_url(org_a)).status_code == 404


def test_an_incomplete_provider_is_a_400_per_field(org_a: World, admin_api):
    response = admin_api.put(
        _url(org_a), {"protocol": "oidc", "oidc_client_id": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"oidc_issuer", "oidc_client_secret"}


def test_the_secret_is_write_only_even_for_the_admin_who_set_it(org_a: World, admin_api):
    admin_api.put(_url(org_a), BODY, format="json")
    read = admin_api.get(_url(org_a))
    assert "oidc_client_secret" not in read.json()
    assert "api-secret-value" not in read.content.decode()


def test_hr_is_refused_and_another_organisations_provider_is_untouched(
    org_a: World, org_b: World, api
):
    api(org_b.admin).put(_url(org_b), BODY, format="json")
    assert api(org_a.hr).put(_url(org_a), BODY, format="json").status_code == 403
    assert api(org_a.admin).get(_url(org_a)).status_code == 404  # B's is not A's
    assert api(org_a.admin).delete(_url(org_b)).status_code == 404
    assert api(org_b.admin).get(_url(org_b)).status_code == 200
