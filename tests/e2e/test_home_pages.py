"""Each role's start page and the landing page, in Chromium against the demo organisation the stack
seeds: the panels the role acts from are there, they lead where the role acts, and axe-core finds
nothing serious or critical on any of them, nor on the product's own 404 page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, settled, sign_in, snap
from tests.e2e.stack import Stack
from tests.e2e.test_accessibility import DEMO, DEMO_PASSWORD, _audit, _describe

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

# The demo login of each role, and the headings of the panels that role starts from.
ROLE_PANELS = {
    "engineer": ["Your readiness", "What to rate next"],
    "manager": ["Ratings to validate", "Your teams' bus-factor risks", "Your readiness"],
    "hr": ["The organisation's gap", "Bus-factor risks", "Stale ratings", "Your recent exports"],
    "admin": ["Pending invitations", "The organisation's gap", "Stale ratings"],
}


@pytest.mark.parametrize("login", list(ROLE_PANELS))
def test_each_roles_home_page_shows_its_panels_and_passes_axe(
    login: str, browser: Browser, stack: Stack
) -> None:
    page = new_page(browser, stack, bypass_csp=True)  # bypass only to inject axe-core
    sign_in(page, email=f"{login}@acme.example", password=DEMO_PASSWORD)
    # Signing in lands a member of one organisation on its home page.
    page.wait_for_url(f"**{DEMO}")
    # Opened again, as on any later visit: the one-off "signed in" message is base.html's (its
    # list inside role="status" is reported to the lead), not the home page's.
    page.goto(DEMO)
    for heading in ROLE_PANELS[login]:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    settled(page)
    snap(page, f"home-{login}")
    violations = _audit(page)
    assert not violations, _describe(page.url, violations)


def test_the_managers_panel_leads_to_the_validation_page(browser: Browser, stack: Stack) -> None:
    page = new_page(browser, stack)
    sign_in(page, email="manager@acme.example", password=DEMO_PASSWORD)
    page.get_by_role("link", name="Validate ratings").click()
    page.wait_for_url(f"**{DEMO}ratings/validate/")
    expect(page.get_by_role("heading", name="Validate ratings", level=1)).to_be_visible()


def test_the_landing_page_and_the_404_page_pass_axe(browser: Browser, stack: Stack) -> None:
    page = new_page(browser, stack, bypass_csp=True)
    page.goto("/")
    expect(page.get_by_role("heading", name="Know what your people can do")).to_be_visible()
    expect(page.get_by_text("An example with invented people, not your data.")).to_be_visible()
    assert page.locator('link[rel="icon"]').get_attribute("href")
    snap(page, "landing")
    failures = []
    violations = _audit(page)
    if violations:
        failures.append(_describe(page.url, violations))
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    snap(page, "not-found")
    violations = _audit(page)
    if violations:
        failures.append(_describe(page.url, violations))
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)
