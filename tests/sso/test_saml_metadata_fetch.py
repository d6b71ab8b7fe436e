"""The metadata URL (#15): fetched by a Celery task from a real local HTTP server, stored when it
is usable metadata; otherwise the reason is stored and the last good metadata stays in use. Never
a redirect to another scheme, never an internal address in production, a size cap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider, Protocol
from sso.saml import METADATA_MAX_BYTES
from sso.tasks import saml_metadata_fetch, saml_metadata_refresh_all
from tests.conftest import World
from tests.sso.idp.support import idp_metadata, key_pair_generate

KEYS = key_pair_generate()
GOOD = idp_metadata(
    entity_id="https://idp.example.com/metadata",
    sso_url="https://idp.example.com/sso",
    cert_b64=KEYS.cert_b64,
)
# Tests serve on 127.0.0.1 over http; production refuses both (tested below).
LOCAL = override_settings(
    SSO_METADATA_REQUIRE_HTTPS=False, SSO_METADATA_ALLOW_PRIVATE_ADDRESSES=True
)


@dataclass
class Served:
    """What the local server answers, per path: (status, headers, body)."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    base: str = ""


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    state = Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            status, headers, body = state.routes.get(self.path, (404, {}, b"missing"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _provider(world: World, url: str, xml: str = "") -> IdentityProvider:
    with organisation_context(world.organisation):
        return IdentityProvider.objects.create(
            organisation=world.organisation,
            protocol=Protocol.SAML,
            saml_metadata_url=url,
            saml_metadata_xml=xml,
        )


def _reload(world: World) -> IdentityProvider:
    with organisation_context(world.organisation):
        return IdentityProvider.objects.get(organisation=world.organisation)


def _verbs(world: World) -> list[str]:
    with organisation_context(world.organisation):
        return list(
            AuditEvent.objects.filter(organisation=world.organisation, verb__startswith="sso.")
            .order_by("pk")
            .values_list("verb", flat=True)
        )


@LOCAL
def test_fetched_metadata_is_stored_with_its_time(org_a: World, served: Served) -> None:
    served.routes["/good"] = (200, {"Content-Type": "application/samlmetadata+xml"}, GOOD.encode())
    _provider(org_a, f"{served.base}/good")
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "stored"
    provider = _reload(org_a)
    assert provider.saml_metadata_xml == GOOD
    assert provider.saml_metadata_fetched_at is not None
    assert provider.saml_metadata_error == ""
    assert _verbs(org_a) == ["sso.saml_metadata_fetched"]
    # The same metadata again: nothing new to record.
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "unchanged"
    assert _verbs(org_a) == ["sso.saml_metadata_fetched"]


@LOCAL
@pytest.mark.parametrize(
    ("route", "error"),
    [
        ((200, {}, b"<html>Sign in</html>"), "no IDPSSODescriptor"),
        ((200, {}, b"not xml"), "not valid XML"),
        ((404, {}, b"gone"), "answered HTTP 404"),
        ((302, {"Location": "file:///etc/passwd"}, b""), "must be an http:// or https://"),
        ((200, {}, b"<a>" + b" " * METADATA_MAX_BYTES + b"</a>"), "larger than 1 MB"),
    ],
    ids=["html-page", "not-xml", "404", "redirect-to-file", "too-large"],
)
def test_a_bad_fetch_keeps_the_last_good_metadata_and_says_why(
    org_a: World, served: Served, route: tuple[int, dict[str, str], bytes], error: str
) -> None:
    served.routes["/bad"] = route
    _provider(org_a, f"{served.base}/bad", xml=GOOD)
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "failed"
    provider = _reload(org_a)
    assert error in provider.saml_metadata_error
    assert provider.saml_metadata_xml == GOOD
    assert provider.saml_metadata_fetched_at is None
    # Recorded once per new failure, not every day while the URL stays broken.
    saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get()
    assert _verbs(org_a) == ["sso.saml_metadata_fetch_failed"]


@override_settings(SSO_METADATA_REQUIRE_HTTPS=True, SSO_METADATA_ALLOW_PRIVATE_ADDRESSES=True)
def test_production_refuses_plain_http_without_a_request(org_a: World, served: Served) -> None:
    served.routes["/plain"] = (200, {}, GOOD.encode())
    served.hits.clear()
    _provider(org_a, f"{served.base}/plain")
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "failed"
    assert "must be an https:// address" in _reload(org_a).saml_metadata_error
    assert served.hits == []


@override_settings(SSO_METADATA_REQUIRE_HTTPS=False, SSO_METADATA_ALLOW_PRIVATE_ADDRESSES=False)
def test_production_refuses_internal_addresses(org_a: World, served: Served) -> None:
    served.routes["/internal"] = (200, {}, GOOD.encode())
    served.hits.clear()
    _provider(org_a, f"{served.base}/internal")
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "failed"
    assert "private network address" in _reload(org_a).saml_metadata_error
    assert served.hits == []


@LOCAL
def test_daily_refresh_fetches_each_configured_url_only(
    org_a: World, org_b: World, served: Served
) -> None:
    served.routes["/daily"] = (200, {}, GOOD.encode())
    _provider(org_a, f"{served.base}/daily")
    _provider(org_b, "")  # pasted metadata, no URL: nothing to fetch
    served.hits.clear()
    assert saml_metadata_refresh_all.delay().get() == 1
    assert served.hits == ["/daily"]
    assert _reload(org_a).saml_metadata_xml == GOOD
    assert _reload(org_b).saml_metadata_fetched_at is None


@LOCAL
def test_an_organisation_without_a_url_fetches_nothing(org_a: World) -> None:
    assert saml_metadata_fetch.delay(organisation_id=org_a.organisation.pk).get() == "no-url"
