"""Refusing repeated sign-in attempts: a 429 with ``Retry-After`` and a message a person can act on.

Two doors, two guards. The allauth sign-in (``/accounts/login/``) is limited by allauth's own rate
limits (``ACCOUNT_RATE_LIMITS``): failures per address and per IP. allauth refuses the next
attempt with a form error but a 200; ``AccountAdapter`` notes when that happens and
``LoginThrottleMiddleware`` turns the page into a 429 with ``Retry-After``. The Django admin login
(``/admin/login/``) is guarded by django-axes, scoped to the admin by ``AdminOnlyAxesHandler``
so that allauth sign-ins are neither counted twice nor slowed by axes' bookkeeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# For a 429 that does not say how long to wait: allauth's limits other than failed sign-ins are
# per minute.
DEFAULT_RETRY_AFTER = 60


def _seconds_until_allowed(request: HttpRequest, cache_key_material: str) -> int:
    """How long until allauth's ``login_failed`` limit lets this address try again: for each
    exhausted rate, when the oldest attempt that counts leaves its window. This reads allauth's
    internal bookkeeping (pinned version); tests/security/test_throttling.py fails if it changes."""
    from allauth.account import app_settings

    now, wait = time.time(), 0.0
    rates = allauth_ratelimit.parse_rates(app_settings.RATE_LIMITS.get("login_failed"))
    for rate in rates:
        key = allauth_ratelimit.get_cache_key(
            request,
            app="allauth.account",
            action="login_failed",
            rate=rate,
            key=cache_key_material,
        )
        # Newest first, as allauth keeps it; the window is full when it holds ``amount`` hits.
        history = [ts for ts in cache.get(key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait)) if wait else DEFAULT_RETRY_AFTER


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            # allauth has refused to even check the password; the middleware makes this a 429.
            material = self._get_login_attempts_cache_key(request, **credentials)
            request.login_retry_after = _seconds_until_allowed(request, material)  # type: ignore[attr-defined]  # read by LoginThrottleMiddleware
            raise


class LoginThrottleMiddleware:
    """A refused sign-in answers 429, and every 429 says when to come back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        retry_after = getattr(request, "login_retry_after", None)
        if retry_after is not None and response.status_code == 200:
            # The body is allauth's sign-in page with its "Too many failed login attempts"
            # message; only the status was wrong.
            response.status_code = 429
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after or DEFAULT_RETRY_AFTER)
        return response


class AdminOnlyAxesHandler(AxesDatabaseHandler):
    """django-axes for the admin login only: allauth sign-ins have their own limits, and counting
    them here too would let failures on the public page lock the admin out."""

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        if request is not None and self.is_admin_request(request):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        if request is not None and self.is_admin_request(request):
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        if request is not None and self.is_admin_request(request):
            super().user_logged_out(sender, request, user, **kwargs)


class AdminLoginBackend(AxesStandaloneBackend):
    """axes' backend refuses to run without a request; ``authenticate()`` without one (a shell, a
    script, the test client's ``login()``) is not a sign-in form and has nothing to throttle."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def admin_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """axes' answer once the admin login is locked: our 429 page, saying for how long."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else DEFAULT_RETRY_AFTER
    response = render(
        request,
        "429.html",
        {"lockout_minutes": math.ceil(seconds / 60), "is_admin_login": True},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
