"""P7, ``make bench-dispatch``: the beat dispatcher against many lagging organisations, with a real
Redis broker and real worker processes. One JSON line per measure, in BENCHMARKS.md's own section.

    python -m bench.dispatch [--organisations 1000] [--drain 200] [--workers 4] [--report FILE]

- **cycle**: every organisation lagging; one ``dispatch_recomputes`` call, timed, and the broker's
  queue read back: exactly one task per lagging organisation, none for the others.
- **drain**: ``--drain`` organisations lagging, a Celery worker of ``--workers`` processes
  (``bench.dispatch_worker``, which logs each task's start and end), and two dispatcher cycles in a
  row, as beat does when a cycle's tasks have not run yet: every organisation then has two tasks
  due at the same moment. Measured: the time until none lags, the most tasks running at once, and
  whether any organisation was computed by two processes at the same time (from the logged
  intervals of the runs that took the lock).

Needs PostgreSQL (its own database, ``skillsmap_bench_dispatch``) and Redis (``REDIS_URL``); the
queue is the benchmark's own (``bench-dispatch``), purged before and after.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

QUEUE = "bench-dispatch"
SLUG_PREFIX = "bench-dispatch-"
CYCLE_GOAL_S = 1.0
DRAIN_TIMEOUT_S = 420
MARKERS = ("<!-- bench-dispatch:start -->", "<!-- bench-dispatch:end -->")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.dispatch_settings")
    import django

    django.setup()


def build(organisations: int, drain: int, log: Any) -> None:
    """The organisations, once: the first ``drain`` with people, ratings and role profiles to
    recompute, the others small (the dispatcher's cost is per organisation, not per row)."""
    from accounts.models import Organisation
    from bench.generate import build_organisation

    have = Organisation.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if have == organisations:
        return
    if have:
        raise SystemExit(
            f"the database holds {have} dispatch organisations, not {organisations}: drop it"
        )
    rng = random.Random(7)
    started = time.perf_counter()
    for n in range(organisations):
        full = n < drain
        build_organisation(
            name=f"Dispatch {n:04d}",
            slug=f"{SLUG_PREFIX}{n:04d}",
            people=40 if full else 3,
            teams=4 if full else 1,
            skills=60 if full else 20,
            ratings_per_person=20 if full else 3,
            roles=3 if full else 1,
            rng=rng,
        )
        if n % 100 == 99:
            log(f"{n + 1} organisations in {time.perf_counter() - started:.0f} s")


def _organisation_ids() -> list[int]:
    from accounts.models import Organisation

    return list(
        Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
        .order_by("slug")
        .values_list("pk", flat=True)
    )


def set_lagging(ids: list[int]) -> None:
    """Exactly ``ids`` lag their inputs; every other dispatch organisation is up to date."""
    from django.db.models import F

    from accounts.models import Organisation

    ours = Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
    ours.update(computed_version=F("inputs_version"))
    ours.filter(pk__in=ids).update(inputs_version=F("computed_version") + 1)


def _redis() -> Any:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queued_organisations() -> list[int]:
    """The organisation id of every task waiting in the benchmark's queue (kombu's JSON
    envelope: a base64 body of ``[args, kwargs, embed]``)."""
    import base64

    ids = []
    for raw in _redis().lrange(QUEUE, 0, -1):
        envelope = json.loads(raw)
        _, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
        ids.append(kwargs["organisation_id"])
    return ids


def purge() -> None:
    from skillsmap.celery import app

    app.control.purge()
    _redis().delete(QUEUE)


def measure_cycle(ids: list[int], runs: int) -> dict[str, Any]:
    from reports.tasks import dispatch_recomputes

    set_lagging(ids)
    times, exact = [], True
    for _ in range(runs):
        purge()
        started = time.perf_counter()
        enqueued = dispatch_recomputes()
        times.append(time.perf_counter() - started)
        queued = queued_organisations()
        exact = exact and enqueued == len(ids) and sorted(queued) == sorted(ids)
    purge()
    times.sort()
    median = round(times[len(times) // 2], 3)
    return {
        "measure": "P7 cycle",
        "what": f"one dispatcher cycle, {len(ids)} lagging organisations, Redis broker",
        "cycle_s": {"median": median, "min": round(times[0], 3), "max": round(times[-1], 3)},
        "runs": runs,
        "one_task_per_organisation": exact,
        "goal": f"exactly one task per lagging organisation, cycle <= {CYCLE_GOAL_S} s",
        "met": exact and median <= CYCLE_GOAL_S,
    }


def _start_worker(workers: int, log_path: Path, out: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_DISPATCH_LOG": str(log_path)}
    return subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        [sys.executable, "-m", "bench.dispatch_worker", "--concurrency", str(workers)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_ready(worker: subprocess.Popen[bytes], log_file: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited:\n{log_file.read_text()[-3000:]}")
        if "ready." in log_file.read_text():
            return
        time.sleep(0.2)
    raise SystemExit(f"the worker did not start:\n{log_file.read_text()[-3000:]}")


def overlaps(runs: list[dict[str, Any]]) -> int:
    """Pairs of runs of one organisation that took the lock and overlapped in time."""
    by_organisation: dict[int, list[tuple[float, float]]] = {}
    for run in runs:
        if run["computed"]:
            by_organisation.setdefault(run["organisation_id"], []).append(
                (run["start"], run["end"])
            )
    count = 0
    for intervals in by_organisation.values():
        intervals.sort()
        count += sum(1 for a, b in itertools.pairwise(intervals) if b[0] < a[1])
    return count


def most_at_once(runs: list[dict[str, Any]]) -> int:
    edges = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def measure_drain(ids: list[int], workers: int) -> dict[str, Any]:
    from reports.recompute import organisations_behind
    from reports.tasks import dispatch_recomputes

    purge()
    set_lagging(ids)
    with tempfile.TemporaryDirectory() as tmp:
        runs_path, worker_log = Path(tmp) / "runs.jsonl", Path(tmp) / "worker.log"
        with worker_log.open("wb") as out:
            worker = _start_worker(workers, runs_path, out)
            try:
                _wait_ready(worker, worker_log)
                started = time.perf_counter()
                # Two cycles before any task has run: every organisation gets two tasks, due at
                # the same moment (the same countdown), so two processes reach for it at once.
                enqueued = dispatch_recomputes() + dispatch_recomputes()
                deadline = time.monotonic() + DRAIN_TIMEOUT_S
                ours = set(ids)
                while ours & set(organisations_behind()):
                    if time.monotonic() > deadline or worker.poll() is not None:
                        raise SystemExit(f"not drained:\n{worker_log.read_text()[-3000:]}")
                    time.sleep(0.25)
                drained = time.perf_counter() - started
                # Let the duplicates finish (they find the lock free or the work done).
                expected = enqueued
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    lines = runs_path.read_text().splitlines() if runs_path.exists() else []
                    if len(lines) >= expected:
                        break
                    time.sleep(0.25)
            finally:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        runs = [json.loads(line) for line in runs_path.read_text().splitlines()]
    purge()
    computed = [r for r in runs if r["computed"]]
    overlapping = overlaps(runs)
    each_computed = {r["organisation_id"] for r in computed} >= set(ids)
    return {
        "measure": "P7 drain",
        "what": (
            f"{len(ids)} lagging organisations, two dispatcher cycles ({enqueued} tasks), "
            f"a worker of {workers} processes"
        ),
        "drain_s": round(drained, 1),
        "tasks_run": len(runs),
        "recomputes": len(computed),
        "already_current": sum(1 for r in runs if r["outcome"] == "current"),
        "lock_refusals": sum(1 for r in runs if r["outcome"] == "busy"),
        "most_running_at_once": most_at_once(runs),
        "processes_used": len({r["pid"] for r in runs}),
        "overlapping_recomputes_of_one_organisation": overlapping,
        "every_organisation_computed": each_computed,
        "goal": "no organisation computed twice at once; every lagging organisation drained",
        "met": overlapping == 0 and each_computed,
    }


def write_report(path: Path, lines: list[dict[str, Any]], spec: str) -> None:
    start, end = MARKERS
    body = "\n".join(
        [
            start,
            "",
            "### P7: the beat dispatcher (`make bench-dispatch`)",
            "",
            f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make "
            f"bench-dispatch` ({spec}); load average at start "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}.",
            "",
            "```",
            *[json.dumps(line) for line in lines],
            "```",
            "",
            end,
        ]
    )
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + body + after
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--drain", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    setup_django()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    build(args.organisations, args.drain, log)
    ids = _organisation_ids()
    lines = [
        measure_cycle(ids, args.runs),
        measure_drain(ids[: args.drain], args.workers),
    ]
    for line in lines:
        print(json.dumps(line), flush=True)
    if args.report:
        spec = f"{args.organisations} organisations, {args.drain} drained, {args.workers} processes"
        write_report(args.report, lines, spec)
    return 0  # goals are reported, not asserted (as in bench.measure)


if __name__ == "__main__":
    raise SystemExit(main())
