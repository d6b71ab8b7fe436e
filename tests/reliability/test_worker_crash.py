"""A Celery worker is killed (SIGKILL) in the middle of a full recompute of a large organisation.
Because the task is acknowledged only when it ends (``acks_late``), Redis hands it out again once
its visibility timeout passes; a restarted worker reruns it, the recompute lock the killed run held
does not stand in the way, and the rows equal those of an uninterrupted run.

The kill lands mid-run by construction, not by timing: the test holds a lock on the coverage
table, so the recompute, once it has upserted the gap scores, waits at the coverage upsert with
its transaction open. A sleep after the start raced a recompute that grew faster (CI once saw it
finish inside the sleep)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from reports.models import TeamSkillCoverage
from tests.reliability.procs import Stack, wait_until

pytestmark = pytest.mark.reliability

# Seconds after which Redis redelivers an unacknowledged task; an hour in production (above the
# longest task), a few seconds here so the redelivery happens within the test.
VISIBILITY_SECONDS = 5


def _advisory_locks(stack: Stack) -> int:
    """Recompute locks held right now: the sign that a recompute is running."""
    return int(
        stack.pg.psql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
            db=stack.db_name,
        )
    )


@contextmanager
def _coverage_writes_held(stack: Stack) -> Iterator[None]:
    """Block every write to the coverage table (reads go on) until the block ends.

    SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock an INSERT takes, and with nothing a
    SELECT takes, so the pages' and scripts' reads are unaffected."""
    with psycopg.connect(
        host="127.0.0.1", port=stack.pg.port, user="postgres", dbname=stack.db_name
    ) as conn:
        conn.execute(f"LOCK TABLE {TeamSkillCoverage._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def _waiting_on_coverage(stack: Stack) -> int:
    """Backends waiting for the coverage table: the recompute, parked between its two upserts."""
    table = TeamSkillCoverage._meta.db_table  # a model's constant, not input
    sql = f"SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '{table}'::regclass"  # noqa: S608
    return int(stack.pg.psql(sql, db=stack.db_name))


def test_a_recompute_killed_mid_run_reruns_and_gives_the_uninterrupted_rows(stack: Stack) -> None:
    stack.extra_env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS)}
    t0 = time.monotonic()
    # Big enough that the rerun does real work; the kill no longer depends on its size.
    grown = stack.script("big-org", "--people", "1500")
    print(f"{time.monotonic() - t0:.1f} s: organisation grown")
    behind = stack.script("org-state")
    assert behind["computed_version"] < behind["inputs_version"]

    worker = stack.start_worker("worker")
    with _coverage_writes_held(stack):
        # Through the broker, as the application enqueues it (no beat runs: a rerun can only be
        # the redelivery of this one message).
        stack.run(
            "-m", "celery", "-A", "skillsmap", "call", "reports.tasks.recompute_organisation_task",
            "--kwargs", f'{{"organisation_id": {behind["id"]}}}',
        )  # fmt: skip
        wait_until(
            lambda: _waiting_on_coverage(stack) > 0,
            timeout=120,
            what="the recompute to reach the coverage upsert",
        )
        assert _advisory_locks(stack) == 1, "the recompute holds its lock while it waits"
        worker.kill()
        print(f"{time.monotonic() - t0:.1f} s: worker killed between the two upserts")
        killed = stack.script("org-state")
        assert killed["computed_version"] == behind["computed_version"]
    # Released: the orphaned backend finishes its statement, finds its client gone, and rolls
    # back; the killed run's transaction and its lock end with it.
    wait_until(lambda: _advisory_locks(stack) == 0, timeout=30, what="the killed run's lock")

    # A starting worker puts back every unacknowledged message older than the visibility timeout
    # (later sweeps come only every ~100 s), so restart once the timeout has passed, as a worker
    # that comes back after the hour would in production.
    time.sleep(VISIBILITY_SECONDS + 1)
    restarted = stack.start_worker("worker-restarted")
    restarted_at = time.monotonic()
    print(f"{restarted_at - t0:.1f} s: worker restarted")
    wait_until(
        lambda: stack.script("org-state")["computed_version"] == behind["inputs_version"],
        timeout=120,
        what="the redelivered task to rerun the recompute",
    )
    print(f"rerun finished {time.monotonic() - restarted_at:.1f} s after the restart")
    log = restarted.output()
    assert "recompute_organisation_task" in log and "succeeded" in log, log[-3000:]

    results = stack.script("results")
    expected = stack.script("expected-results")
    print(f"{grown}; an uninterrupted recompute takes {expected['seconds']} s in-process")
    assert results["gap_scores"] == expected["gap_scores"]
    assert results["coverage"] == expected["coverage"]
    assert len(results["gap_scores"]) >= grown["people"]
