"""Twenty seconds of the three journeys against the real stack: nothing fails, nothing an
engineer or manager was told was saved is missing, and the results catch up afterwards. The full
run (50 users, 5 minutes) is ``python -m bench.load.run``; its figures are in BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load.run import SETTINGS, run_load
from tests.reliability.browser import TRACEBACK_MARKERS
from tests.reliability.procs import Stack

pytestmark = pytest.mark.reliability


def test_mixed_load_has_no_errors_and_loses_no_acknowledged_rating(
    stack: Stack, tmp_path: Path
) -> None:
    stack.settings = SETTINGS
    stack.extra_env = {"RECOMPUTE_DISPATCH_SECONDS": "5"}
    stack.start_web()
    stack.start_worker()
    stack.start_beat()

    result = run_load(
        stack,
        stack.root / "manifest.json",
        users=20,
        spawn_rate=10,
        duration=20,  # 20 users: about 1,500 requests, with several recomputes
        out=tmp_path,
        catch_up_timeout=60,
    )
    print(result.markdown())  # the figures, shown with -s or on failure
    print(
        f"acknowledged ratings: {result.acks.get('acknowledged')}, missing: "
        f"{result.acks.get('missing_count')}, caught up after {result.caught_up_seconds} s"
    )

    assert result.total is not None and result.total.requests > 0
    assert result.total.failures == 0, result.failures_csv
    assert result.acks["acknowledged"] > 0
    assert result.acks["missing_count"] == 0, result.acks["missing"]
    assert result.caught_up_seconds is not None, "results never caught up with the ratings"
    web_log = stack.procs["web"].output()
    assert not any(marker in web_log for marker in TRACEBACK_MARKERS), web_log[-3000:]
