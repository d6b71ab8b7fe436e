"""The layout as each role meets it on a phone (390 × 844) and a laptop (1,366 × 900), in Chromium
against the demo organisation the stack seeds: every main page fits the phone's width (wide tables
and the matrix scroll in their own box, never the page), the navigation folds behind a menu button
on the phone and fits one row on the laptop. Each page is photographed at both sizes for
artifacts/screenshots/ (README, "Browser tests")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT_MS, settled, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
DEMO = "/o/acme/"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
ROLES = ("engineer", "manager", "hr", "admin")
# Links of the navigation that are not pages of the organisation to check here.
NOT_A_MAIN_PAGE = re.compile(r"/orgs/new/|/accounts/logout/")


def _page(browser: Browser, stack: Stack, role: str, viewport: dict[str, int]) -> Page:
    context = browser.new_context(base_url=stack.base_url, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, email=f"{role}@acme.example", password=DEMO_PASSWORD)
    return page


def _main_pages(page: Page) -> list[str]:
    """Every page the role's navigation offers, plus the pages one click below the lists (a team's
    matrix, a person, a person's gap, a role, a review campaign), as paths."""
    page.goto(DEMO)
    hrefs = page.locator("#site-nav a[href]").evaluate_all("links => links.map(a => a.pathname)")
    paths = [
        h for h in dict.fromkeys(hrefs) if h.startswith(DEMO) and not NOT_A_MAIN_PAGE.search(h)
    ]
    # The campaigns list is in the navigation of those who launch; anyone asked reaches it from
    # their to-do.
    paths.append(f"{DEMO}campaigns/")
    for listing, pattern in (
        (f"{DEMO}teams/", r"/teams/\d+/matrix/$"),
        (f"{DEMO}people/", r"/people/\d+/$"),
        (f"{DEMO}roles/", r"/roles/\d+/$"),
        # A review campaign's progress and the launch form, for those whose navigation offers
        # the campaigns (HR, admins, managers).
        (f"{DEMO}campaigns/", r"/campaigns/\d+/$"),
        (f"{DEMO}campaigns/", r"/campaigns/new/$"),
    ):
        page.goto(listing)
        found = page.locator("main a[href]").evaluate_all("links => links.map(a => a.pathname)")
        below = [h for h in found if re.search(pattern, h)]
        if below:
            paths.append(below[0])
    # A person's gap page, where the role may follow a link to one (a member may not, for others).
    for path in [p for p in paths if re.search(r"/(people|teams)/\d+/(matrix/)?$", p)]:
        page.goto(path)
        gaps = page.locator("main a[href*='/gap/']").evaluate_all(
            "links => links.map(a => a.pathname)"
        )
        if gaps:
            paths.append(gaps[0])
            break
    return list(dict.fromkeys(paths))


def _overflow(page: Page) -> int:
    """How far the page body reaches past the viewport's width, in CSS pixels."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _name(path: str) -> str:
    return re.sub(r"\d+", "n", path.removeprefix(DEMO).strip("/").replace("/", "-")) or "home"


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_fits_a_phone_without_the_page_scrolling_sideways(
    browser: Browser, stack: Stack, role: str
) -> None:
    phone = _page(browser, stack, role, PHONE)
    laptop = _page(browser, stack, role, LAPTOP)
    paths = _main_pages(phone)
    # The navigation offers at least My skills, People, Teams, Roles, the framework and Members.
    assert len(paths) >= 6, paths
    too_wide = []
    for path in paths:
        response = phone.goto(path)
        assert response and response.ok, f"{role}: {path} answered {response and response.status}"
        settled(phone)
        if (extra := _overflow(phone)) > 0:
            too_wide.append(f"{path}: {extra}px wider than the phone")
        snap(phone, f"phone-{role}-{_name(path)}")
        laptop.goto(path)
        settled(laptop)
        snap(laptop, f"laptop-{role}-{_name(path)}")
    assert not too_wide, f"{role}: pages wider than 390px:\n" + "\n".join(too_wide)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_fits_one_row_on_a_laptop(browser: Browser, stack: Stack, role: str) -> None:
    page = _page(browser, stack, role, LAPTOP)
    page.goto(DEMO)
    # Measured once the bell's count has loaded: it widens the account links.
    settled(page)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    tops = page.locator(".topbar .brand, #site-nav nav > *").evaluate_all(
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
    )
    assert len(tops) >= 8, tops
    assert max(tops) - min(tops) <= 8, f"{role}: the navigation wraps (tops {sorted(set(tops))})"


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    browser: Browser, stack: Stack
) -> None:
    page = _page(browser, stack, "admin", PHONE)
    page.goto(f"{DEMO}people/")
    menu = page.get_by_role("button", name="Menu")
    people = page.locator("#site-nav").get_by_role("link", name="People")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(people).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(people).to_be_visible()
    # The less frequent pages sit in groups that open in place.
    page.locator("#site-nav summary", has_text="Organisation").click()
    audit = page.locator("#site-nav").get_by_role("link", name="Audit log")
    expect(audit).to_be_visible()
    snap(page, "phone-admin-navigation-open")
    assert _overflow(page) <= 0
    audit.click()
    page.wait_for_url(f"**{DEMO}audit/**")
    # On the next page the menu starts folded again.
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
