"""``skillsmap.core.aggregates``: rows as JSON inside another statement read back the same on
SQLite and PostgreSQL (issue #14: a page's lists without a statement each)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext

from skills.models import Rating, Skill
from skillsmap.core.aggregates import json_datetime, json_list, json_rows
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def test_each_row_carries_its_related_rows_in_one_statement(org_a, org_b):
    organisation, person = org_a.organisation, org_a.people["member"]
    at = datetime(2026, 3, 4, 5, 6, 7, 89000, tzinfo=UTC)
    with organisation_context(organisation):
        rated, bare = (
            SkillFactory(organisation=organisation),
            SkillFactory(organisation=organisation),
        )
        RatingFactory(organisation=organisation, person=person, skill=rated, level=3, rated_at=at)
        RatingFactory(
            organisation=organisation, person=person, skill=rated, level=None,
            not_applicable=True, rated_at=at.replace(microsecond=0),
        )  # fmt: skip
        events = Rating.objects.filter(organisation=organisation, skill=OuterRef("pk"))
        with CaptureQueriesContext(connection) as captured:
            skills = {
                s.pk: s
                for s in Skill.objects.filter(pk__in=[rated.pk, bare.pk]).annotate(
                    events=json_rows(
                        events, level="level", not_applicable="not_applicable", at="rated_at"
                    )
                )
            }
    assert len(captured) == 1
    assert json_list(skills[bare.pk].events) == []
    read = sorted(json_list(skills[rated.pk].events), key=lambda e: e["at"])
    assert [e["level"] for e in read] == [None, 3]
    assert [bool(e["not_applicable"]) for e in read] == [True, False]
    assert [json_datetime(e["at"]) for e in read] == [at.replace(microsecond=0), at]


def test_an_uncorrelated_list_is_the_same_on_every_row(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        SkillFactory(organisation=organisation, name="A")
        SkillFactory(organisation=organisation, name="B")
        names = json_rows(Skill.objects.filter(organisation=organisation), name="name")
        rows = list(Skill.objects.annotate(names=names).values_list("names", flat=True))
    assert len(rows) == 2
    assert all(sorted(n["name"] for n in json_list(row)) == ["A", "B"] for row in rows)


def test_json_datetimes_are_aware_whichever_database_wrote_them():
    naive = json_datetime("2026-01-02 03:04:05.678900")  # SQLite keeps UTC without an offset
    assert naive == datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)
    assert json_datetime("2026-01-02T04:04:05.6789+01:00") == naive  # PostgreSQL's jsonb
