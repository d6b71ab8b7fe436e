"""Database-side tenancy on PostgreSQL: row-level security and composite foreign keys.

Applied after every ``migrate`` to every concrete ``TenantModel``, idempotently, so that a new tenant
table gets its policy without anyone remembering to write one. The test suite checks the catalogue
for any table with an ``organisation_id`` column that still lacks it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from skillsmap.core.tenancy import ORGANISATION_SETTING, USER_SETTING, TenantModel

POLICY = "tenant_isolation"
# nullif: with no organisation set the setting reads '' and the comparison matches no row at all.
ORGANISATION_PREDICATE = (
    f"organisation_id = nullif(current_setting('{ORGANISATION_SETTING}', true), '')::bigint"
)
USER_PREDICATE = f"user_id = nullif(current_setting('{USER_SETTING}', true), '')::bigint"

# Tables with a second, read-only policy: a user may list their own memberships across
# organisations (to pick one); nothing else about those organisations is readable that way.
SELF_READ_POLICIES: dict[str, str] = {"accounts_membership": USER_PREDICATE}


def tenant_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantModel) and not m._meta.abstract and not m._meta.proxy
    ]


def _constraint_exists(cursor: Any, table: str, name: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s", [table, name]
    )
    return cursor.fetchone() is not None


def _apply_rls(cursor: Any, table: str) -> None:
    qn = f'"{table}"'
    cursor.execute(f"ALTER TABLE {qn} ENABLE ROW LEVEL SECURITY")
    # FORCE: the table's owner is filtered too (the test suite and small installs connect as it).
    cursor.execute(f"ALTER TABLE {qn} FORCE ROW LEVEL SECURITY")
    cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {qn}")
    cursor.execute(
        f"CREATE POLICY {POLICY} ON {qn} USING ({ORGANISATION_PREDICATE}) "
        f"WITH CHECK ({ORGANISATION_PREDICATE})"
    )
    if table in SELF_READ_POLICIES:
        cursor.execute(f"DROP POLICY IF EXISTS self_read ON {qn}")
        cursor.execute(
            f"CREATE POLICY self_read ON {qn} FOR SELECT USING ({SELF_READ_POLICIES[table]})"
        )


def _apply_composite_foreign_keys(cursor: Any, model: type[models.Model]) -> None:
    """A reference between two tenant tables also carries organisation_id, so the database itself
    refuses a row that points into another organisation."""
    table = model._meta.db_table
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.name == "organisation":
            continue
        target = field.related_model
        if not (isinstance(target, type) and issubclass(target, TenantModel)):
            continue
        name = f"{table}_{field.column}_same_org"[:63]
        if _constraint_exists(cursor, table, name):
            continue
        cursor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" '
            f'FOREIGN KEY (organisation_id, "{field.column}") '
            f'REFERENCES "{target._meta.db_table}" (organisation_id, id) '
            "DEFERRABLE INITIALLY DEFERRED"
        )


def apply_to_connection(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tenant_models():
            _apply_rls(cursor, model._meta.db_table)
            _apply_composite_foreign_keys(cursor, model)


def apply_database_tenancy(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires once per app; the last one to fire sees every table, earlier ones the
    # tables migrated so far. Each run is idempotent.
    apply_to_connection(connections[using])
