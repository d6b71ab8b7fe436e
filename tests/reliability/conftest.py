"""Fixtures for the load and fault tests: one private stack per session (PostgreSQL, Redis, the
demo data prepared once), and for each test a fresh copy of that database and a flushed Redis.

The tests skip when the machine lacks PostgreSQL server binaries or redis-server, unless
REQUIRE_RELIABILITY=1 (CI sets it), which turns a missing prerequisite into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.procs import DB_NAME, Stack, missing_prerequisites


@pytest.fixture(scope="session")
def reliability_stack() -> Iterator[Stack]:
    missing = missing_prerequisites()
    if missing:
        message = "reliability tests need " + ", ".join(missing)
        if os.environ.get("REQUIRE_RELIABILITY"):
            pytest.fail(message + " (REQUIRE_RELIABILITY is set)")
        pytest.skip(message)
    with Stack.running() as stack:
        stack.prepare()
        (stack.root / "manifest.json").write_text(json.dumps(stack.script("load-users")))
        yield stack


@pytest.fixture
def stack(reliability_stack: Stack, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The session's stack with its components up, Redis empty, a fresh copy of the prepared
    database and no application process running; whatever the test starts is stopped after it."""
    stack = reliability_stack
    stack.settings, stack.extra_env = "skillsmap.settings.base", {}
    if not stack.pg.running():
        stack.pg.start()
    if stack.redis.proc is None:
        stack.redis.start()
    subprocess.run(["redis-cli", "-p", str(stack.redis.port), "flushall"], check=True, timeout=10)
    name = f"t_{uuid.uuid4().hex[:10]}"
    stack.use_copy(name)
    try:
        yield stack
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(stack.logs())
        stack.stop_app()
        stack.db_name = DB_NAME
        if not stack.pg.running():
            stack.pg.start()
        stack.pg.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def manifest(reliability_stack: Stack) -> dict:
    """Logins of the prepared data: engineers, managers (with their teams) and HR."""
    return dict(json.loads(Path(reliability_stack.root / "manifest.json").read_text()))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    # Lets the ``stack`` fixture print the processes' logs when the test itself failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
