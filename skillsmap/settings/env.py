"""Small typed readers for settings that come from the environment."""

import os

import dj_database_url


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_env(default_sqlite_path: str) -> dj_database_url.DBConfig:
    """``DATABASE_URL`` when set, else an SQLite file: the embedded default for ``make demo``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(
            url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            # A persistent connection broken by a database restart is noticed and replaced at the
            # start of the next request instead of failing it.
            conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
        )
        if env_bool("DATABASE_POOLED"):
            # Behind PgBouncer in transaction-pooling mode a server connection serves another
            # client after each transaction. A server-side cursor Django declares WITH HOLD
            # outside a transaction (``.iterator()``) would outlive it there, so use client-side
            # cursors; the tenant setting is transaction-local already (skillsmap.core.tenancy).
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}
    # Every request runs in one transaction: a failed request leaves the database as it was, and
    # on PostgreSQL the tenant setting (SET LOCAL) lives exactly as long as the request.
    config["ATOMIC_REQUESTS"] = True
    return config
