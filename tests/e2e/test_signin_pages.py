"""Item 13 of #13: the account pages (allauth's sign-up, sign-in, verification, password reset and
change, email, two-factor) are the product's pages, pass an axe-core audit, and a failed full-page
submit puts the error summary at the top with the focus on it.

A new user signs up here, so that switching on two-factor touches no demo login that other
browser tests sign in with."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, link_in, new_page, settled, sign_in, snap
from tests.e2e.stack import AXE_JS, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}
EMAIL = "signin-pages@example.com"


def _violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


class _Audit:
    """Collects each page's blocking findings, so that one run reports every page at once."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.pages: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        settled(page)
        # Each page is the product's: its navigation and stylesheet, not allauth's bare layout.
        expect(page.locator("header.topbar .brand")).to_have_text("skillsmap")
        expect(page.locator("main.auth-page")).to_be_visible()
        snap(page, f"account-{name}")
        self.pages.append(name)
        for v in _violations(page):
            nodes = "; ".join(json.dumps(n["target"]) for n in v["nodes"][:5])
            self.failures.append(f"{name} ({page.url}): [{v['impact']}] {v['id']} {nodes}")


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_every_account_page_is_the_products_and_passes_axe(browser: Browser, stack: Stack) -> None:
    # bypass_csp only so that axe-core can be injected; the pages are served as to anyone.
    page = new_page(browser, stack, bypass_csp=True)
    audit = _Audit()

    page.goto("/accounts/login/")
    audit(page, "login")
    page.goto("/accounts/signup/")
    audit(page, "signup")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Your name").fill("Sina Pages")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name=re.compile("verify your email", re.IGNORECASE)).wait_for()
    audit(page, "verification-sent")
    page.goto(link_in(stack.wait_for_mail(EMAIL, "confirm"), "/accounts/confirm-email/"))
    audit(page, "confirm-email")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/(orgs|o)/"))

    for name, path in [
        ("email", "/accounts/email/"),
        ("password-change", "/accounts/password/change/"),
        ("mfa-index", "/accounts/2fa/"),
    ]:
        page.goto(path)
        audit(page, name)

    # Switching on TOTP asks for the password again first.
    page.goto("/accounts/2fa/totp/activate/")
    page.wait_for_url(re.compile("/accounts/reauthenticate/"))
    audit(page, "reauthenticate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile("/accounts/2fa/totp/activate/"))
    audit(page, "totp-activate")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile("/accounts/2fa/"))
    page.goto("/accounts/2fa/recovery-codes/")
    audit(page, "recovery-codes")

    # Signing in again now asks for the code.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Continue").click()  # the email first, then the password
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile("/accounts/2fa/authenticate/"))
    audit(page, "mfa-authenticate")

    # Password reset, signed out: the request, its "sent" page and the page behind the link.
    page.context.clear_cookies()
    page.goto("/accounts/password/reset/")
    audit(page, "password-reset")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Reset My Password").click()
    page.wait_for_url(re.compile("/accounts/password/reset/done/"))
    audit(page, "password-reset-done")
    page.goto(link_in(stack.wait_for_mail(EMAIL, "password"), "/accounts/password/reset/key/"))
    page.wait_for_url(re.compile("/accounts/password/reset/key/"))
    audit(page, "password-reset-from-key")

    assert not audit.failures, "serious or critical accessibility findings:\n" + "\n".join(
        audit.failures
    )


def test_a_failed_sign_in_puts_the_error_summary_at_the_top_with_focus(
    browser: Browser, stack: Stack
) -> None:
    page = new_page(browser, stack)
    page.set_viewport_size({"width": 390, "height": 700})
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("engineer@acme.example")
    page.get_by_role("button", name="Continue").click()  # the email first, then the password
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state("load")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("not correct")
    expect(summary).to_be_focused()
    # Above the form's first field and inside the first screen, even on a phone.
    box, field = summary.bounding_box(), page.get_by_label("Email").bounding_box()
    assert box and field and box["y"] < field["y"], (box, field)
    assert box["y"] + box["height"] <= 700, box
    snap(page, "account-login-failed")


def test_a_failed_sign_up_links_each_error_to_its_field(browser: Browser, stack: Stack) -> None:
    page = new_page(browser, stack)
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("signup-errors@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state("load")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links.first).to_be_visible()
    expect(links.first).to_contain_text("same password")
    href = links.first.get_attribute("href")
    assert href == "#id_password2", href
    # The link leads to the field it is about.
    expect(page.locator(href)).to_have_attribute("name", "password2")
    expect(page.locator(href)).to_have_attribute("aria-invalid", "true")


def test_the_invitation_link_and_audit_log_pass_axe_and_copy_works(
    browser: Browser, stack: Stack
) -> None:
    """Items 6 and 15 in the browser: the link shown once after inviting, its copy button (our
    own script under the CSP), and the audit log with its filters."""
    page = new_page(browser, stack, bypass_csp=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, email="admin@acme.example", password="demo-password-1")
    page.goto("/o/acme/members/")
    page.get_by_label("Email address").fill("copy-link@example.com")
    page.get_by_role("button", name="Send invitation").click()
    link = page.get_by_label("Link")
    expect(link).to_have_value(re.compile(r"^http://[^/]+/invitations/acme/"))
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    failures = [f"members: {v['id']}" for v in _violations(page)]

    page.goto("/o/acme/audit/")
    expect(
        page.get_by_role("cell", name=re.compile("invited copy-link@example.com"))
    ).to_be_visible()
    page.get_by_label("What").select_option(label="Invitation sent")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.audit-log tbody tr")).to_have_count(1)
    snap(page, "audit-log-filtered")
    failures += [f"audit: {v['id']}" for v in _violations(page)]
    assert not failures, failures
