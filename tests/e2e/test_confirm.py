"""Destructive actions ask first (#13, item 14), in Chromium against the demo organisation: the
confirmation dialog of static/js/app.js holds back both a plain form and one that htmx sends, names
what is about to happen, does nothing on Cancel, and carries the action out on confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

DEMO = "/o/acme/"
SKILL = "Confirmation Dialog Testing"


def test_archiving_a_skill_asks_first_and_cancel_keeps_it(browser: Browser, stack: Stack) -> None:
    admin = new_page(browser, stack)
    sign_in(admin, email="admin@acme.example", password="demo-password-1")
    # A skill of its own, so that archiving it changes nothing another test reads.
    admin.goto(f"{DEMO}skills/new/")
    admin.get_by_label("Name").fill(SKILL)
    admin.get_by_role("button", name="Add to the framework").click()
    admin.goto(f"{DEMO}skills/?q=Confirmation")
    row = admin.locator("tr", has=admin.get_by_role("link", name=SKILL))
    archive = row.get_by_role("button", name=f"Archive {SKILL}")
    dialog = admin.get_by_role("dialog")

    # The archive form is sent by htmx; Cancel must hold htmx back as well as the browser.
    requests: list[str] = []
    admin.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    archive.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Archive {SKILL}?")
    snap(admin, "confirm-archive-dialog")
    # Cancel has the focus: Enter on a dialog not read must not destroy anything.
    admin.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert requests == []
    admin.reload()
    expect(row.get_by_text("Archived", exact=True)).to_have_count(0)

    archive.click()
    dialog.get_by_role("button", name="Archive").click()
    expect(row.get_by_text("Archived", exact=True)).to_be_visible()
    assert len(requests) == 1 and requests[0].endswith("/archive/"), requests
