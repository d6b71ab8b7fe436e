"""SAML sign-in end to end (#15) through allauth's own ACS, against a real identity provider: the
pysaml2 IdP of tests/sso/idp running as its own process, signing with a key this module generates
(through xmlsec1). A valid response signs in and creates the member just in time; tampered,
expired, replayed, unsigned and wrong-audience responses, and another organisation's IdP asserting
our domain, are each refused with a clear page and nothing created."""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import Membership, User
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider, Protocol
from teams.models import Person
from tests.conftest import World
from tests.factories import DomainFactory
from tests.sso.idp.support import (
    EMAIL_OID,
    NAME_OID,
    SAML,
    TITLE_OID,
    KeyPair,
    RunningIdp,
    key_pair_generate,
    request_id_of,
    response_build,
    response_decode,
    response_encode,
    xmlsec1_available,
)

HOST = "localhost"  # python3-saml refuses single-label hosts such as Django's "testserver"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    if not xmlsec1_available():
        reason = "the SAML identity provider needs xmlsec1 (apt-get install xmlsec1)"
        if os.environ.get("REQUIRE_SAML_IDP") == "1":
            pytest.fail(f"REQUIRE_SAML_IDP=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    running = RunningIdp(key_pair_generate(), tmp_path_factory.mktemp("idp"))
    try:
        yield running
    finally:
        running.close()


def _client() -> Client:
    return Client(HTTP_HOST=HOST)


def _configure(world: World, idp: RunningIdp, *, domain: str | None = None) -> None:
    """The organisation verified its domain and stored its IdP's metadata; the IdP knows our SP
    (its admin registered our metadata, served at /accounts/saml/<slug>/metadata/)."""
    organisation = world.organisation
    with organisation_context(organisation):
        DomainFactory(
            organisation=organisation, name=domain or f"{organisation.slug}.example", verified=True
        )
        IdentityProvider.objects.create(
            organisation=organisation,
            protocol=Protocol.SAML,
            is_enabled=True,
            saml_metadata_xml=idp.metadata(),
            attribute_email=EMAIL_OID,
            attribute_name=NAME_OID,
            attribute_title=TITLE_OID,
        )
    response = _client().get(f"/accounts/saml/{organisation.slug}/metadata/")
    assert response.status_code == 200, response.content
    idp.register_sp(response.content.decode())


@dataclass(frozen=True)
class Counts:
    users: int
    social_accounts: int
    memberships: int
    people: int


def _counts(*worlds: World) -> Counts:
    memberships = people = 0
    for world in worlds:
        with organisation_context(world.organisation):
            memberships += Membership.objects.filter(organisation=world.organisation).count()
            people += Person.objects.filter(organisation=world.organisation).count()
    return Counts(User.objects.count(), SocialAccount.objects.count(), memberships, people)


def _start(client: Client, slug: str) -> str:
    """Start a sign-in as the product's page does; returns the redirect to the IdP."""
    response = client.post(f"/accounts/saml/{slug}/login/")
    assert response.status_code == 302, response.content
    return str(response["Location"])


def _post_acs(client: Client, slug: str, fields: dict[str, str]):
    acs = f"/accounts/saml/{slug}/acs/"
    if "_action" in fields:
        assert urlsplit(fields["_action"]).path == acs
    response = client.post(
        acs, {"SAMLResponse": fields["SAMLResponse"], "RelayState": fields.get("RelayState", "")}
    )
    assert response.status_code == 302  # allauth's ACS hands over to its finish view
    return client.get(response["Location"])


def _refused_page(response) -> None:
    body = response.content.decode()
    assert "This sign-in was refused" in body
    assert "nothing was created" in body


def _signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


@pytest.fixture
def alpha(org_a: World, idp: RunningIdp) -> World:
    _configure(org_a, idp)
    return org_a


def _sign_in_at_idp(idp: RunningIdp, client: Client, slug: str, email: str, **attrs: str):
    redirect = _start(client, slug)
    return redirect, idp.sign_in(redirect, email=email, **attrs)


def test_valid_response_signs_in_and_creates_the_member_just_in_time(
    alpha: World, idp: RunningIdp
) -> None:
    before = _counts(alpha)
    client = _client()
    _, fields = _sign_in_at_idp(
        idp, client, "alpha", "new.hire@alpha.example", name="New Hire", title="Engineer"
    )
    response = _post_acs(client, "alpha", fields)
    assert response.status_code == 302, response.content.decode()
    assert _signed_in_as(client) == "new.hire@alpha.example"
    after = _counts(alpha)
    assert after == Counts(
        before.users + 1, before.social_accounts + 1, before.memberships + 1, before.people + 1
    )
    with organisation_context(alpha.organisation):
        membership = Membership.objects.get(
            organisation=alpha.organisation, user__email="new.hire@alpha.example"
        )
        person = Person.objects.get(organisation=alpha.organisation, user=membership.user)
    assert membership.role == "member"
    assert (person.name, person.job_title) == ("New Hire", "Engineer")
    # The raw attributes stay with the account, for the next sign-in's name and title update.
    account = SocialAccount.objects.get(user=membership.user)
    assert account.extra_data[EMAIL_OID] == ["new.hire@alpha.example"]


def test_tampered_assertion_is_refused(alpha: World, idp: RunningIdp) -> None:
    client = _client()
    _, fields = _sign_in_at_idp(idp, client, "alpha", "new.hire@alpha.example")
    # Change the signed email attribute after signing: the admin's address, say.
    root = response_decode(fields["SAMLResponse"])
    values = root.findall(f".//{{{SAML}}}Attribute[@Name='{EMAIL_OID}']/{{{SAML}}}AttributeValue")
    assert values
    for value in values:
        value.text = "admin@alpha.example"
    before = _counts(alpha)
    response = _post_acs(client, "alpha", {**fields, "SAMLResponse": response_encode(root)})
    _refused_page(response)
    assert "Signature validation failed" in response.content.decode()
    assert _counts(alpha) == before
    assert _signed_in_as(client) is None


def _forged(
    client: Client,
    world: World,
    idp: RunningIdp,
    *,
    keys: KeyPair | None,
    audience: str | None = None,
    until: dt.datetime | None = None,
    email: str = "new.hire@alpha.example",
    sha1: bool = False,
    idp_initiated: bool = False,
) -> str:
    """A response to a real AuthnRequest of ours, built by hand: what a broken or hostile IdP
    might send, in the form the real one uses."""
    slug = world.organisation.slug
    redirect = _start(client, slug)
    sp = f"http://{HOST}/accounts/saml/{slug}"
    return response_encode(
        response_build(
            keys=keys,
            issuer=idp.entity_id,
            destination=f"{sp}/acs/",
            audience=audience or f"{sp}/metadata/",
            in_response_to=None if idp_initiated else request_id_of(redirect),
            email=email,
            not_on_or_after=until,
            sha1=sha1,
        )
    )


def test_hand_built_response_signed_with_the_idp_key_is_accepted(
    alpha: World, idp: RunningIdp
) -> None:
    """The control for the forged cases below: the builder itself makes acceptable responses."""
    client = _client()
    saml_response = _forged(client, alpha, idp, keys=idp.keys)
    response = _post_acs(client, "alpha", {"SAMLResponse": saml_response})
    assert response.status_code == 302, response.content.decode()
    assert _signed_in_as(client) == "new.hire@alpha.example"


IMPOSTOR = key_pair_generate("impostor")
PAST = dt.timedelta(minutes=-10)


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ({"until": PAST}, "expired"),
        ({"keys": None}, "is not signed and the SP require"),
        ({"audience": "https://other-sp.example/metadata/"}, "is not a valid audience"),
        ({"keys": IMPOSTOR}, "Signature validation failed"),
        ({"sha1": True}, "Deprecated signature algorithm"),
        ({"idp_initiated": True}, ""),
    ],
    ids=["expired", "unsigned", "wrong-audience", "other-key", "sha1", "idp-initiated"],
)
def test_forged_response_is_refused_and_nothing_is_created(
    alpha: World, idp: RunningIdp, forgery: dict, reason: str
) -> None:
    client = _client()
    options: dict = {"keys": idp.keys, **forgery}
    if "until" in options:
        options["until"] = dt.datetime.now(dt.UTC) + options["until"]
    saml_response = _forged(client, alpha, idp, **options)
    before = _counts(alpha)
    response = _post_acs(client, "alpha", {"SAMLResponse": saml_response})
    _refused_page(response)
    assert reason in response.content.decode()
    assert _counts(alpha) == before
    assert _signed_in_as(client) is None


def test_signature_wrapping_is_refused(alpha: World, idp: RunningIdp) -> None:
    """XML signature wrapping: the IdP's signed assertion kept (its signature still verifies),
    and a forged assertion for the admin's address placed before it for the SP to read."""
    client = _client()
    _, fields = _sign_in_at_idp(idp, client, "alpha", "new.hire@alpha.example")
    root = response_decode(fields["SAMLResponse"])
    signed = root.find(f"{{{SAML}}}Assertion")
    assert signed is not None
    forged = copy.deepcopy(signed)
    forged.set("ID", "_forged")
    for signature in forged.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        forged.remove(signature)
    for value in forged.iter(f"{{{SAML}}}AttributeValue"):
        value.text = "admin@alpha.example"
    for name_id in forged.iter(f"{{{SAML}}}NameID"):
        name_id.text = "admin@alpha.example"
    signed.addprevious(forged)
    before = _counts(alpha)
    response = _post_acs(client, "alpha", {**fields, "SAMLResponse": response_encode(root)})
    _refused_page(response)
    assert _counts(alpha) == before
    assert _signed_in_as(client) is None


def test_replayed_response_is_refused(alpha: World, idp: RunningIdp) -> None:
    client = _client()
    _, fields = _sign_in_at_idp(idp, client, "alpha", "new.hire@alpha.example")
    first = _post_acs(client, "alpha", fields)
    assert first.status_code == 302
    after_first = _counts(alpha)
    # The same response again, in the same browser session and in another one.
    for replayer in (client, _client()):
        replay = _post_acs(replayer, "alpha", fields)
        assert replay.status_code == 403
        # The product's 403, worded for a refused sign-in step rather than a missing role.
        page = replay.content.decode()
        assert "start again from the sign-in page" in page and "Your role" not in page
        assert _counts(alpha) == after_first
    assert SocialAccount.objects.filter(user__email="new.hire@alpha.example").count() == 1


def test_response_to_another_sessions_request_is_refused(alpha: World, idp: RunningIdp) -> None:
    """A valid response, captured from another browser's sign-in and posted in this one."""
    client = _client()
    _start(client, "alpha")  # a state exists, but not for this response
    saml_response = _forged(_client(), alpha, idp, keys=idp.keys)
    before = _counts(alpha)
    response = _post_acs(client, "alpha", {"SAMLResponse": saml_response})
    assert response.status_code == 403
    assert _counts(alpha) == before


def test_other_organisations_idp_cannot_sign_in_our_domain(
    alpha: World, org_b: World, idp: RunningIdp
) -> None:
    """Beta's admin controls Beta's IdP and makes it assert addresses of Alpha's verified domain:
    a new one (would create an account) and Alpha's admin (would take the account over)."""
    _configure(org_b, idp)
    for email in ("new.hire@alpha.example", "admin@alpha.example"):
        client = _client()
        before = _counts(alpha, org_b)
        _, fields = _sign_in_at_idp(idp, client, "beta", email)
        response = _post_acs(client, "beta", fields)
        assert response.status_code == 403
        assert "not on a domain" in response.content.decode()
        assert _counts(alpha, org_b) == before
        assert _signed_in_as(client) is None


def test_sp_metadata_is_served_per_organisation(alpha: World) -> None:
    response = _client().get("/accounts/saml/alpha/metadata/")
    body = response.content.decode()
    assert 'entityID="http://localhost/accounts/saml/alpha/metadata/"' in body
    assert "http://localhost/accounts/saml/alpha/acs/" in body
    assert _client().get("/accounts/saml/nobody/metadata/").status_code == 404
