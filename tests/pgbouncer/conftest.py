"""A real PgBouncer, in transaction-pooling mode, in front of the test database's PostgreSQL.

Each test starts its own with the pool size it needs (one server connection makes every client
share it, deterministically). The tests skip when the machine has no PgBouncer, unless
REQUIRE_PGBOUNCER=1 (CI sets it), which turns a missing binary into a failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection

from tests.reliability.procs import PrivatePgBouncer, pgbouncer_missing

T = TypeVar("T")


@pytest.fixture
def pgbouncer(pg: None) -> Iterator[Callable[[int], PrivatePgBouncer]]:
    missing = pgbouncer_missing()
    if missing:
        message = "PgBouncer tests need " + ", ".join(missing)
        if os.environ.get("REQUIRE_PGBOUNCER"):
            pytest.fail(message + " (REQUIRE_PGBOUNCER is set)")
        pytest.skip(message)
    started: list[PrivatePgBouncer] = []
    root = Path(tempfile.mkdtemp(prefix="skillsmap-pgbouncer-"))
    os.chmod(root, 0o755)  # noqa: S103  postgres, another user, must enter it

    def start(pool_size: int) -> PrivatePgBouncer:
        bouncer = PrivatePgBouncer(
            root, server_port=int(connection.settings_dict["PORT"] or 5432), pool_size=pool_size
        )
        bouncer.start()
        started.append(bouncer)
        return bouncer

    try:
        yield start
    finally:
        for bouncer in started:
            bouncer.stop()


class PooledClient:
    """One client of PgBouncer: a thread of its own, so a Django connection of its own, pointed
    at PgBouncer rather than at PostgreSQL. ``run`` executes a function in that thread."""

    def __init__(self, bouncer: PrivatePgBouncer) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1)
        self.run(self._point_at, bouncer)

    @staticmethod
    def _point_at(bouncer: PrivatePgBouncer) -> None:
        connection.close()
        connection.settings_dict = {
            **connection.settings_dict,
            "HOST": "127.0.0.1",
            "PORT": bouncer.port,
            "CONN_MAX_AGE": 60,
        }

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._thread.submit(fn, *args, **kwargs).result(timeout=60)

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        return self._thread.submit(fn, *args, **kwargs)

    def close(self) -> None:
        # ``connection`` resolves per thread, so it must be looked up in the client's own thread.
        self.run(lambda: connection.close())
        self._thread.shutdown()


@pytest.fixture
def pooled_client() -> Iterator[Callable[[PrivatePgBouncer], PooledClient]]:
    clients: list[PooledClient] = []

    def make(bouncer: PrivatePgBouncer) -> PooledClient:
        client = PooledClient(bouncer)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.close()
