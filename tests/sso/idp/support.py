"""The tests' SAML identity provider and what the tests need around it: a key and self-signed
certificate generated per run (cryptography), the IdP process (``RunningIdp``), and hand-built
SAML Responses signed with the same key through python-xmlsec, for the assertions a real IdP
would never send (expired, for another audience, tampered with)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
XMLSEC1 = Path("/usr/bin/xmlsec1")
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
EMAIL_OID = "urn:oid:0.9.2342.19200300.100.1.3"
NAME_OID = "urn:oid:2.16.840.1.113730.3.1.241"
TITLE_OID = "urn:oid:2.5.4.12"


@dataclass(frozen=True)
class KeyPair:
    key_pem: bytes
    cert_pem: bytes

    @property
    def cert_b64(self) -> str:
        return "".join(self.cert_pem.decode().splitlines()[1:-1])


def key_pair_generate(common_name: str = "Test IdP", *, valid_days: int = 30) -> KeyPair:
    """An RSA key and a self-signed certificate valid until ``valid_days`` from now (negative:
    already expired)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=abs(valid_days) + 1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def idp_metadata(*, entity_id: str, sso_url: str, cert_b64: str) -> str:
    """IdP metadata as an organisation's admin would paste it."""
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert_b64}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


class RunningIdp:
    """The pysaml2 identity provider (tests/sso/idp/server.py) as a separate local process."""

    def __init__(self, keys: KeyPair, directory: Path) -> None:
        self.keys = keys
        key_file, cert_file = directory / "idp.key", directory / "idp.crt"
        key_file.write_bytes(keys.key_pem)
        cert_file.write_bytes(keys.cert_pem)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sso.idp.server",
                "--key",
                str(key_file),
                "--cert",
                str(cert_file),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(f"the IdP did not start: {line}{self.process.stderr.read()}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    @property
    def entity_id(self) -> str:
        return f"{self.base}/metadata"

    def _fetch(self, url: str, data: bytes | None = None) -> str:
        assert url.startswith(self.base), url
        request = urllib.request.Request(url, data=data)  # noqa: S310  the IdP's own http URL
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(response.read().decode())

    def metadata(self) -> str:
        return self._fetch(f"{self.base}/metadata")

    def register_sp(self, sp_metadata: str) -> None:
        self._fetch(f"{self.base}/_sp", sp_metadata.encode())

    def sign_in(self, redirect_url: str, *, email: str, name: str = "", title: str = "") -> dict:
        """Follow our SP's redirect to the IdP, sign in on its page; returns the fields of the
        form it answers with (SAMLResponse, RelayState) and its action (our ACS URL)."""
        page = self._fetch(redirect_url)
        request_fields = form_fields(page)
        request_fields.update({"email": email, "name": name, "title": title})
        body = "&".join(
            f"{k}={urllib.request.quote(v, safe='')}" for k, v in request_fields.items() if k
        )
        answer = self._fetch(f"{self.base}/sso/login", body.encode())
        fields = form_fields(answer)
        if "SAMLResponse" not in fields:
            raise AssertionError(f"the IdP refused: {answer}\n{self.stderr_tail()}")
        return fields

    def stderr_tail(self) -> str:
        return ""

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.fields["_action"] = values.get("action") or ""
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def form_fields(page: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(page)
    return parser.fields


def xmlsec1_available() -> bool:
    return XMLSEC1.exists() or shutil.which("xmlsec1") is not None


def request_id_of(redirect_url: str) -> str:
    """The ID of the AuthnRequest our SP put in its redirect (HTTP-Redirect: deflated, base64)."""
    import zlib

    query = parse_qs(urlsplit(redirect_url).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return str(etree.fromstring(xml).get("ID"))


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def response_build(
    *,
    keys: KeyPair | None,
    issuer: str,
    destination: str,
    audience: str,
    in_response_to: str | None,
    email: str,
    name: str = "",
    not_on_or_after: dt.datetime | None = None,
    sha1: bool = False,
) -> etree._Element:
    """A SAML Response with one assertion, the assertion signed (RSA-SHA256, exclusive c14n; or
    RSA-SHA1 with ``sha1``) with ``keys`` through python-xmlsec, or left unsigned when ``keys`` is
    None. ``in_response_to=None`` makes it IdP-initiated (answering no request)."""
    now = dt.datetime.now(dt.UTC)
    until = not_on_or_after or now + dt.timedelta(minutes=5)
    assertion_id = f"_{uuid.uuid4().hex}"
    attributes = [(EMAIL_OID, email)] + ([(NAME_OID, name)] if name else [])
    attribute_xml = "".join(
        f'<saml:Attribute Name="{n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">'
        f"<saml:AttributeValue>{v}</saml:AttributeValue></saml:Attribute>"
        for n, v in attributes
    )
    answers = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    xml = f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_{uuid.uuid4().hex}"
 Version="2.0" IssueInstant="{_ts(now)}" Destination="{destination}"{answers}><saml:Issuer>{issuer}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{_ts(now)}">
<saml:Issuer>{issuer}</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{_ts(until)}" Recipient="{destination}"{answers}/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="{_ts(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{_ts(until)}">
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_ts(now)}" SessionIndex="{assertion_id}">
<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
</saml:AuthnStatement>
<saml:AttributeStatement>{attribute_xml}</saml:AttributeStatement>
</saml:Assertion></samlp:Response>"""
    root = etree.fromstring(xml.encode())
    if keys is not None:
        assertion = root.find(f"{{{SAML}}}Assertion")
        assert assertion is not None
        method = xmlsec.Transform.RSA_SHA1 if sha1 else xmlsec.Transform.RSA_SHA256
        digest = xmlsec.Transform.SHA1 if sha1 else xmlsec.Transform.SHA256
        signature = xmlsec.template.create(assertion, xmlsec.Transform.EXCL_C14N, method, ns="ds")
        # The signature goes right after the assertion's Issuer, where the schema wants it.
        assertion.insert(1, signature)
        ref = xmlsec.template.add_reference(signature, digest, uri=f"#{assertion_id}")
        xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        key_info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.add_x509_data(key_info)
        xmlsec.tree.add_ids(assertion, ["ID"])
        context = xmlsec.SignatureContext()
        key = xmlsec.Key.from_memory(keys.key_pem, xmlsec.constants.KeyDataFormatPem)
        key.load_cert_from_memory(keys.cert_pem, xmlsec.constants.KeyDataFormatPem)
        context.key = key
        context.sign(signature)
    return root


def response_encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root)).decode()


def response_decode(saml_response: str) -> etree._Element:
    return etree.fromstring(base64.b64decode(saml_response))
