"""OpenID Connect sign-in, with the ID token's signature always checked.

allauth's ``openid_connect`` provider skips the signature of an ID token it fetched itself from
the token endpoint (OIDC Core 3.1.3.7 allows it when that channel is TLS). An organisation's
admin types the issuer, and a tampered, unsigned (``alg: none``) or foreign-key token was then
believed (tests/sso/test_oidc_refusals.py). The callback here verifies every ID token against the
provider's JWKS: the key is the one the token's ``kid`` names (or the provider's only signing key,
when the token names none, as the specification allows), and the algorithm is the key's, never
the token header's choice, and asymmetric only. Anything that trips the check is a refused
sign-in (allauth's authentication error page), not a 500."""

from __future__ import annotations

from typing import Any

import jwt
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

# Public-key algorithms only: with a symmetric one (HS256) the "key" would be the provider's
# public key, which anyone can read, or the client secret, which the product holds too.
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def _signing_key(keys: list[dict[str, Any]], header: dict[str, Any]) -> tuple[str, Any]:
    signing = [k for k in keys if k.get("use", "sig") == "sig"]
    kid = header.get("kid")
    if kid:
        candidates = [k for k in signing if k.get("kid") == kid]
    else:  # no kid: only unambiguous when the provider publishes one signing key
        candidates = signing if len(signing) == 1 else []
    if not candidates:
        raise jwt.InvalidKeyError("no key of the provider matches the token")
    jwk = candidates[0]
    algorithm = jwk.get("alg") or ("RS256" if jwk.get("kty") == "RSA" else header.get("alg"))
    if algorithm not in ALGORITHMS or header.get("alg") != algorithm:
        raise jwt.InvalidAlgorithmError(f"the token is not signed with {algorithm}")
    return algorithm, jwt.PyJWK(jwk, algorithm=algorithm).key


class VerifyingOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
            with get_adapter().get_requests_session() as session:
                response = session.get(self.openid_config["jwks_uri"])
                response.raise_for_status()
                keys = response.json().get("keys", [])
            algorithm, key = _signing_key(keys, header)
            data: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[algorithm],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            jwtkit.verify_jti(data)  # allauth's replay guard for tokens that carry a jti
            return data
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as error:
            raise OAuth2Error("Invalid id_token") from error


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's ``openid_connect`` callback with the verifying adapter; mounted ahead of it."""
    try:
        view = OAuth2CallbackView.adapter_view(VerifyingOpenIDConnectAdapter(request, provider_id))
        response: HttpResponse = view(request)
        return response
    except SocialApp.DoesNotExist as error:
        raise Http404 from error
