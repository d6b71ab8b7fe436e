"""The load test of issue #7: ``python -m bench.load.run --users 50 --duration 300``.

Starts a private stack (PostgreSQL and Redis of its own on free loopback ports, gunicorn, a Celery
worker and beat; see ``tests/reliability/procs.py``), seeds the demo organisation with a login per
person, runs Locust headless with the three journeys of ``bench/load/locustfile.py``, then checks:

- Locust counted no failure (any non-2xx/3xx answer, an error page, a failed export job);
- every rating the server acknowledged is in the database with the acknowledged level;
- the recomputation catches up afterwards (computed_version reaches inputs_version).

Prints p50/p95 per endpoint as a Markdown table (for BENCHMARKS.md) and exits non-zero on any
failure. ``tests/reliability/test_load.py`` runs the same with fewer users for 30 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.procs import VENV_BIN, Stack, wait_until

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SETTINGS = "bench.load.settings"


@dataclass
class Endpoint:
    name: str
    method: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


@dataclass
class LoadResult:
    users: int
    duration: int
    endpoints: list[Endpoint] = field(default_factory=list)
    total: Endpoint | None = None
    acks: dict[str, Any] = field(default_factory=dict)
    caught_up_seconds: float | None = None
    failures_csv: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.total is not None
            and self.total.requests > 0
            and self.total.failures == 0
            and self.acks.get("acknowledged", 0) > 0
            and self.acks.get("missing_count", 1) == 0
        )

    def markdown(self) -> str:
        lines = [
            "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for e in [*self.endpoints, *([self.total] if self.total else [])]:
            lines.append(
                f"| {(e.method + ' ' + e.name).strip()} | {e.requests} | {e.failures} | {e.p50:.0f} | "
                f"{e.p95:.0f} | {e.p99:.0f} |"
            )
        return "\n".join(lines)


def _stats(path: Path) -> tuple[list[Endpoint], Endpoint | None]:
    endpoints, total = [], None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            endpoint = Endpoint(
                name=row["Name"],
                method=row["Type"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50=float(row["50%"] or 0),
                p95=float(row["95%"] or 0),
                p99=float(row["99%"] or 0),
                rps=float(row["Requests/s"] or 0),
            )
            if row["Name"] == "Aggregated":
                total = endpoint
            else:
                endpoints.append(endpoint)
    return endpoints, total


def prepare(stack: Stack) -> Path:
    """Schema, demo data, a login per person; returns the manifest the locustfile reads."""
    stack.prepare()
    manifest = stack.root / "manifest.json"
    manifest.write_text(json.dumps(stack.script("load-users")))
    return manifest


def run_load(
    stack: Stack,
    manifest: Path,
    *,
    users: int,
    spawn_rate: float,
    duration: int,
    out: Path,
    catch_up_timeout: float = 120,
) -> LoadResult:
    """Locust against a running web server and worker of ``stack``; then the checks."""
    out.mkdir(parents=True, exist_ok=True)
    acks = out / "acks.jsonl"
    acks.write_text("")
    env = {**stack.env(), "LOAD_MANIFEST": str(manifest), "LOAD_ACK_FILE": str(acks)}
    argv = [
        str(VENV_BIN / "locust"),
        "-f", str(LOCUSTFILE),
        "--headless",
        "-u", str(users),
        "-r", str(spawn_rate),
        "-t", f"{duration}s",
        "--stop-timeout", "30",
        "--host", stack.base_url,
        "--csv", str(out / "locust"),
        "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with (out / "locust.log").open("w") as log:
        subprocess.run(  # noqa: S603  our own command line
            argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=duration + 120,
            check=False,
        )
    result = LoadResult(users=users, duration=duration)
    result.endpoints, result.total = _stats(out / "locust_stats.csv")
    failures = out / "locust_failures.csv"
    result.failures_csv = failures.read_text() if failures.exists() else ""
    result.acks = stack.script("acks-check", str(acks))
    # The ratings bumped inputs_version; the worker (and beat, for anything whose task was
    # debounced away) must bring the results level with it.
    started = time.monotonic()
    try:
        wait_until(lambda: _caught_up(stack), timeout=catch_up_timeout, what="results to catch up")
        result.caught_up_seconds = round(time.monotonic() - started, 1)
    except TimeoutError:
        result.caught_up_seconds = None
    return result


def _caught_up(stack: Stack) -> bool:
    state = stack.script("org-state")
    return bool(state["computed_version"] >= state["inputs_version"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=300, help="seconds")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/load/results"))
    args = parser.parse_args()

    with Stack.running(settings=SETTINGS, extra_env={"RECOMPUTE_DISPATCH_SECONDS": "10"}) as stack:
        manifest = prepare(stack)
        stack.start_web(workers=args.web_workers)
        stack.start_worker()
        stack.start_beat()
        result = run_load(
            stack,
            manifest,
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=args.duration,
            out=args.out,
        )
        tracebacks = stack.procs["web"].output().count("Traceback")
    print(result.markdown())
    print(
        json.dumps(
            {
                "users": result.users,
                "duration_s": result.duration,
                "requests": result.total.requests if result.total else 0,
                "failures": result.total.failures if result.total else None,
                "rps": result.total.rps if result.total else 0,
                "acknowledged_ratings": result.acks.get("acknowledged"),
                "acknowledged_missing": result.acks.get("missing_count"),
                "caught_up_after_s": result.caught_up_seconds,
                "tracebacks_in_web_log": tracebacks,
            }
        )
    )
    if result.failures_csv.count("\n") > 1:
        print(result.failures_csv, file=sys.stderr)
    sys.exit(0 if result.ok and tracebacks == 0 else 1)


if __name__ == "__main__":
    main()
