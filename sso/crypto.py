"""The OIDC client secret at rest: Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with
a key derived from ``settings.SSO_SECRET_KEY``, which comes from the environment.

A stolen database dump without the key gives no client secret. Production refuses to start without
the key (``skillsmap/settings/production.py``); development and tests use a fixed dev key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from skillsmap.core.errors import ServiceError


def _fernet() -> Fernet:
    # Any string the operator chooses becomes a valid 32-byte Fernet key: no format to get wrong.
    digest = hashlib.sha256(str(settings.SSO_SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The stored secret in clear, for the token request to the identity provider only."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        # The key changed since the secret was saved: the admin must enter the secret again.
        raise ServiceError(
            "The stored client secret cannot be read with the current key; enter it again."
        ) from error
