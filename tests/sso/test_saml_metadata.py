"""IdP metadata as admins paste it (#15): what is read from it, and each unusable kind refused with
a sentence that says what is wrong; the allauth app settings built from it."""

from __future__ import annotations

import pytest

from skillsmap.core.errors import ServiceError
from sso.models import IdentityProvider, Protocol
from sso.saml import BINDING_POST, saml_app_settings, saml_metadata_parse
from tests.sso.idp.support import idp_metadata, key_pair_generate

KEYS = key_pair_generate()
ENTITY = "https://idp.example.com/metadata"
SSO = "https://idp.example.com/sso"


def _metadata(**overrides: str) -> str:
    return idp_metadata(
        entity_id=overrides.get("entity_id", ENTITY),
        sso_url=overrides.get("sso_url", SSO),
        cert_b64=overrides.get("cert_b64", KEYS.cert_b64),
    )


def test_metadata_gives_entity_id_sso_url_and_signing_certificate() -> None:
    parsed = saml_metadata_parse(_metadata())
    assert parsed.entity_id == ENTITY
    assert parsed.sso_url == SSO
    assert parsed.x509_certs == (KEYS.cert_b64,)


def test_certificate_split_over_lines_is_read_whole() -> None:
    wrapped = "\n        ".join(KEYS.cert_b64[i : i + 64] for i in range(0, len(KEYS.cert_b64), 64))
    assert saml_metadata_parse(_metadata(cert_b64=wrapped)).x509_certs == (KEYS.cert_b64,)


def test_entra_style_aggregate_with_post_binding_and_encryption_key_is_read() -> None:
    other = key_pair_generate("encryption")
    xml = f"""<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
<EntityDescriptor entityID="{ENTITY}"><SPSSODescriptor protocolSupportEnumeration="x"/></EntityDescriptor>
<EntityDescriptor entityID="{ENTITY}/idp" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{other.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
<KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{KEYS.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
<SingleSignOnService Binding="{BINDING_POST}" Location="{SSO}/post"/>
</IDPSSODescriptor></EntityDescriptor></EntitiesDescriptor>"""
    parsed = saml_metadata_parse(xml)
    assert parsed.entity_id == f"{ENTITY}/idp"
    assert parsed.sso_url == f"{SSO}/post"
    # The encryption key is not a signing key; a KeyDescriptor without "use" is both.
    assert parsed.x509_certs == (KEYS.cert_b64,)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("", "is empty"),
        ("this is not xml <", "is not valid XML"),
        ("<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'/>",
         "no IDPSSODescriptor"),
        (_metadata().replace("SingleSignOnService", "ArtifactResolutionService"),
         "no single sign-on service"),
        (_metadata().replace('use="signing"', 'use="encryption"'), "no signing certificate"),
        (_metadata(cert_b64="bm90IGEgY2VydGlmaWNhdGU="), "cannot be read"),
        (_metadata(sso_url="javascript:alert(1)"), "not a web address"),
    ],
    ids=["empty", "not-xml", "no-idp", "no-sso", "no-signing-cert", "bad-cert", "bad-url"],
)  # fmt: skip
def test_unusable_metadata_is_refused_with_a_clear_message(xml: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        saml_metadata_parse(xml)


def test_external_entities_are_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE md [<!ENTITY leak SYSTEM "file://{secret}">]>
{_metadata(entity_id="&leak;").split("?>", 1)[1]}"""
    with pytest.raises(ServiceError) as refused:
        saml_metadata_parse(xxe)
    assert "TOP-SECRET" not in str(refused.value)


def test_billion_laughs_is_refused_quickly() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + f"]>{_metadata(entity_id='&lol9;').split('?>', 1)[1]}"
    )  # fmt: skip
    with pytest.raises(ServiceError):
        saml_metadata_parse(bomb)


def test_app_settings_come_from_the_stored_metadata_with_strict_security() -> None:
    provider = IdentityProvider(
        protocol=Protocol.SAML,
        saml_metadata_xml=_metadata(),
        saml_metadata_url="https://idp.example.com/never-fetched-at-sign-in",
        attribute_email="urn:oid:0.9.2342.19200300.100.1.3",
        attribute_name="displayName",
        attribute_title="",
        attribute_team="department",
    )
    app = saml_app_settings(provider)
    assert app["idp"] == {"entity_id": ENTITY, "sso_url": SSO, "x509cert": KEYS.cert_b64}
    # No metadata_url: allauth would fetch it during the sign-in.
    assert "metadata_url" not in app["idp"]
    assert app["attribute_mapping"]["email"] == ["urn:oid:0.9.2342.19200300.100.1.3"]
    assert app["attribute_mapping"]["name"] == ["displayName"]
    assert app["attribute_mapping"]["team"] == ["department"]
    assert "title" not in app["attribute_mapping"]
    advanced = app["advanced"]
    assert advanced["strict"] is True
    assert advanced["want_assertion_signed"] is True
    assert advanced["reject_deprecated_algorithm"] is True
    assert advanced["reject_idp_initiated_sso"] is True
    assert advanced["allow_single_label_domains"] is True  # localhost, intranet IdPs


def test_during_a_rollover_the_certificate_valid_today_is_used() -> None:
    expired = key_pair_generate("retired", valid_days=-5)
    both = _metadata(cert_b64=expired.cert_b64).replace(
        "</md:KeyDescriptor>",
        "</md:KeyDescriptor>"
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{KEYS.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
    )
    assert saml_metadata_parse(both).x509_certs == (expired.cert_b64, KEYS.cert_b64)
    provider = IdentityProvider(protocol=Protocol.SAML, saml_metadata_xml=both)
    assert saml_app_settings(provider)["idp"]["x509cert"] == KEYS.cert_b64
