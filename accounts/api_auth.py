"""Authentication and throttling of the API.

Kept apart from ``accounts.api_base``: DRF imports these classes from its settings while
``rest_framework.views`` is being imported, so this module must not import DRF's views.
"""

from __future__ import annotations

from datetime import timedelta
from hmac import compare_digest
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken, User, hash_token

# --- Authentication ------------------------------------------------------------------------------

# Failed token attempts from one address before it is refused for a while: a token is 256 bits of
# randomness, so this is about noise and log spam, not about guessing.
TOKEN_FAILURES_ALLOWED = 20  # settings.API_TOKEN_FAILURES_ALLOWED overrides it
TOKEN_FAILURE_WINDOW = 60
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _client_address(request: Request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _failure_key(request: Request) -> str:
    return f"api:token-failures:{_client_address(request)}"


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer smk_…``. The token is looked up by its prefix and compared by hash;
    a revoked or expired token, an inactive user or a wrong secret is refused on the very next
    request."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as: Authorization: Bearer <token>."
            )
        token = self._token_for(parts[1].decode("latin-1"))
        if token is None:
            # Only failures are counted and only failures are refused: a valid token keeps
            # working for colleagues behind the same address as someone trying random ones.
            allowed = getattr(settings, "API_TOKEN_FAILURES_ALLOWED", TOKEN_FAILURES_ALLOWED)
            if cache.get(_failure_key(request), 0) >= allowed:
                raise exceptions.Throttled(
                    wait=TOKEN_FAILURE_WINDOW, detail="Too many invalid tokens from this address."
                )
            if not cache.add(_failure_key(request), 1, TOKEN_FAILURE_WINDOW):
                try:
                    cache.incr(_failure_key(request))
                except ValueError:  # expired between add and incr
                    cache.add(_failure_key(request), 1, TOKEN_FAILURE_WINDOW)
            raise exceptions.AuthenticationFailed("This token is not valid or has been revoked.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    @staticmethod
    def _token_for(secret: str) -> ApiToken | None:
        parts = secret.split("_", 2)  # the random part may contain "_" itself
        if len(parts) != 3 or not parts[1]:
            return None
        # An expired token reads exactly like a revoked or unknown one: the same 401.
        token = (
            ApiToken.objects.filter(prefix=parts[1], revoked_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .select_related("user")
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        # Both sides are hex digests of equal length; compare_digest avoids a timing oracle.
        return token if compare_digest(token.token_hash, hash_token(secret)) else None

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated call a 401 with WWW-Authenticate rather than a 403.
        return 'Bearer realm="api"'


# --- Throttling ----------------------------------------------------------------------------------


class ApiRateThrottle(SimpleRateThrottle):
    """Requests per token (or per signed-in user for session calls). DRF answers 429 with
    ``Retry-After``. The rate is read per request so that settings overrides take effect."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Rates are strings ("600/minute"); the stubs type this setting as numbers, unlike their
        # own SimpleRateThrottle.THROTTLE_RATES (which is this very setting).
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
