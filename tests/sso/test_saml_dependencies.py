"""xmlsec and lxml (#15): each wheel bundles libxml2, and the two must bundle the same one, or
xmlsec refuses to load ("lxml & xmlsec libxml2 library version mismatch") or, worse, signatures
are checked against a document parsed by another libxml2. pyproject.toml pins them as a pair."""

from __future__ import annotations

import lxml.etree
import xmlsec
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.sso.idp.support import key_pair_generate, response_build

SIGNATURE = "/samlp:Response/saml:Assertion/ds:Signature"


def test_lxml_and_xmlsec_run_on_the_same_libxml2() -> None:
    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION
    assert lxml.etree.LIBXML_COMPILED_VERSION == lxml.etree.LIBXML_VERSION


def test_xmlsec_signature_verifies_in_python3_saml_and_tampering_breaks_it() -> None:
    keys = key_pair_generate()
    root = response_build(
        keys=keys,
        issuer="https://idp.example.com/metadata",
        destination="https://sp.example.com/acs/",
        audience="https://sp.example.com/metadata/",
        in_response_to="_request",
        email="ana@example.com",
    )
    signed = lxml.etree.tostring(root)
    cert = keys.cert_pem.decode()
    assert OneLogin_Saml2_Utils.validate_sign(signed, cert, xpath=SIGNATURE, raise_exceptions=True)
    tampered = signed.replace(b"ana@example.com", b"eve@example.com")
    assert not OneLogin_Saml2_Utils.validate_sign(tampered, cert, xpath=SIGNATURE)
