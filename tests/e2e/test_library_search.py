"""Adopting from the library search in Chromium (issue #13, item 5): the first tick on a search
result survives the focus leaving the search box and a new search, so the first adopt adopts it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
# Technologies the demo has not adopted.
QUERY, SECOND_QUERY = "Rust", "Ansible"


def test_the_first_tick_on_a_search_result_survives_and_is_adopted(
    browser: Browser, stack: Stack
) -> None:
    page = new_page(browser, stack)
    sign_in(page, email="admin@acme.example", password=DEMO_PASSWORD)
    page.goto("/o/acme/skills/library/")

    page.get_by_role("searchbox", name="Search the library").fill(QUERY)
    status = page.locator("#library-status")
    expect(status).to_contain_text(f"matching “{QUERY}”")
    first = page.locator("#library-results input[name=library_skill]").first
    name = page.locator(f"label[for='{first.get_attribute('id')}']").inner_text()

    # The click moves focus out of the search box: that used to re-run the search, whose answer
    # replaced the results and with them the tick. Once no request is in flight, the tick stands.
    first.check()
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(first).to_be_checked()

    # A new search keeps the tick: above the new results, still ticked.
    page.get_by_role("searchbox", name="Search the library").fill(SECOND_QUERY)
    expect(status).to_contain_text(f"matching “{SECOND_QUERY}”")
    kept = page.locator(".library-kept")
    expect(kept.get_by_label(name)).to_be_checked()
    second = page.locator("#library-results table input[name=library_skill]").first
    second_name = page.locator(f"label[for='{second.get_attribute('id')}']").inner_text()
    second.check()

    page.get_by_role("button", name="Adopt selected").click()
    expect(status).to_contain_text(f"Adopted into your framework: {name}, {second_name}.")
    expect(page.locator("#library-results [role=alert]")).to_have_count(0)
    row = page.locator("#library-results tbody tr", has_text=second_name).first
    expect(row.locator(".badge", has_text=re.compile("^Adopted$"))).to_be_visible()
    snap(page, "library-adopt-ticks-kept")

    page.goto("/o/acme/skills/")
    for adopted in (name, second_name):
        expect(page.get_by_role("link", name=adopted, exact=True)).to_be_visible()
    page.context.close()
