"""The rule "SSO required": the members on an organisation's verified domains cannot use a
password, not on the page and not by posting to the sign-in directly; the break-glass path keeps
an admin with two-factor authentication able to get in when the identity provider is down, and
is audited."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from accounts.audit import audit_sentence
from accounts.models import AuditEvent, User
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.factories import TEST_PASSWORD, UserFactory
from tests.sso.conftest import OidcProvider, configure_oidc, provider_url, verify_domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(org_a: World, oidc_provider: OidcProvider) -> World:
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider, sso_required=True)
    return org_a


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _password_login(client: Client, email: str, *, break_glass: bool = False) -> object:
    data = {"login": email, "password": TEST_PASSWORD}
    if break_glass:
        data["break_glass"] = "1"
    url = "/accounts/login/?break_glass=1" if break_glass else "/accounts/login/"
    return client.post(url, data)


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_a_password_posted_directly_is_refused_for_a_verified_domain_address(required: World):
    client = Client()
    response = _password_login(client, required.member.email)
    assert response.status_code == 403
    assert b"requires its members to sign in through its identity provider" in response.content
    assert not _signed_in(client)


def test_the_email_step_never_offers_the_password_for_such_an_address(required: World):
    response = Client().post("/accounts/login/", {"login": required.member.email})
    assert response.status_code == 200 and 'name="password"' not in response.content.decode()
    assert provider_url(response).startswith("http://127.0.0.1:")  # the identity provider


def test_addresses_of_other_domains_still_use_their_password(required: World):
    elsewhere = UserFactory(email="contractor@elsewhere.example")
    client = Client()
    assert _password_login(client, elsewhere.email).status_code == 302
    assert _signed_in(client)


def test_without_sso_required_a_password_still_works(org_a: World, oidc_provider: OidcProvider):
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider, sso_required=False)
    client = Client()
    assert _password_login(client, org_a.member.email).status_code == 302
    assert _signed_in(client)


def test_break_glass_lets_an_admin_in_with_password_and_totp_and_is_audited(required: World):
    secret = generate_totp_secret()
    TOTP.activate(required.admin, secret)
    client = Client()
    page = client.get("/accounts/login/?break_glass=1")
    assert b"Break-glass" in page.content and b'name="break_glass"' in page.content
    # The email step of break-glass does not route to the provider: it asks for the password.
    step = client.post(
        "/accounts/login/?break_glass=1", {"login": required.admin.email, "break_glass": "1"}
    )
    assert step.status_code == 200 and b'name="password"' in step.content

    response = _password_login(client, required.admin.email, break_glass=True)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not _signed_in(client)  # the password alone is not enough
    assert client.post("/accounts/2fa/authenticate/", {"code": _code(secret)}).status_code == 302
    assert _signed_in(client)
    with organisation_context(required.organisation):
        event = AuditEvent.objects.get(verb="sso.break_glass_used")
    assert event.actor == required.admin
    assert "break-glass" in audit_sentence(event)


@pytest.mark.parametrize("role", ["member", "hr"])
def test_break_glass_is_refused_to_anyone_but_an_admin(required: World, role: str):
    TOTP.activate(required.user(role), generate_totp_secret())
    client = Client()
    response = _password_login(client, required.user(role).email, break_glass=True)
    assert response.status_code == 403
    assert not _signed_in(client)


def test_break_glass_needs_the_admin_to_have_two_factor_authentication(required: World):
    client = Client()
    response = _password_login(client, required.admin.email, break_glass=True)
    assert response.status_code == 403
    assert b"two-factor" in response.content
    assert not _signed_in(client)
    with organisation_context(required.organisation):
        assert not AuditEvent.objects.filter(verb="sso.break_glass_used").exists()


def test_an_admin_of_another_organisation_gets_no_break_glass_here(required: World, org_b: World):
    """Break-glass is for the admins of the organisation that requires SSO: B's admin with an
    address on A's domain (joined B only) is refused like any A address."""
    stranger = UserFactory(email="admin-of-b@alpha.example")
    from tests.factories import MembershipFactory

    MembershipFactory(organisation=org_b.organisation, user=stranger, role="admin")
    TOTP.activate(stranger, generate_totp_secret())
    client = Client()
    assert _password_login(client, stranger.email, break_glass=True).status_code == 403
    assert User.objects.filter(pk=stranger.pk).exists()
