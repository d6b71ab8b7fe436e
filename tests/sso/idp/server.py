"""A SAML 2.0 identity provider on 127.0.0.1, built on pysaml2's ``Server``: the tests' stand-in for
Entra ID or Okta. It answers an HTTP-Redirect AuthnRequest with its sign-in page, and the page's
POST with a signed Response (assertion and message signed with RSA-SHA256 by xmlsec1) sent back
through the HTTP-POST binding, the page an identity provider's browser flow ends on.

Run: ``python -m tests.sso.idp.server --key K --cert C``; it prints ``READY <port>`` once it
listens. ``POST /_sp`` (a test-only endpoint) registers a service provider's metadata, as an admin
registers an application in an identity provider.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def build_server(*, base: str, key_file: str, cert_file: str) -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata",
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base}/sso/redirect", BINDING_HTTP_REDIRECT),
                        ],
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        },
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": False,
                },
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {},
        }
    )
    return Server(config=config)


class App:
    def __init__(self, server: Server) -> None:
        self.server = server

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        try:
            if path == "/metadata":
                xml = str(entity_descriptor(self.server.config))
                return self._send(start, "200 OK", xml, "application/samlmetadata+xml")
            if path == "/_sp" and method == "POST":
                self.server.metadata.load("inline", self._body(environ).decode())
                return self._send(start, "204 No Content", "")
            if path == "/sso/redirect":
                query = parse_qs(environ.get("QUERY_STRING", ""))
                return self._signin_page(start, query)
            if path == "/sso/login" and method == "POST":
                form = parse_qs(self._body(environ).decode())
                return self._respond(start, form)
        except Exception as exc:  # an IdP error page, and the cause in the test's log
            print(f"idp error: {exc!r}", file=sys.stderr, flush=True)
            return self._send(start, "400 Bad Request", f"IdP error: {exc}")
        return self._send(start, "404 Not Found", "not found")

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return bytes(environ["wsgi.input"].read(length))

    @staticmethod
    def _send(
        start: StartResponse, status: str, body: str, kind: str = "text/html; charset=utf-8"
    ) -> list[bytes]:
        data = body.encode()
        start(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
        return [data]

    def _signin_page(self, start: StartResponse, query: dict[str, list[str]]) -> list[bytes]:
        request = query["SAMLRequest"][0]
        # Parsed here too, so a request the IdP would refuse fails on its page, as a real one does.
        self.server.parse_authn_request(request, BINDING_HTTP_REDIRECT)
        relay = query.get("RelayState", [""])[0]
        page = f"""<!doctype html><html><head><title>Test IdP sign-in</title></head><body>
<h1>Test IdP</h1>
<form method="post" action="/sso/login">
<input type="hidden" name="SAMLRequest" value="{html.escape(request)}">
<input type="hidden" name="RelayState" value="{html.escape(relay)}">
<label>Email <input name="email" type="email"></label>
<label>Name <input name="name"></label>
<label>Title <input name="title"></label>
<button type="submit">Sign in to the IdP</button>
</form></body></html>"""
        return self._send(start, "200 OK", page)

    def _respond(self, start: StartResponse, form: dict[str, list[str]]) -> list[bytes]:
        request = self.server.parse_authn_request(form["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        args = self.server.response_args(request.message, [BINDING_HTTP_POST])
        email = form["email"][0]
        identity = {"mail": [email]}
        for field, attribute in (("name", "displayName"), ("title", "title")):
            if form.get(field, [""])[0]:
                identity[attribute] = [form[field][0]]
        response = self.server.create_authn_response(
            identity,
            userid=email,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            },
            sign_assertion=True,
            sign_response=True,
            # pysaml2 still defaults to SHA-1, which our SP refuses (reject_deprecated_algorithm).
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **args,
        )
        http_args = self.server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            args["destination"],
            form.get("RelayState", [""])[0],
            response=True,
        )
        return self._send(start, "200 OK", http_args["data"])


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    options = parser.parse_args()
    # Bound first, on a free port, so the entity id and endpoints can carry the port.
    httpd: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: [], handler_class=_QuietHandler)
    base = f"http://127.0.0.1:{httpd.server_port}"
    httpd.set_app(App(build_server(base=base, key_file=options.key, cert_file=options.cert)))
    print(f"READY {httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
