"""The sign-in page starts with the email: it routes an address of an SSO organisation to that
organisation's provider, shows the password step for any other, and never tells who has an
account or which organisations and providers exist."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import World
from tests.factories import TEST_PASSWORD, UserFactory
from tests.sso.conftest import OidcProvider, configure_oidc, provider_url, verify_domain

pytestmark = pytest.mark.django_db


def _without_csrf(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def test_the_first_step_asks_for_the_email_only_and_lists_no_provider(
    org_a: World, oidc_provider: OidcProvider
):
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider)
    page = Client().get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="login"' in html and 'type="email"' in html
    assert 'name="password"' not in html
    for leak in ("Alpha Ltd", "alpha", "oidc", "openid", "saml"):
        assert leak not in html.lower().replace("autocomplete", ""), leak


def test_an_address_without_sso_signs_in_with_its_password_in_the_second_step(db: None):
    user = UserFactory(email="ada@example.com")
    client = Client()
    step = client.post("/accounts/login/", {"login": "ada@example.com"})
    assert step.status_code == 200
    assert 'name="password"' in step.content.decode()
    assert 'value="ada@example.com"' in step.content.decode()  # filled in, not asked again
    done = client.post("/accounts/login/", {"login": "ada@example.com", "password": TEST_PASSWORD})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_second_step_is_the_same_whether_or_not_the_address_has_an_account(db: None):
    UserFactory(email="known@example.com")
    known = Client().post("/accounts/login/", {"login": "known@example.com"})
    unknown = Client().post("/accounts/login/", {"login": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(known.content).replace("known@", "X@") == _without_csrf(
        unknown.content
    ).replace("unknown@", "X@")


def test_an_sso_domain_goes_to_the_provider_whether_or_not_the_address_has_an_account(
    org_a: World, oidc_provider: OidcProvider
):
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider)
    for email in (org_a.member.email, "nobody-yet@ALPHA.example"):
        response = Client().post("/accounts/login/", {"login": email})
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert 'name="password"' not in html and "Alpha Ltd" not in html
        url = provider_url(response)
        assert url.startswith(f"{oidc_provider.issuer}/oauth2/authorize?")
        assert "client_id=skillsmap-alpha" in url


def test_a_domain_claimed_but_not_verified_does_not_route(
    org_a: World, oidc_provider: OidcProvider
):
    from skillsmap.core.tenancy import organisation_context
    from tests.factories import DomainFactory

    with organisation_context(org_a.organisation):
        DomainFactory(organisation=org_a.organisation, name="alpha.example")  # pending
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider)
    response = Client().post("/accounts/login/", {"login": org_a.member.email})
    assert response.status_code == 200 and 'name="password"' in response.content.decode()


def test_a_mistyped_address_is_asked_again_with_the_error(db: None):
    response = Client().post("/accounts/login/", {"login": "not-an-address"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-error-summary" in html and 'name="password"' not in html


def test_next_is_kept_through_both_steps(db: None):
    UserFactory(email="nextuser@example.com")
    client = Client()
    step = client.post("/accounts/login/", {"login": "nextuser@example.com", "next": "/orgs/"})
    assert 'name="next" value="/orgs/"' in step.content.decode()
    done = client.post(
        "/accounts/login/",
        {"login": "nextuser@example.com", "password": TEST_PASSWORD, "next": "/orgs/"},
    )
    assert done["Location"] == "/orgs/"


def test_a_saml_organisations_address_goes_to_its_saml_provider(org_a: World):
    """The same routing for SAML: the app is built from the stored metadata, keyed by the slug."""
    from skillsmap.core.tenancy import organisation_context
    from sso.services import ProviderSettings, identity_provider_save
    from tests.sso.idp.support import idp_metadata, key_pair_generate

    verify_domain(org_a.organisation, "alpha.example")
    metadata = idp_metadata(
        entity_id="https://idp.alpha.example/metadata",
        sso_url="https://idp.alpha.example/sso",
        cert_b64=key_pair_generate().cert_b64,
    )
    with organisation_context(org_a.organisation):
        identity_provider_save(
            organisation=org_a.organisation,
            by=org_a.admin,
            data=ProviderSettings(protocol="saml", is_enabled=True, saml_metadata_xml=metadata),
        )
    # python3-saml reads the Host header, which browsers always send (the test client does not).
    response = Client(HTTP_HOST="127.0.0.1").post("/accounts/login/", {"login": org_a.member.email})
    assert provider_url(response).startswith("https://idp.alpha.example/sso?SAMLRequest=")
