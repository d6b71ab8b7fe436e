"""Signing in through an organisation's own OpenID Connect provider, end to end: a real provider
(oidc-provider-mock on 127.0.0.1) is reached over HTTP, the code is exchanged with it over HTTP,
and the assertion's claims decide the account."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.audit import audit_sentence
from accounts.models import AuditEvent, Membership, User
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.conftest import World
from tests.factories import PersonFactory, UserFactory
from tests.sso.conftest import (
    OidcProvider,
    configure_oidc,
    sign_in_by_email,
    through_provider,
    verify_domain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_sso(org_a: World, oidc_provider: OidcProvider) -> World:
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider)
    return org_a


def _signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def test_the_first_sign_in_creates_the_user_and_a_member_membership_linked_to_the_person(
    alpha_sso: World, oidc_provider: OidcProvider
):
    organisation = alpha_sso.organisation
    with organisation_context(organisation):
        imported = PersonFactory(
            organisation=organisation, email="nina@alpha.example", name="N. Newbie"
        )
    oidc_provider.set_user(
        "nina", email="nina@alpha.example", name="Nina Newbie", job_title="Data Engineer"
    )
    client = Client()
    response = sign_in_by_email(client, "Nina@Alpha.example", "nina")

    assert response.status_code == 302 and response["Location"] == "/", response.content[:300]
    user = User.objects.get(email="nina@alpha.example")
    assert _signed_in_as(client) == user
    assert not user.has_usable_password()
    assert user.name == "Nina Newbie"
    with organisation_context(organisation):
        membership = Membership.objects.get(organisation=organisation, user=user)
        person = Person.objects.get(pk=imported.pk)
        verbs = set(AuditEvent.objects.filter(actor=user).values_list("verb", flat=True))
    assert membership.role == "member" and membership.is_active
    assert person.user_id == user.pk  # HR's imported record, not a second one
    assert (person.name, person.job_title) == ("Nina Newbie", "Data Engineer")
    assert {"sso.account_created", "membership.created", "person.linked", "sso.signed_in"} <= verbs
    with organisation_context(organisation):
        created = AuditEvent.objects.get(verb="sso.account_created", actor=user)
        signed_in = AuditEvent.objects.get(verb="sso.signed_in", actor=user)
    assert audit_sentence(created) == (
        "Nina Newbie got an account at their first single sign-on, as nina@alpha.example"
    )
    assert audit_sentence(signed_in) == "Nina Newbie signed in through OpenID Connect"
    # The organisation's pages are open to the new member at once.
    assert client.get(f"/o/{organisation.slug}/").status_code == 200


def test_the_next_sign_in_keeps_name_and_title_current(
    alpha_sso: World, oidc_provider: OidcProvider
):
    oidc_provider.set_user("omar", email="omar@alpha.example", name="Omar", job_title="Analyst")
    sign_in_by_email(Client(), "omar@alpha.example", "omar")
    oidc_provider.set_user(
        "omar", email="omar@alpha.example", name="Omar Haddad", job_title="Lead Analyst"
    )
    response = sign_in_by_email(Client(), "omar@alpha.example", "omar")

    assert response.status_code == 302
    assert User.objects.filter(email="omar@alpha.example").count() == 1
    assert SocialAccount.objects.filter(uid="omar", provider="org-alpha").count() == 1
    with organisation_context(alpha_sso.organisation):
        person = Person.objects.get(organisation=alpha_sso.organisation, email="omar@alpha.example")
    assert (person.name, person.job_title) == ("Omar Haddad", "Lead Analyst")


def test_an_existing_account_of_the_address_is_connected_and_joins(
    alpha_sso: World, oidc_provider: OidcProvider
):
    existing = UserFactory(email="pat@alpha.example")
    oidc_provider.set_user("pat-sub", email="pat@alpha.example", name="Pat")
    client = Client()
    assert sign_in_by_email(client, "pat@alpha.example", "pat-sub").status_code == 302
    assert _signed_in_as(client) == existing
    assert existing.has_usable_password()  # the account keeps its password
    with organisation_context(alpha_sso.organisation):
        assert Membership.objects.filter(
            organisation=alpha_sso.organisation, user=existing, role="member"
        ).exists()


def test_another_organisations_provider_asserting_an_address_of_our_domain_is_refused(
    alpha_sso: World, org_b: World, oidc_provider: OidcProvider
):
    """B's admin controls B's identity provider and makes it assert an address of A's verified
    domain: a new one (which would create an account) and an existing A member's (which would
    sign into it). Both are refused with a clear page, and nothing is written."""
    verify_domain(org_b.organisation, "beta.example")
    configure_oidc(org_b.organisation, org_b.admin, oidc_provider)
    users, accounts = User.objects.count(), SocialAccount.objects.count()
    with organisation_context(org_b.organisation):
        b_events = AuditEvent.objects.count()

    for sub, email in (("mallory", "ceo@alpha.example"), ("mallory2", alpha_sso.member.email)):
        oidc_provider.set_user(sub, email=email, name="Mallory")
        client = Client()
        response = through_provider(client, client.post("/accounts/oidc/org-beta/login/"), sub)
        assert response.status_code == 403
        assert b"not on a domain" in response.content and b"Nothing was created" in response.content
        assert _signed_in_as(client) is None

    assert (User.objects.count(), SocialAccount.objects.count()) == (users, accounts)
    with organisation_context(org_b.organisation):
        assert AuditEvent.objects.count() == b_events
        assert not Membership.objects.filter(user=alpha_sso.member).exists()


def test_an_address_on_no_verified_domain_is_refused(alpha_sso: World, oidc_provider: OidcProvider):
    oidc_provider.set_user("gmail", email="someone@gmail.example", name="Some One")
    client = Client()
    response = through_provider(client, client.post("/accounts/oidc/org-alpha/login/"), "gmail")
    assert response.status_code == 403
    assert not User.objects.filter(email="someone@gmail.example").exists()


def test_a_disabled_provider_is_not_used(org_a: World, oidc_provider: OidcProvider):
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider, is_enabled=False)
    client = Client()
    step = client.post("/accounts/login/", {"login": "nina@alpha.example"})
    assert step.status_code == 200 and b'name="password"' in step.content
    assert client.post("/accounts/oidc/org-alpha/login/").status_code == 404


def test_a_deactivated_member_stays_out(alpha_sso: World, oidc_provider: OidcProvider):
    membership = alpha_sso.memberships["member"]
    with organisation_context(alpha_sso.organisation):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    oidc_provider.set_user("member-sub", email=alpha_sso.member.email)
    client = Client()
    response = sign_in_by_email(client, alpha_sso.member.email, "member-sub")
    assert response.status_code == 403 and b"turned off" in response.content
    assert _signed_in_as(client) is None


@pytest.mark.parametrize(
    ("trust", "asked"), [(False, True), (True, False)], ids=["not-trusted", "trusted"]
)
def test_totp_is_asked_after_sso_unless_the_organisation_trusts_its_providers_mfa(
    org_a: World, oidc_provider: OidcProvider, trust: bool, asked: bool
):
    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider, trust_idp_mfa=trust)
    TOTP.activate(org_a.member, generate_totp_secret())
    oidc_provider.set_user("totp-member", email=org_a.member.email)
    client = Client()
    response = sign_in_by_email(client, org_a.member.email, "totp-member")
    assert response.status_code == 302
    if asked:
        assert response["Location"] == "/accounts/2fa/authenticate/"
        assert _signed_in_as(client) is None
    else:
        assert response["Location"] == "/"
        assert _signed_in_as(client) == org_a.member


def test_the_mapped_team_attribute_puts_the_person_in_an_existing_team_only(
    org_a: World, oidc_provider: OidcProvider
):
    from teams.models import TeamMembership
    from tests.factories import TeamFactory

    verify_domain(org_a.organisation, "alpha.example")
    configure_oidc(org_a.organisation, org_a.admin, oidc_provider, attribute_team="department")
    with organisation_context(org_a.organisation):
        platform = TeamFactory(organisation=org_a.organisation, name="Platform")
    oidc_provider.set_user("quinn", email="quinn@alpha.example", department="platform")
    oidc_provider.set_user("rae", email="rae@alpha.example", department="No Such Team")
    sign_in_by_email(Client(), "quinn@alpha.example", "quinn")
    sign_in_by_email(Client(), "rae@alpha.example", "rae")
    with organisation_context(org_a.organisation):
        members = set(
            TeamMembership.objects.filter(team=platform).values_list("person__email", flat=True)
        )
        teams = set(
            TeamMembership.objects.filter(person__email="rae@alpha.example").values_list(
                "team__name", flat=True
            )
        )
    assert members == {"quinn@alpha.example"}
    assert teams == set()
