"""My skills and validation in Chromium against the demo organisation the stack seeds (issue #13,
items 2 and 10): a manager's validated level is what the row shows after the save, after a reload
and after confirming it again; the engineer reaches their own gap page from My skills."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
ENGINEER, ENGINEER_NAME = "engineer@acme.example", "Erin Engineer"
MANAGER = "manager@acme.example"
SKILL = "Distributed Systems"
NOTE = "Designed the retry scheme of the payments queue"


def _self_rate(page: Page, skill: str, level: int) -> None:
    page.goto("/o/acme/me/skills/")
    row = page.locator(".rating-row", has=page.get_by_text(skill, exact=True))
    row.locator(f'input[name="level"][value="{level}"]').check()
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#rating-status")).to_contain_text(f"Saved your rating of {skill}")


def _validation_row(page: Page, skill: str) -> Locator:
    return page.locator("tr", has=page.get_by_role("rowheader", name=re.compile(skill)))


def _expect_validated(row: Locator) -> None:
    """The row shows the validated 3 in its control, the self level 2, the signed difference
    explained, and the note."""
    expect(row.get_by_label(re.compile("^Level for"))).to_have_value("3")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(re.compile(r"^\s*2\b"))
    expect(cells.nth(1)).to_have_text("3")
    expect(cells.nth(2)).to_contain_text("validated")
    expect(cells.nth(3)).to_contain_text("+1")
    expect(cells.nth(3)).to_contain_text("manager 1 level above the self-assessment")
    expect(cells.nth(5)).to_contain_text(NOTE)


def test_a_validated_row_shows_the_validated_level_after_a_save_and_a_reload(
    browser: Browser, stack: Stack
) -> None:
    engineer = new_page(browser, stack)
    sign_in(engineer, email=ENGINEER, password=DEMO_PASSWORD)
    _self_rate(engineer, SKILL, 2)

    manager = new_page(browser, stack)
    sign_in(manager, email=MANAGER, password=DEMO_PASSWORD)
    manager.goto("/o/acme/ratings/validate/")
    manager.get_by_role("link", name=f"Review {ENGINEER_NAME}").click()
    row = _validation_row(manager, SKILL)
    row.get_by_label(re.compile("^Level for")).select_option("3")
    row.get_by_label(re.compile("^Note")).fill(NOTE)
    row.get_by_role("button", name="Confirm or adjust").click()
    expect(manager.locator("#rating-status")).to_contain_text(f"Saved your validation of {SKILL}")
    _expect_validated(_validation_row(manager, SKILL))  # the row htmx swapped in

    manager.reload()
    _expect_validated(_validation_row(manager, SKILL))
    snap(manager, "my-skills-validated-row")

    # Confirming the row again as it stands keeps the validation (it used to reset it to 2).
    _validation_row(manager, SKILL).get_by_role("button", name="Confirm or adjust").click()
    expect(manager.locator("#rating-status")).to_contain_text(f"Saved your validation of {SKILL}")
    manager.reload()
    _expect_validated(_validation_row(manager, SKILL))

    # The engineer's row says who set the level and why.
    engineer.goto("/o/acme/me/skills/")
    mine = engineer.locator(".rating-row", has=engineer.get_by_text(SKILL, exact=True))
    expect(mine).to_contain_text("Validated by manager at level 3")
    expect(mine).to_contain_text(NOTE)
    engineer.context.close()
    manager.context.close()


def test_the_engineer_reaches_their_own_gap_from_my_skills(browser: Browser, stack: Stack) -> None:
    page = new_page(browser, stack)
    sign_in(page, email=ENGINEER, password=DEMO_PASSWORD)
    page.goto("/o/acme/me/skills/")
    summary = page.locator(".my-skills-summary")
    expect(summary.get_by_role("heading", name="Your readiness")).to_be_visible()
    expect(summary).to_contain_text(re.compile(r"Current role: \S.*\d+% ready", re.S))
    expect(summary.get_by_role("heading", name="What to learn next")).to_be_visible()
    # Each required skill's row names its target in the engineer's roles.
    expect(page.locator(".skill-targets").first).to_contain_text("target")
    page.get_by_role("link", name="Required by my role").click()
    expect(page).to_have_url(re.compile(r"/me/skills/\?show=required$"))
    expect(page.locator(".rating-row").first).to_be_visible()
    snap(page, "my-skills-required")

    readiness = summary.locator(".my-readiness-role").first.locator("strong").inner_text()
    page.get_by_role("link", name="See my gap in full").click()
    expect(page).to_have_url(re.compile(r"/o/acme/people/\d+/gap/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGINEER_NAME)
    expect(page.locator(".role-gap").first).to_contain_text(f"{readiness} ready")

    # The navigation's target: My gap leads to the same page.
    gap_url = page.url
    page.goto("/o/acme/me/gap/")
    expect(page).to_have_url(gap_url)
    page.context.close()
