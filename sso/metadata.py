"""An identity provider's SAML metadata URL, fetched in the background (``sso.tasks``) and the
result stored: a sign-in never fetches anything, so a slow or hostile URL can neither stall nor
probe anything during one.

The URL is typed by an organisation's admin and fetched from our servers, so it is treated as an
SSRF risk: https only, no address on a private, loopback or link-local network (each redirect is
checked again), a timeout and a size cap. Development and the tests relax the first two
(``SSO_METADATA_REQUIRE_HTTPS``, ``SSO_METADATA_ALLOW_PRIVATE_ADDRESSES``).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider, Protocol
from sso.saml import METADATA_MAX_BYTES, saml_metadata_parse

FETCH_TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3


def _require_https() -> bool:
    return bool(getattr(settings, "SSO_METADATA_REQUIRE_HTTPS", not settings.DEBUG))


def _allow_private() -> bool:
    return bool(getattr(settings, "SSO_METADATA_ALLOW_PRIVATE_ADDRESSES", settings.DEBUG))


def metadata_url_check(url: str) -> None:
    """Refuse a URL we will not fetch (also used for each redirect's target)."""
    parts = urlsplit(url)
    schemes = ("https",) if _require_https() else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise ServiceError(
            "The metadata URL must be an https:// address."
            if _require_https()
            else "The metadata URL must be an http:// or https:// address."
        )
    if _allow_private():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ServiceError(f"The metadata URL's host {parts.hostname} was not found.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise ServiceError("The metadata URL points to a private network address.")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage
    ) -> Any:
        # A redirect to file:, ftp:, plain http in production or an internal address is refused
        # like the URL itself, with the same sentence.
        location = headers.get("location") or headers.get("uri")
        if location:
            metadata_url_check(urljoin(req.full_url, location))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def metadata_download(url: str) -> str:
    """The body at ``url`` as text, or ``ServiceError`` saying why not."""
    metadata_url_check(url)
    opener = urllib.request.build_opener(_CheckedRedirects())
    accept = {"Accept": "application/samlmetadata+xml, application/xml, text/xml"}
    request = urllib.request.Request(url, headers=accept)  # noqa: S310  scheme checked above
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body: bytes = response.read(METADATA_MAX_BYTES + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise ServiceError(f"The metadata URL answered HTTP {exc.code}.") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        raise ServiceError(f"The metadata URL could not be fetched: {reason}.") from exc
    if len(body) > METADATA_MAX_BYTES:
        raise ServiceError("The identity provider's metadata is larger than 1 MB.")
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ServiceError("The identity provider's metadata is not readable text.") from exc


def _saml_provider(organisation_id: int) -> IdentityProvider | None:
    return (
        IdentityProvider.objects.filter(organisation_id=organisation_id, protocol=Protocol.SAML)
        .exclude(saml_metadata_url="")
        .first()
    )


def saml_metadata_refresh(*, organisation_id: int) -> str:
    """Fetch the organisation's metadata URL and store what it serves if it is usable metadata;
    otherwise store why not and keep the last good XML, so sign-ins go on working. Returns
    "stored", "unchanged", "failed" or "no-url"; safe to run twice."""
    with organisation_context(organisation_id):
        provider = _saml_provider(organisation_id)
        if provider is None:
            return "no-url"
        url = provider.saml_metadata_url
    # The network is slow next to the database: no transaction is held open while fetching.
    error = ""
    xml = ""
    try:
        xml = metadata_download(url)
        saml_metadata_parse(xml)
    except ServiceError as exc:
        error = str(exc)[:500]

    with organisation_context(organisation_id):
        provider = (
            IdentityProvider.objects.select_for_update()
            .filter(organisation_id=organisation_id, protocol=Protocol.SAML)
            .first()
        )
        if provider is None or provider.saml_metadata_url != url:
            # Reconfigured while we fetched: the save that changed it enqueued its own fetch.
            return "no-url"
        organisation = Organisation.objects.get(pk=organisation_id)
        if error:
            previous_error = provider.saml_metadata_error
            provider.saml_metadata_error = error
            provider.save(update_fields=["saml_metadata_error"])
            if previous_error != error:
                # Once per new failure, not once a day while the URL stays broken.
                audit_record(
                    organisation=organisation,
                    actor=None,
                    verb="sso.saml_metadata_fetch_failed",
                    target=provider,
                    after={"url": url, "error": error},
                )
            return "failed"
        changed = xml != provider.saml_metadata_xml
        provider.saml_metadata_xml = xml
        provider.saml_metadata_fetched_at = timezone.now()
        provider.saml_metadata_error = ""
        provider.save(
            update_fields=["saml_metadata_xml", "saml_metadata_fetched_at", "saml_metadata_error"]
        )
        if changed:
            audit_record(
                organisation=organisation,
                actor=None,
                verb="sso.saml_metadata_fetched",
                target=provider,
                after={"url": url},
            )
        return "stored" if changed else "unchanged"


def saml_metadata_url_organisations() -> list[int]:
    """The organisations whose SAML provider has a metadata URL (the daily refresh). Each is read
    inside its own organisation's context: identity providers are tenant rows, under RLS."""
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    found: list[int] = []
    for organisation_id in ids:
        with organisation_context(organisation_id):
            if _saml_provider(organisation_id) is not None:
                found.append(organisation_id)
    return found
