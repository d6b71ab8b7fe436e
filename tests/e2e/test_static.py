"""Static files as production serves them: DEBUG off, whitenoise, hashed names from collectstatic.
A page that loses its stylesheet or htmx still "works" in a test client; here it would not."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.helpers import new_page, sign_in
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Response

pytestmark = pytest.mark.browser

HASHED = re.compile(r"/static/.+\.[0-9a-f]{12}\.\w+$")


def test_pages_load_hashed_static_files_and_break_no_csp_rule(
    browser: Browser, stack: Stack
) -> None:
    page = new_page(browser, stack)
    sign_in(page, email="admin@acme.example", password="demo-password-1")
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    # A script or style refused by the Content-Security-Policy shows up here, as a console error.
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/o/acme/dashboard/")
    page.wait_for_load_state("networkidle")

    static = [r for r in responses if "/static/" in r.url]
    assert {r.url.rsplit("/", 1)[-1].split(".")[0] for r in static} >= {
        "app",
        "htmx",
        "chart",
        "charts",
    }, [r.url for r in static]
    for response in static:
        assert response.status == 200, response.url
        assert HASHED.search(response.url), f"not a hashed name: {response.url}"
        # Far-future caching is what the hashed names are for.
        assert "max-age=315360000" in response.headers.get("cache-control", ""), response.url
    # The stylesheet applies (the page is not unstyled) and the scripts run under the CSP.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") != "inline"
    assert page.evaluate("typeof htmx") == "object"
    assert page.locator("canvas[data-chart]").first.evaluate(
        "c => c.width > 0 && !!Chart.getChart(c)"
    )
    page.goto("/o/acme/me/skills/")
    page.wait_for_load_state("networkidle")
    assert not errors, errors
