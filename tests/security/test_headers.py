"""Security headers: the Content-Security-Policy on every page, and the production hardening
(secure cookies, HSTS, referrer policy) that only the production settings switch on."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.security.test_xss import INLINE_SCRIPT
from tests.test_deployment import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db


def _policy(header: str) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/login/"])
def test_every_page_carries_a_strict_content_security_policy(client: Client, url):
    policy = _policy(client.get(url)["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    everything = " ".join(word for words in policy.values() for word in words)
    assert "unsafe-inline" not in everything
    assert "unsafe-eval" not in everything
    assert "*" not in everything


def test_a_signed_in_organisation_page_carries_it_too(org_a, login):
    response = login(org_a.member).get(f"/o/{org_a.organisation.slug}/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_htmx_is_configured_not_to_need_inline_styles_or_eval(client: Client):
    html = client.get("/accounts/login/").content.decode()
    start = html.index('<meta name="htmx-config" content=\'') + len(
        '<meta name="htmx-config" content=\''
    )
    config = json.loads(html[start : html.index("'", start)])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False


def test_swagger_ui_loads_only_same_origin_scripts(org_a, login):
    response = login(org_a.member).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for src in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f'src="/static/drf_spectacular_sidecar/swagger-ui-dist/{src}"' in html
    assert 'src="/api/docs/?script=' in html
    # Its page styles come from a file too: the CSP allows no inline style.
    assert "<style" not in html
    assert 'href="/static/css/swagger.css"' in html


PRODUCTION_SECURITY = """
import json
from django.conf import settings as s
print(json.dumps({
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": s.SECURE_HSTS_PRELOAD,
    "SECURE_REFERRER_POLICY": s.SECURE_REFERRER_POLICY,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "CSP": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
}, default=str))
"""


def test_production_settings_harden_cookies_transport_and_referrer():
    result = _manage("shell", "-c", PRODUCTION_SECURITY, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    csp = values["CSP"]
    assert csp["script-src"] == csp["style-src"] == ["'self'"]
    assert csp["object-src"] == csp["base-uri"] == csp["frame-ancestors"] == ["'none'"]
    assert csp["upgrade-insecure-requests"] is True
