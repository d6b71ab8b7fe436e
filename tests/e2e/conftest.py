"""Fixtures of the browser tests: the running application (``stack``) and Chromium (``browser``).

Without Chromium, PostgreSQL or Redis the tests skip, unless REQUIRE_BROWSER=1 (CI), which turns a
missing prerequisite into a failure so that CI cannot pass by running none of them.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.stack import CHROMIUM, Stack, missing_prerequisites

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def _require_prerequisites() -> None:
    missing = missing_prerequisites()
    if not missing:
        return
    reason = "browser tests need " + ", ".join(missing)
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# Package scope: one application for every browser test, stopped as soon as the last of them has
# run rather than at the end of the whole suite.
@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    _require_prerequisites()
    running = Stack()
    try:
        running.start()
    except Exception:
        logs = running.logs()
        running.close()
        pytest.fail(f"the application did not start:\n{logs}")
    except BaseException:
        running.close()
        raise
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    # Module scope, not session: Playwright's sync API runs an event loop in this thread, and
    # Django refuses database access from a thread with a running loop, so it must be gone before
    # the rest of the suite's modules run.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test's report carries the server's and the worker's logs: the cause of a
    page that did not change is usually a traceback there."""
    report = yield
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    running = funcargs.get("stack")
    if report.failed and isinstance(running, Stack):
        report.sections.append(("server and worker logs", running.logs()))
    return report
