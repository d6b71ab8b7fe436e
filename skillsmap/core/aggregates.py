"""Rows as JSON inside another statement, the same on SQLite and PostgreSQL.

A page that needs a person's rating events, a skill's level descriptors or a team's members next
to the rows it lists can read them in the same statement as a JSON array per row (a correlated
subquery), where ``prefetch_related`` would send one statement more for each. Issue #14 holds every
organisation page to a dozen statements whatever its size; this is how the pages get there without
a query per row.

Values come back as JSON does: numbers, strings, ``true``/``false`` (``1``/``0`` on SQLite) and
``null``; date-times as ISO strings (``json_datetime`` reads them back).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Aggregate, Expression, JSONField, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject


class JSONArrayAgg(Aggregate):
    """The aggregated rows as one JSON array: ``json_group_array`` on SQLite, ``jsonb_agg`` on
    PostgreSQL. jsonb rather than json there: Django's psycopg setup hands jsonb over as text for
    ``JSONField`` to decode, whereas psycopg would decode json itself and the field would fail."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def json_rows(queryset: QuerySet[Any], **fields: str | Expression) -> Subquery:
    """A subquery giving every row of ``queryset`` as a JSON object of ``fields`` (name → field
    path or expression), all in one JSON array; read it with ``json_list``. Correlate it with
    ``OuterRef`` in ``queryset``'s filters, or leave it uncorrelated for a list every row shares.
    The order of the array is not defined (SQLite before 3.44 cannot order an aggregate): callers
    sort what they read."""
    rows = (
        queryset.order_by()
        # A constant to group by, which Django leaves out: one aggregate over every matching row.
        .annotate(json_rows_group=Value(1))
        .values("json_rows_group")
        .annotate(json_rows=JSONArrayAgg(JSONObject(**fields)))
        .values("json_rows")
    )
    return Subquery(rows, output_field=JSONField())


def json_list(value: object) -> list[dict[str, Any]]:
    """What ``json_rows`` read: its objects, or none (PostgreSQL's aggregate over no rows is
    ``NULL``, SQLite's ``[]``)."""
    return list(value) if isinstance(value, list) else []


def json_datetime(value: str) -> datetime:
    """A date-time read through JSON. SQLite keeps Django's date-times as naive UTC text;
    PostgreSQL writes them with their offset."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
