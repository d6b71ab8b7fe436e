"""The per-organisation recompute lock through PgBouncer in transaction-pooling mode. A
session-level advisory lock would stay on the server connection after its client's statement, so
the next client handed that connection would find the lock already its own and run alongside; the
lock lives in the recompute's transaction instead, and a second run is refused or waits for it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from reports.recompute import recompute_lock, recompute_organisation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _hold(organisation_id: int, held: threading.Event, release: threading.Event) -> float:
    """Hold the lock until ``release``; returns the moment it began to let go. Read inside the
    block, while the lock is still held: read after it, the other thread (handed the lock at the
    commit) could already have read an earlier time (seen in CI, by 0.4 ms)."""
    with recompute_lock(organisation_id) as taken:
        assert taken
        held.set()
        release.wait(20)
        releasing_at = time.monotonic()
    return releasing_at


def _take(organisation_id: int) -> tuple[bool, float]:
    with recompute_lock(organisation_id) as taken:
        return taken, time.monotonic()


def test_a_second_run_is_refused_while_another_client_holds_the_lock(
    org_a, org_b, pgbouncer, pooled_client
) -> None:
    bouncer = pgbouncer(2)
    first, second = pooled_client(bouncer), pooled_client(bouncer)
    held, release = threading.Event(), threading.Event()
    holding = first.submit(_hold, org_a.organisation.pk, held, release)
    try:
        assert held.wait(20)
        assert second.run(recompute_organisation, organisation_id=org_a.organisation.pk) is False
        # The lock is the organisation's: another organisation's recompute runs meanwhile.
        assert second.run(lambda: recompute_organisation(organisation_id=org_b.organisation.pk))
    finally:
        release.set()
        holding.result(timeout=30)
    assert second.run(lambda: recompute_organisation(organisation_id=org_a.organisation.pk))
    # Nothing is left behind on the pooled server connections for their next clients.
    assert _advisory_locks_held() == 0


def _advisory_locks_held() -> int:
    with connection.cursor() as cursor:  # this thread's connection goes to PostgreSQL directly
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        return int(cursor.fetchone()[0])


def test_on_one_shared_server_connection_the_second_run_starts_only_after_the_first_ends(
    org_a, pgbouncer, pooled_client
) -> None:
    bouncer = pgbouncer(1)
    first, second = pooled_client(bouncer), pooled_client(bouncer)
    held, release = threading.Event(), threading.Event()
    holding = first.submit(_hold, org_a.organisation.pk, held, release)
    try:
        assert held.wait(20)
        taking = second.submit(_take, org_a.organisation.pk)
        time.sleep(1)
        assert not taking.done(), "the second client got the lock while the first still held it"
    finally:
        release.set()
    releasing_at = holding.result(timeout=30)
    taken, taken_at = taking.result(timeout=30)
    assert taken
    assert taken_at >= releasing_at
    assert _advisory_locks_held() == 0
