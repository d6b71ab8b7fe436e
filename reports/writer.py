"""The upsert writer of the materialised results: batched ``INSERT … ON CONFLICT`` on PostgreSQL,
per-row upserts elsewhere."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import connection

from reports.models import GapScore, TeamSkillCoverage

if TYPE_CHECKING:
    from django.db.models import Field

# One of the two materialised tables (a constrained TypeVar: each is checked on its own).
ResultModel = TypeVar("ResultModel", GapScore, TeamSkillCoverage)

logger = logging.getLogger(__name__)


# Natural keys of the materialised tables (their unique constraints).
_UNIQUE = {
    GapScore: ("organisation_id", "person_id", "role_id", "kind"),
    TeamSkillCoverage: ("organisation_id", "team_id", "skill_id"),
}
WRITE_BATCH = 5000


def write_rows(
    model: type[ResultModel],
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    organisation_id: int,
) -> None:
    """Insert or update ``rows`` (tuples in ``fields`` order) on their natural key.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`` per batch of
    columns: building 65,000 model instances and their SQL cost more than computing the figures
    (see BENCHMARKS.md, P1). Elsewhere ``bulk_create`` with the same conflict handling."""
    if not rows:
        return
    unique = _UNIQUE[model]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [
                model(organisation_id=organisation_id, **dict(zip(fields, r, strict=True)))
                for r in rows
            ],
            update_conflicts=True,
            unique_fields=[u.removesuffix("_id") for u in unique],
            update_fields=[f.removesuffix("_id") for f in fields if f not in unique],
            batch_size=1000,
        )
        return
    meta = model._meta
    # Each name is a concrete field of the model (never a reverse relation), so it has a column.
    concrete = [cast("Field[Any, Any]", meta.get_field(f.removesuffix("_id"))) for f in fields]
    columns = [cast(str, field.column) for field in concrete]
    sources, json_columns = [], set()
    for i, f in enumerate(fields):
        db_type = meta.get_field(f.removesuffix("_id")).db_type(connection)
        if db_type == "jsonb":
            # One JSON document per batch: psycopg escapes a text[] of long JSON strings element
            # by element, which took longer than all the rest of the write.
            json_columns.add(i)
            sources.append(
                "(SELECT array_agg(e ORDER BY n) FROM jsonb_array_elements(%s::jsonb) "
                "WITH ORDINALITY AS j(e, n))"
            )
        else:
            sources.append(f"%s::{db_type}[]")
    updates = ", ".join(
        f"{c} = EXCLUDED.{c}" for f, c in zip(fields, columns, strict=True) if f not in unique
    )
    names = ", ".join(columns)
    sql = (
        f'INSERT INTO "{meta.db_table}" (organisation_id, {names}) '  # noqa: S608  (names from the model)
        f"SELECT %s, {names} FROM unnest({', '.join(sources)}) AS r({names}) "
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            arrays: list[Any] = [list(column) for column in zip(*batch, strict=True)]
            for i in json_columns:
                arrays[i] = json.dumps(arrays[i])
            cursor.execute(sql, [organisation_id, *arrays])
