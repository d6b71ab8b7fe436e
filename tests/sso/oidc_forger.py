"""A real OpenID Connect provider for the refusal tests, whose ID tokens the test writes.

oidc-provider-mock signs every ID token itself, with its own key, for its own issuer and the
client that asked, so it cannot hand allauth a tampered, expired, unsigned or misaddressed token.
This one serves the same endpoints over HTTP on 127.0.0.1 (a stdlib server in a thread) and
answers the next code exchange with whatever ID token the test chose: signed with the RSA key it
publishes in its JWKS, or forged.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


def rsa_key_generate() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def payload_replace(token: str, **claims: Any) -> str:
    """The token with claims of its payload changed after signing; header and signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    return ".".join((header, _b64url(json.dumps(decoded).encode()), signature))


@dataclass
class _Answer:
    id_token: str
    userinfo: dict[str, Any]


@dataclass
class OidcForger:
    """The running provider. ``issue_next`` sets the ID token of the next code it hands out."""

    issuer: str = ""
    key: RSAPrivateKey = field(default_factory=rsa_key_generate)
    kid: str = "forger-key-1"
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    token_requests: int = 0
    _next: _Answer | None = None
    _codes: dict[str, _Answer] = field(default_factory=dict)
    _tokens: dict[str, _Answer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claims(self, *, client_id: str, sub: str, email: str, **extra: Any) -> dict[str, Any]:
        """What a correct ID token of this provider says about ``sub`` to ``client_id``."""
        now = int(time.time())
        return {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(8),
            "email": email,
            "email_verified": True,
            **extra,
        }

    def sign(
        self, claims: dict[str, Any], *, key: RSAPrivateKey | None = None, kid: str | None = None
    ) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def unsigned(self, claims: dict[str, Any]) -> str:
        # The kid is kept, so that a verifier looks the key up and must refuse "none" itself.
        return jwt.encode(claims, None, algorithm="none", headers={"kid": self.kid})

    def issue_next(self, id_token: str, userinfo: dict[str, Any] | None = None) -> None:
        """The next authorisation's ID token. Userinfo says what the token's payload says unless
        given, so that a sign-in stands or falls by the ID token alone."""
        if userinfo is None:
            userinfo = jwt.decode(id_token, options={"verify_signature": False})
        with self._lock:
            self._next = _Answer(id_token, userinfo)

    # What the HTTP handler calls.

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def authorize(self, params: dict[str, str]) -> str:
        with self._lock:
            answer, self._next = self._next, None
            if answer is None or params.get("client_id") not in self.clients:
                raise LookupError("no ID token chosen, or an unknown client")
            code = secrets.token_urlsafe(16)
            self._codes[code] = answer
        query = urlencode({"code": code, "state": params.get("state", "")})
        return f"{params['redirect_uri']}?{query}"

    def token(self, form: dict[str, str]) -> dict[str, Any] | None:
        with self._lock:
            self.token_requests += 1
            # A code is NOT spent by its first exchange, on purpose: a replayed callback must be
            # refused by our side, not saved by a careful provider.
            answer = self._codes.get(form.get("code", ""))
            secret = self.clients.get(form.get("client_id", ""))
            if answer is None or secret is None or form.get("client_secret") != secret:
                return None
            access_token = secrets.token_urlsafe(16)
            self._tokens[access_token] = answer
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": answer.id_token,
        }

    def userinfo(self, authorization: str) -> dict[str, Any] | None:
        answer = self._tokens.get(authorization.removeprefix("Bearer "))
        return answer.userinfo if answer else None


def _handler(forger: OidcForger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                return self._json(200, forger.configuration())
            if url.path == "/jwks":
                return self._json(200, forger.jwks())
            if url.path == "/userinfo":
                info = forger.userinfo(self.headers.get("Authorization", ""))
                return self._json(200, info) if info else self._json(401, {"error": "token"})
            if url.path == "/authorize":
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                try:
                    location = forger.authorize(params)
                except LookupError as error:
                    return self._json(400, {"error": str(error)})
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            body = forger.token(form)
            return self._json(200, body) if body else self._json(400, {"error": "invalid_grant"})

    return Handler


class RunningForger:
    """The forger served on 127.0.0.1 at a free port until ``close``."""

    def __init__(self) -> None:
        self.forger = OidcForger()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.forger))
        self._server.daemon_threads = True
        self.forger.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
