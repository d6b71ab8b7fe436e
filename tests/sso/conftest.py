"""Single sign-on's cast: a real OpenID Connect provider (oidc-provider-mock, a Flask app served by
werkzeug on 127.0.0.1 in a thread, for the whole session) and helpers that sign in through it over
HTTP, the way a browser would: our page redirects to the provider, the person picks their subject
there, the provider redirects back with a code, and allauth exchanges the code with the provider.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from django.test import Client

from accounts.models import Organisation, User
from domains.models import Domain
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider
from sso.services import ProviderSettings, identity_provider_save
from tests.api.conftest import api, token_for  # noqa: F401  (API clients for tests/sso)
from tests.factories import DomainFactory


@dataclass(frozen=True)
class OidcProvider:
    """The running provider: its issuer URL, and the subjects (users) it knows with their claims."""

    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield OidcProvider(issuer=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def verify_domain(organisation: Organisation, name: str) -> Domain:
    with organisation_context(organisation):
        domain: Domain = DomainFactory(organisation=organisation, name=name, verified=True)
    return domain


def configure_oidc(
    organisation: Organisation,
    by: User,
    oidc: OidcProvider,
    **options: Any,
) -> IdentityProvider:
    """The organisation's OIDC provider, enabled, pointing at the running mock."""
    settings = {
        "protocol": "oidc",
        "is_enabled": True,
        "oidc_issuer": oidc.issuer,
        "oidc_client_id": f"skillsmap-{organisation.slug}",
        "oidc_client_secret": "s3cret-of-" + organisation.slug,
        "attribute_title": "job_title",
        **options,
    }
    with organisation_context(organisation):
        return identity_provider_save(
            organisation=organisation, by=by, data=ProviderSettings(**settings)
        )


def provider_url(response: Any) -> str:
    """Where our answer sends the browser to the provider: the email step's page links to it (a
    form's redirect to another site would break the page's CSP); allauth's own login redirects."""
    if response.status_code == 302:
        return str(response["Location"])
    assert response.status_code == 200, response.content[:500]
    match = re.search(r'href="([^"]+)" data-sso-continue', response.content.decode())
    assert match, response.content[:1000]
    return html.unescape(match.group(1))


def through_provider(client: Client, start: Any, sub: str) -> Any:
    """Follow a redirect to the provider, pick ``sub`` on its consent form (as the person would),
    and bring the provider's redirect back to our callback. Returns the callback's response."""
    authorize = provider_url(start)
    assert authorize.startswith("http://127.0.0.1:"), authorize
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:500]
    callback = urlsplit(answer.headers["Location"])
    assert callback.netloc == "testserver", callback
    return client.get(f"{callback.path}?{callback.query}")


def sign_in_by_email(client: Client, email: str, sub: str) -> Any:
    """The email-first page with ``email``, then through the provider as ``sub``."""
    return through_provider(client, client.post("/accounts/login/", {"login": email}), sub)
