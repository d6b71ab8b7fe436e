"""``python -m bench.database``: create the benchmark's database (named in ``DATABASE_URL``) when it
does not exist yet, so that ``make bench`` / ``make bench-xl`` work on a fresh server. The app role
has CREATEDB; the maintenance database ``postgres`` is used to issue the statement."""

from __future__ import annotations

import os
import sys
from urllib.parse import unquote, urlsplit


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if missing; True when it was created."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        raise SystemExit(f"refusing to create {name!r}: not a bench database")
    conninfo = make_conninfo(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        dbname="postgres",
        **({"password": unquote(parts.password)} if parts.password else {}),
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench.database: DATABASE_URL must be a PostgreSQL URL", file=sys.stderr)
        return 2
    if ensure_database(url):
        print(f"created database {urlsplit(url).path.lstrip('/')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
