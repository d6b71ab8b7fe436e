"""OpenID Connect sign-ins whose ID token must not be believed (#15), end to end: allauth reaches a
real provider over HTTP (tests/sso/oidc_forger.py, on 127.0.0.1), exchanges the code with it and
is handed the ID token the test chose. Expired, misaddressed and other issuers' tokens, userinfo
about another subject, and a replayed callback are each refused with the product's page and
nothing created; a correct token from the same provider signs in (the control). So are tampered,
unsigned and wrongly signed tokens: allauth skips the signature of a token it fetched itself, and
``sso.oidc``'s callback checks it always."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import Membership, User
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.conftest import World
from tests.sso.conftest import OidcProvider, configure_oidc, verify_domain
from tests.sso.oidc_forger import OidcForger, RunningForger, payload_replace, rsa_key_generate

pytestmark = pytest.mark.django_db

CLIENT_ID = "skillsmap-alpha"  # what configure_oidc registers for the organisation "alpha"
NEW_HIRE = "new.hire@alpha.example"


@pytest.fixture(scope="module")
def running() -> Iterator[RunningForger]:
    running = RunningForger()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def forger(running: RunningForger) -> OidcForger:
    running.forger.token_requests = 0
    return running.forger


@pytest.fixture
def alpha(org_a: World, forger: OidcForger) -> World:
    verify_domain(org_a.organisation, "alpha.example")
    provider = configure_oidc(org_a.organisation, org_a.admin, OidcProvider(forger.issuer))
    assert provider.oidc_client_id == CLIENT_ID
    forger.clients[CLIENT_ID] = "s3cret-of-alpha"
    return org_a


@dataclass(frozen=True)
class Counts:
    users: int
    social_accounts: int
    memberships: int
    people: int


def _counts(world: World) -> Counts:
    with organisation_context(world.organisation):
        memberships = Membership.objects.filter(organisation=world.organisation).count()
        people = Person.objects.filter(organisation=world.organisation).count()
    return Counts(User.objects.count(), SocialAccount.objects.count(), memberships, people)


def _signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


def _through_provider(
    client: Client, forger: OidcForger, id_token: str, userinfo: dict[str, Any] | None = None
) -> str:
    """Start a sign-in as the product's page does and follow it to the provider, which will
    answer the code with ``id_token``. Returns the callback URL it sends the browser back to."""
    forger.issue_next(id_token, userinfo)
    start = client.post("/accounts/oidc/org-alpha/login/")
    assert start.status_code == 302, start.content[:500]
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:500]
    callback = urlsplit(answer.headers["Location"])
    assert callback.netloc == "testserver", callback
    return f"{callback.path}?{callback.query}"


def _assert_refused_page(response: Any) -> None:
    # allauth's authentication error (401), in the product's words: not a 500, not a bare 403.
    assert response.status_code == 401, response.content[:500]
    body = response.content.decode()
    assert "This sign-in was refused" in body
    assert "you were not signed in and nothing was created" in body


def _refusal_cause(response: Any) -> BaseException | None:
    """The check that refused: allauth wraps PyJWT's error in OAuth2Error("Invalid id_token")."""
    exception = response.context["auth_error"]["exception"]
    return exception.__cause__ if exception is not None else None


def test_a_correct_id_token_from_the_forger_signs_in(alpha: World, forger: OidcForger) -> None:
    """The control: the forger's own correct tokens are accepted, so the refusals below come
    from the token, not from a broken provider."""
    before = _counts(alpha)
    client = Client()
    token = forger.sign(forger.claims(client_id=CLIENT_ID, sub="new-hire", email=NEW_HIRE))
    response = client.get(_through_provider(client, forger, token))

    assert response.status_code == 302 and response["Location"] == "/", response.content[:500]
    assert _signed_in_as(client) == NEW_HIRE
    assert _counts(alpha) == Counts(
        before.users + 1, before.social_accounts + 1, before.memberships + 1, before.people + 1
    )
    assert SocialAccount.objects.get(provider="org-alpha", uid="new-hire").user.email == NEW_HIRE


def _expired(forger: OidcForger, claims: dict[str, Any]) -> str:
    now = int(time.time())
    return forger.sign({**claims, "iat": now - 900, "exp": now - 600})


def _other_audience(forger: OidcForger, claims: dict[str, Any]) -> str:
    # Issued by our organisation's provider, but to another client of it (beta's, say).
    return forger.sign({**claims, "aud": "skillsmap-beta"})


def _other_issuer(forger: OidcForger, claims: dict[str, Any]) -> str:
    return forger.sign({**claims, "iss": "https://login.other-idp.example"})


@pytest.mark.parametrize(
    ("forge", "check"),
    [
        (_expired, jwt.ExpiredSignatureError),
        (_other_audience, jwt.InvalidAudienceError),
        (_other_issuer, jwt.InvalidIssuerError),
    ],
    ids=["expired", "other-audience", "other-issuer"],
)
def test_an_id_token_failing_its_claims_checks_is_refused_and_nothing_is_created(
    alpha: World, forger: OidcForger, forge: Any, check: type[Exception]
) -> None:
    claims = forger.claims(client_id=CLIENT_ID, sub="new-hire", email=NEW_HIRE)
    client = Client()
    callback = _through_provider(client, forger, forge(forger, claims))
    before = _counts(alpha)
    response = client.get(callback)

    _assert_refused_page(response)
    assert isinstance(_refusal_cause(response), check)
    assert _counts(alpha) == before
    assert _signed_in_as(client) is None


IMPOSTOR = rsa_key_generate()


def _tampered(forger: OidcForger, claims: dict[str, Any]) -> str:
    # The provider signed the new hire; the payload now names the organisation's admin.
    return payload_replace(forger.sign(claims), email="admin@alpha.example", sub="admin-sub")


def _unsigned(forger: OidcForger, claims: dict[str, Any]) -> str:
    return forger.unsigned(claims)


def _other_key(forger: OidcForger, claims: dict[str, Any]) -> str:
    # Signed by a key the provider's JWKS does not hold, under the provider's own key id.
    return forger.sign(claims, key=IMPOSTOR)


@pytest.mark.parametrize(
    "forge", [_tampered, _unsigned, _other_key], ids=["tampered", "alg-none", "other-key"]
)
def test_an_id_token_with_a_bad_signature_is_refused_and_nothing_is_created(
    alpha: World, forger: OidcForger, forge: Any
) -> None:
    claims = forger.claims(client_id=CLIENT_ID, sub="new-hire", email=NEW_HIRE)
    client = Client()
    callback = _through_provider(client, forger, forge(forger, claims))
    before = _counts(alpha)
    response = client.get(callback)

    assert _signed_in_as(client) is None
    assert _counts(alpha) == before
    _assert_refused_page(response)
    assert isinstance(_refusal_cause(response), jwt.PyJWTError)


def test_a_replayed_callback_is_refused_in_the_same_session_and_in_a_fresh_one(
    alpha: World, forger: OidcForger
) -> None:
    client = Client()
    token = forger.sign(forger.claims(client_id=CLIENT_ID, sub="new-hire", email=NEW_HIRE))
    callback = _through_provider(client, forger, token)
    assert client.get(callback).status_code == 302
    after_first = _counts(alpha)
    exchanges = forger.token_requests
    assert exchanges == 1

    # The same code and state again. The forger would exchange the code a second time; the
    # callback's state was spent by the first use (and a fresh session never had it).
    for replayer, signed_in in ((client, NEW_HIRE), (Client(), None)):
        response = replayer.get(callback)
        _assert_refused_page(response)
        assert _signed_in_as(replayer) == signed_in  # the first sign-in's session, and no other
        assert response.context["auth_error"]["exception"] is None  # refused before the exchange
        assert forger.token_requests == exchanges
        assert _counts(alpha) == after_first
    assert SocialAccount.objects.filter(user__email=NEW_HIRE).count() == 1


def test_userinfo_about_another_subject_than_the_id_token_is_refused(
    alpha: World, forger: OidcForger
) -> None:
    """allauth takes the account's uid and claims from userinfo, which is not signed, without
    comparing its subject with the ID token's; sso/adapter.py does (OIDC Core 5.3.2), or the new
    hire's token would sign in as the organisation's admin."""
    token = forger.sign(forger.claims(client_id=CLIENT_ID, sub="new-hire", email=NEW_HIRE))
    userinfo = {"sub": "admin-sub", "email": alpha.admin.email}
    client = Client()
    callback = _through_provider(client, forger, token, userinfo)
    before = _counts(alpha)
    response = client.get(callback)

    assert response.status_code == 403, response.content[:500]
    body = response.content.decode()
    assert "This sign-in was refused" in body and "disagree about who is signing in" in body
    assert _counts(alpha) == before
    assert _signed_in_as(client) is None
