"""The scale editor in Chromium (issue #13, item 21): on a laptop each level's name and description
sit under their own column headings; on a phone each level is one block that fits the width."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.helpers import TIMEOUT_MS, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
SCALE = "/o/acme/skills/scale/"


def _open(browser: Browser, stack: Stack, width: int) -> Page:
    context = browser.new_context(
        base_url=stack.base_url,
        viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, email="admin@acme.example", password=DEMO_PASSWORD)
    page.goto(SCALE)
    return page


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_the_descriptions_line_up_under_the_description_column(
    browser: Browser, stack: Stack
) -> None:
    page = _open(browser, stack, 1366)
    table = page.locator("table.scale-table")
    name_heading = _box(table.get_by_role("columnheader", name="Name"))
    heading = _box(table.get_by_role("columnheader", name="Description"))
    rows = table.locator("tbody tr")
    assert rows.count() == 6
    for i in range(6):
        name = _box(rows.nth(i).locator("input"))
        description = _box(rows.nth(i).locator("textarea"))
        # Under its heading, beside (not below) the name, in the same row.
        assert heading["x"] - 1 <= description["x"] <= heading["x"] + heading["width"]
        assert name_heading["x"] - 1 <= name["x"] < heading["x"]
        assert name["x"] + name["width"] <= description["x"]
        assert abs(description["y"] - name["y"]) < name["height"]
    snap(page, "scale-editor-1366")
    page.context.close()


def test_on_a_phone_each_level_fits_the_width(browser: Browser, stack: Stack) -> None:
    page = _open(browser, stack, 390)
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    rows = page.locator("table.scale-table tbody tr")
    for i in range(rows.count()):
        name = _box(rows.nth(i).locator("input"))
        description = _box(rows.nth(i).locator("textarea"))
        assert description["x"] + description["width"] <= width
        assert description["y"] >= name["y"] + name["height"]  # under the name
    snap(page, "scale-editor-390")
    page.context.close()
