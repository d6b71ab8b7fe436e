"""Database settings read from the environment."""

from __future__ import annotations

import pytest

from skillsmap.settings.env import database_from_env

URL = "postgres://skillsmap@127.0.0.1:6432/skillsmap"


def test_behind_pgbouncer_iterators_use_client_side_cursors(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.setenv("DATABASE_POOLED", "1")
    config = database_from_env("unused.sqlite3")
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["ATOMIC_REQUESTS"] is True


@pytest.mark.parametrize("pooled", ["", "0"])
def test_a_direct_connection_keeps_server_side_cursors(monkeypatch, pooled: str) -> None:
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.setenv("DATABASE_POOLED", pooled)
    assert not database_from_env("unused.sqlite3").get("DISABLE_SERVER_SIDE_CURSORS", False)
