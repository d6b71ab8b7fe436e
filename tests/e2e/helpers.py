"""What the browser tests do again and again: a fresh browser profile per person, signing up with
email verification, signing in, and a full-page screenshot for the CI artefacts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.stack import SCREENSHOTS, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PASSWORD = "violet-harbour-kettle-42"
# Long enough for a page behind a cold gunicorn worker, short enough to fail fast in CI.
TIMEOUT_MS = 15_000


def new_page(browser: Browser, stack: Stack, *, bypass_csp: bool = False) -> Page:
    """A page in a context of its own: each person gets their own cookies, as on their own machine.
    ``bypass_csp`` only for the accessibility audit, which injects axe-core into the page."""
    context: BrowserContext = browser.new_context(
        base_url=stack.base_url,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def settled(page: Page) -> None:
    """Wait until the page has loaded and htmx has no request in flight (the bell's count loads
    after the page). Faster than Playwright's "networkidle", which always waits 500 ms more."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request')", timeout=TIMEOUT_MS, polling=50
    )


def snap(page: Page, name: str) -> None:
    """A full-page screenshot under artifacts/screenshots/ (see README, "Browser tests")."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def link_in(body: str, path_prefix: str) -> str:
    """The first absolute link in a mail body whose path starts with ``path_prefix``."""
    match = re.search(rf"https?://[^\s/]+{re.escape(path_prefix)}\S*", body)
    assert match, f"no {path_prefix} link in:\n{body}"
    return match.group(0)


def sign_up(page: Page, stack: Stack, *, email: str, name: str) -> None:
    """Sign up through the form, then verify the address with the link from the mail, which also
    signs the new user in."""
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    # Verification is mandatory: until the link is followed there is no way in.
    page.get_by_role("heading", name=re.compile("verify your email", re.IGNORECASE)).wait_for()
    body = stack.wait_for_mail(email, "confirm")
    page.goto(link_in(body, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/(orgs|o)/"))


def sign_in(page: Page, *, email: str, password: str = PASSWORD) -> None:
    # The sign-in page asks for the email first (sso.views), then for the password.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/(orgs|o)/"))
