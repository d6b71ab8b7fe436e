"""The third wall under SCIM's tables, on PostgreSQL: raw SQL, bypassing the ORM, sees no other
organisation's tokens or directory users."""

from __future__ import annotations

import pytest
from django.db import connection

from skillsmap.core.tenancy import organisation_context
from tests.scim.conftest import Scim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (fixed table names)
        return cursor.fetchone()[0]


def test_raw_sql_sees_only_the_current_organisations_scim_rows(pg, scim_a: Scim, scim_b: Scim):
    scim_a.create_user("a1@alpha.example")
    scim_b.create_user("b1@beta.example")
    scim_b.create_user("b2@beta.example")

    for table in ("scim_scimtoken", "scim_scimuser"):
        assert _count(table) == 0  # nothing set, nothing matches
    with organisation_context(scim_a.world.organisation):
        assert (_count("scim_scimtoken"), _count("scim_scimuser")) == (1, 1)
    with organisation_context(scim_b.world.organisation):
        assert (_count("scim_scimtoken"), _count("scim_scimuser")) == (1, 2)
