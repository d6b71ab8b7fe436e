"""Keyboard use and an axe-core audit, in Chromium against the demo organisation that the stack
seeds (``manage.py seed_demo``), so that these tests need nothing from the journey test (#7)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_page, settled, sign_in, snap
from tests.e2e.stack import AXE_JS, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
DEMO = "/o/acme/"
BLOCKING_IMPACTS = {"serious", "critical"}
MAX_TABS = 60


def _focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = el ? getComputedStyle(el) : null;
            return {
                tag: el?.tagName.toLowerCase(), type: el?.type || "", id: el?.id || "",
                checked: !!el?.checked, value: el?.value || "",
                text: (el?.innerText || "").trim(),
                outline: style ? style.outlineStyle + " " + style.outlineWidth : "",
                shadow: style ? style.boxShadow : "",
            };
        }"""
    )


def _tab_until(page: Page, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Press Tab until the focused element is the one wanted, and describe it."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    pytest.fail(f"Tab did not reach the element within {MAX_TABS} presses; ended on {focused}")


def test_self_rating_page_works_with_the_keyboard_alone(browser: Browser, stack: Stack) -> None:
    page = new_page(browser, stack)
    # Signed in by typing and Enter, then from the top of the page by Tab to "My skills" and Enter.
    page.goto("/accounts/login/")
    page.get_by_label("Email").press_sequentially("engineer@acme.example")
    page.keyboard.press("Enter")  # the email first, then the password (two steps)
    page.get_by_label("Password").press_sequentially(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{DEMO}")
    _tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "My skills")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{DEMO}me/skills/")

    # Tab on until a level radio button has the focus.
    focused = _tab_until(page, lambda f: f["type"] == "radio")
    # A keyboard user must see where they are.
    assert focused["outline"].split()[0] != "none" or focused["shadow"] != "none", focused
    radio_id, before = focused["id"], focused["value"]
    skill_id = radio_id.split("-")[1]  # level-<skill>-<key>

    # The arrow keys move through the levels and select; the change is saved inline.
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/me/skills/{skill_id}/")
    ) as response:
        page.keyboard.press("ArrowRight")
    assert response.value.ok
    row = page.locator(f"#skill-{skill_id}")
    expect(row.get_by_role("status")).to_have_text("Saved")
    chosen = row.locator("input[type=radio]:checked").get_attribute("value")
    assert chosen and chosen != before
    # The swapped-in row keeps the focus on the level, so the user can carry on from there.
    assert _focused(page)["id"].startswith(f"level-{skill_id}-"), _focused(page)

    # Tab moves on from the level group to the same skill's interest box; Space ticks it.
    was_interested = _tab_until(page, lambda f: f["id"] == f"interest-{skill_id}")["checked"]
    with page.expect_response(lambda r: r.request.method == "POST" and "/me/skills/" in r.url):
        page.keyboard.press("Space")
    expect(row.get_by_role("status")).to_have_text("Saved")

    page.reload()
    row = page.locator(f"#skill-{skill_id}")
    expect(row.locator(f"#level-{skill_id}-{chosen}")).to_be_checked()
    interest = row.locator(f"#interest-{skill_id}")
    if was_interested:
        expect(interest).not_to_be_checked()
    else:
        expect(interest).to_be_checked()


def _audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (WCAG 2.x A and AA rules
    and axe's best practices)."""
    page.add_script_tag(path=AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def _describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{url}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      {json.dumps(node['target'])}: {node['failureSummary']!r}")
    return "\n".join(lines)


def _first_link(page: Page, path: str, name: str | re.Pattern[str]) -> str:
    page.goto(path)
    href = page.get_by_role("link", name=name).first.get_attribute("href")
    assert href, f"no {name} link on {path}"
    return href


def test_main_pages_have_no_serious_accessibility_violations(
    browser: Browser, stack: Stack
) -> None:
    # Only this audit's contexts bypass the Content-Security-Policy, which would refuse the
    # injected axe-core script; the pages themselves are served exactly as to anyone else.
    anonymous = new_page(browser, stack, bypass_csp=True)
    engineer = new_page(browser, stack, bypass_csp=True)
    sign_in(engineer, email="engineer@acme.example", password=DEMO_PASSWORD)
    admin = new_page(browser, stack, bypass_csp=True)
    sign_in(admin, email="admin@acme.example", password=DEMO_PASSWORD)

    matrix = _first_link(admin, f"{DEMO}teams/", "Skill matrix")
    admin.goto(matrix)
    # Each person's name in the matrix links to their gap page.
    gap = admin.locator("table.matrix tbody th a").first.get_attribute("href")
    assert gap and "/gap/" in gap, gap
    campaign = _first_link(admin, f"{DEMO}campaigns/", "Autumn skills review: leads")
    pages: list[tuple[str, Page, str]] = [
        ("home", anonymous, "/"),
        ("sign-in", anonymous, "/accounts/login/"),
        ("sign-up", anonymous, "/accounts/signup/"),
        ("demo-organisation-home", admin, DEMO),
        ("demo-self-rating", engineer, f"{DEMO}me/skills/"),
        ("demo-team-matrix", admin, matrix),
        ("demo-person-gap", admin, gap),
        ("demo-dashboard", admin, f"{DEMO}dashboard/"),
        ("demo-people", admin, f"{DEMO}people/"),
        ("demo-teams", admin, f"{DEMO}teams/"),
        ("demo-members", admin, f"{DEMO}members/"),
        ("demo-skill-framework", admin, f"{DEMO}skills/"),
        ("demo-roles", admin, f"{DEMO}roles/"),
        ("demo-validation", admin, f"{DEMO}ratings/validate/"),
        ("demo-export", admin, f"{DEMO}reports/export/"),
        ("demo-campaigns", admin, f"{DEMO}campaigns/"),
        ("demo-campaign", admin, campaign),
        ("demo-campaign-launch", admin, f"{DEMO}campaigns/new/"),
        ("demo-notifications", engineer, f"{DEMO}notifications/"),
        ("demo-notification-preferences", engineer, f"{DEMO}me/notifications/preferences/"),
        ("demo-my-certifications", engineer, f"{DEMO}me/certifications/"),
        ("demo-expiring-certifications", admin, f"{DEMO}certifications/expiring/"),
    ]
    failures = []
    for name, page, url in pages:
        response = page.goto(url)
        assert response and response.ok, f"{url} answered {response and response.status}"
        settled(page)
        snap(page, name)
        violations = _audit(page)
        if violations:
            failures.append(_describe(url, violations))
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)
