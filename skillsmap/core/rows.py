"""Rows of a query read straight from the database cursor.

On PostgreSQL psycopg already returns the Python values a ``values_list`` row needs (aware
datetimes, decimals, integers), and the ORM's per-row converters cost more than the query itself
on a large organisation (BENCHMARKS.md, P1 and P5). The queries are still built by the ORM, so
they go through the organisation like any other; only the reading of their rows is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet


def fetch_rows(values: QuerySet[Any, Any]) -> Iterable[tuple[Any, ...]]:
    """The rows of a ``values_list`` query: on PostgreSQL straight from the cursor, elsewhere
    through the ORM. A JSON column then comes as its text: read it through ``json_value``."""
    if connection.vendor != "postgresql":
        return values
    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def json_value(value: Any) -> Any:
    """A JSON column's value from ``fetch_rows``: decoded already, or its text."""
    if not isinstance(value, str):
        return value
    # The common case of a bus-factor risk's "covered by" list: nobody.
    return [] if value == "[]" else json.loads(value)
