"""On PostgreSQL, row-level security keeps one organisation's campaigns, participants and asked
skills out of another's queries, even raw ones."""

from __future__ import annotations

import pytest
from django.db import connection

from skillsmap.core.tenancy import organisation_context

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TABLES = ("reviews_campaign", "reviews_campaignparticipant", "reviews_campaignskill")


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # a constant table name
        return int(cursor.fetchone()[0])


def test_raw_sql_in_one_organisation_sees_none_of_the_others_campaigns(pg, cast_a, cast_b, launch):
    launch(cast_a.world, teams=[cast_a.team])
    launch(cast_b.world, teams=[cast_b.team])
    launch(cast_b.world, people=[cast_b.world.people["member"]])
    assert [_count(t) for t in TABLES] == [0, 0, 0]  # no organisation set: nothing at all
    with organisation_context(cast_a.world.organisation):
        assert [_count(t) for t in TABLES] == [1, 2, 5]
    with organisation_context(cast_b.world.organisation):
        assert [_count(t) for t in TABLES] == [2, 3, 8]
