"""Single sign-on in Chromium (#15): the demo organisation's admin sets up its OpenID Connect
provider on the settings page; a new colleague on its verified domain then types only their email
on the sign-in page, is taken to the provider (a real one, oidc-provider-mock on 127.0.0.1), signs
in there and comes back signed in, with an account and a membership created just in time.

The newcomer's verified domain is a name of its own (``sso-journey.example``). The demo also has
``acme.example`` verified, so while the provider is enabled the demo logins would be sent to it:
the journey removes the provider when it ends, pass or fail, and the other browser tests keep
signing in with their passwords."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, sign_in, snap
from tests.e2e.stack import REPO, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
ADMIN = "admin@acme.example"
DOMAIN = "sso-journey.example"
NEWCOMER = f"jo@{DOMAIN}"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _shell(stack: Stack, code: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO,
        env=stack.env(),
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def provider_removed_after(stack: Stack) -> Iterator[None]:
    yield
    _shell(
        stack,
        "from accounts.models import Organisation\n"
        "from skillsmap.core.tenancy import organisation_context\n"
        "from sso.models import IdentityProvider\n"
        "acme = Organisation.objects.get(slug='acme')\n"
        "with organisation_context(acme):\n"
        "    IdentityProvider.objects.filter(organisation=acme).delete()\n",
    )


def _verify_domain(stack: Stack) -> None:
    """The domain as verified, written straight into the stack's database (proving it over DNS
    is the verified-domains part's journey)."""
    code = (
        "from django.utils import timezone\n"
        "from accounts.models import Organisation\n"
        "from domains.models import Domain\n"
        "from skillsmap.core.tenancy import organisation_context\n"
        "acme = Organisation.objects.get(slug='acme')\n"
        "with organisation_context(acme):\n"
        f"    Domain.objects.get_or_create(organisation=acme, name='{DOMAIN}',\n"
        "        defaults={'verified_at': timezone.now()})\n"
    )
    _shell(stack, code)


def test_a_newcomer_signs_in_through_the_organisations_oidc_provider(
    browser: Browser, stack: Stack, issuer: str, provider_removed_after: None
) -> None:
    _verify_domain(stack)
    requests.put(
        f"{issuer}/users/jo",
        json={"email": NEWCOMER, "name": "Jo Newcomer", "job_title": "Site Reliability Engineer"},
        timeout=5,
    ).raise_for_status()

    # The admin configures the provider, from the Organisation menu.
    admin = new_page(browser, stack)
    sign_in(admin, email=ADMIN, password=DEMO_PASSWORD)
    nav = admin.locator("#site-nav")
    nav.locator("summary", has_text="Organisation").click()
    nav.get_by_role("link", name="Single sign-on").click()
    admin.wait_for_url(re.compile("/settings/sso/"))
    expect(admin.get_by_text("/accounts/oidc/org-acme/login/callback/")).to_be_visible()
    admin.get_by_label("OpenID Connect", exact=True).check()
    admin.get_by_label("Issuer URL (OpenID Connect)").fill(issuer)
    admin.get_by_label("Client id").fill("skillsmap-acme")
    admin.get_by_label("Client secret").fill("journey-secret")
    admin.get_by_label("Job title attribute").fill("job_title")
    admin.get_by_label(re.compile("^Enabled")).check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("The single sign-on settings are saved.")).to_be_visible()
    snap(admin, "sso-settings")

    # The newcomer types only the email; the page takes them to the provider, and back.
    page = new_page(browser, stack)
    page.goto("/accounts/login/")
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_label("Email").fill(NEWCOMER)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(issuer) + "/oauth2/authorize"))
    page.locator("input[name=sub]").fill("jo")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(r"/o/acme/$"))
    expect(page.locator(".account-email")).to_have_text(NEWCOMER)
    snap(page, "sso-signed-in")
