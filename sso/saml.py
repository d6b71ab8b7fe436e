"""SAML 2.0 for an organisation's ``IdentityProvider``: its stored metadata parsed and turned into
the settings of allauth's ``saml`` provider app. (Interface agreed between the SSO parts; the SAML
part fills it in.)

What allauth and python3-saml check on every response, with the settings below: the signature of
the assertion (and of the message, if signed) against the certificate in the stored metadata,
no SHA-1, the audience (our SP entity id), destination and recipient (our ACS URL), the time
conditions (``NotBefore``/``NotOnOrAfter``), and ``InResponseTo``: allauth keeps the id of each
AuthnRequest it sent in the session and deletes it on first use (``statekit.unstash_state``), so a
response is accepted once, in the browser session that asked for it; a second POST of the same
response, or one replayed into another session, finds no state and is refused. IdP-initiated
sign-in (a response answering no request of ours) is refused outright.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from lxml import etree

from skillsmap.core.errors import ServiceError
from sso.models import IdentityProvider

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
# Metadata of one IdP is a few kilobytes; a federation aggregate of thousands of entities is not
# what an organisation pastes, and parsing one would be slow.
METADATA_MAX_BYTES = 1_000_000
_NS = {"md": MD, "ds": DS}


@dataclass(frozen=True)
class SamlMetadata:
    """What the product needs from an identity provider's metadata XML."""

    entity_id: str
    sso_url: str
    x509_certs: tuple[str, ...]
    slo_url: str = ""


def _parser() -> etree.XMLParser:
    # No entity expansion, no DTD or network fetches (XXE, billion laughs): metadata is untrusted
    # input, pasted by an admin or fetched from a URL they typed.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _cert_text(element: etree._Element) -> str:
    text = "".join((element.text or "").split())
    try:
        x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ServiceError(
            "The identity provider's metadata holds a signing certificate that cannot be read."
        ) from exc
    return text


def saml_metadata_parse(xml: str) -> SamlMetadata:
    """Parse and check pasted, uploaded or fetched IdP metadata; raises ``ServiceError`` with a
    clear message when it is not usable (not XML, no IdP descriptor, no signing certificate)."""
    data = xml.strip().encode("utf-8")
    if not data:
        raise ServiceError("The identity provider's metadata is empty.")
    if len(data) > METADATA_MAX_BYTES:
        raise ServiceError("The identity provider's metadata is larger than 1 MB.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ServiceError("The identity provider's metadata is not valid XML.") from exc
    if root.getroottree().docinfo.doctype:
        raise ServiceError("The identity provider's metadata may not contain a DOCTYPE.")

    entities = [root] if root.tag == f"{{{MD}}}EntityDescriptor" else []
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = root.findall(".//md:EntityDescriptor", _NS)
    idps = [e for e in entities if e.find("md:IDPSSODescriptor", _NS) is not None]
    if not idps:
        raise ServiceError(
            "This is not an identity provider's SAML metadata: it has no IDPSSODescriptor."
        )
    if len(idps) > 1:
        raise ServiceError(
            "The metadata describes several identity providers; use the metadata of yours only."
        )
    entity = idps[0]
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise ServiceError("The identity provider's metadata has no entityID.")
    descriptor = entity.find("md:IDPSSODescriptor", _NS)
    assert descriptor is not None  # found above

    # allauth sends the AuthnRequest by HTTP-Redirect; an HTTP-POST endpoint alone is taken as
    # well, since identity providers serve both bindings at the same URL in practice.
    sso = {
        s.get("Binding"): (s.get("Location") or "").strip()
        for s in descriptor.findall("md:SingleSignOnService", _NS)
    }
    sso_url = sso.get(BINDING_REDIRECT) or sso.get(BINDING_POST) or ""
    if not sso_url:
        raise ServiceError(
            "The identity provider's metadata has no single sign-on service "
            "(SingleSignOnService with the HTTP-Redirect or HTTP-POST binding)."
        )
    if not sso_url.startswith(("https://", "http://")):
        raise ServiceError("The identity provider's single sign-on URL is not a web address.")
    slo = {
        s.get("Binding"): (s.get("Location") or "").strip()
        for s in descriptor.findall("md:SingleLogoutService", _NS)
    }

    # A KeyDescriptor without ``use`` serves both signing and encryption (SAML metadata, 2.4.1.1).
    certs: list[str] = []
    for key in descriptor.findall("md:KeyDescriptor", _NS):
        if key.get("use", "signing") != "signing":
            continue
        for element in key.findall(".//ds:X509Certificate", _NS):
            cert = _cert_text(element)
            if cert not in certs:
                certs.append(cert)
    if not certs:
        raise ServiceError(
            "The identity provider's metadata has no signing certificate, so its assertions "
            "could not be verified."
        )
    return SamlMetadata(
        entity_id=entity_id,
        sso_url=sso_url,
        x509_certs=tuple(certs),
        slo_url=slo.get(BINDING_REDIRECT, ""),
    )


def _current_cert(certs: tuple[str, ...]) -> str:
    """allauth hands python3-saml one IdP certificate (``x509cert``, not ``x509certMulti``), so
    during a rollover, when the metadata lists two, take the first one valid today."""
    now = datetime.now(UTC)
    for cert in certs:
        loaded = x509.load_der_x509_certificate(base64.b64decode(cert))
        if loaded.not_valid_before_utc <= now <= loaded.not_valid_after_utc:
            return cert
    return certs[0]


def _names(*names: str) -> list[str]:
    return [n.strip() for n in names if n and n.strip()]


def saml_app_settings(provider: IdentityProvider) -> dict[str, Any]:
    """The ``SocialApp.settings`` of allauth's ``saml`` provider for this organisation, built from
    the stored metadata only (never fetched during a sign-in), with the attribute mapping."""
    metadata = saml_metadata_parse(provider.saml_metadata_xml)
    idp: dict[str, Any] = {
        "entity_id": metadata.entity_id,
        "sso_url": metadata.sso_url,
        "x509cert": _current_cert(metadata.x509_certs),
    }
    if metadata.slo_url:
        idp["slo_url"] = metadata.slo_url
    # allauth maps these keys onto the sign-in's common fields (email, name, title, team); every
    # raw attribute of the assertion stays in ``SocialAccount.extra_data`` as well.
    attribute_mapping: dict[str, list[str]] = {
        # The subject-id attribute when the identity provider sends one; the NameID otherwise.
        "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
        "email": _names(provider.attribute_email),
        "name": _names(provider.attribute_name),
        "title": _names(provider.attribute_title),
        "team": _names(provider.attribute_team),
    }
    return {
        "idp": idp,
        "attribute_mapping": {k: v for k, v in attribute_mapping.items() if v},
        # With the emailAddress NameID format, the NameID is the address when no attribute is.
        "use_nameid_for_email": False,
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            # Entra ID and Okta sign the assertion by default, not always the response around
            # it; the assertion's signature is what vouches for the person.
            "want_message_signed": False,
            "reject_deprecated_algorithm": True,
            "reject_idp_initiated_sso": True,
            "want_attribute_statement": False,
            "authn_request_signed": False,
            # URL checks of our own ACS and of the IdP's endpoints: single-label hosts are real
            # (an intranet ADFS at https://adfs/, the demo at http://localhost:8000/), and with
            # False python3-saml raises on them (a 500 at the email step), not a refusal.
            "allow_single_label_domains": True,
        },
    }
