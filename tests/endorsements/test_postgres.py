"""On PostgreSQL the database itself keeps endorsements inside their organisation: row-level
security hides the other organisation's, and the composite foreign keys refuse an endorsement
that points at another organisation's person or skill, even written past the services."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction

from endorsements.models import Endorsement
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import endorsements_of
from tests.skills.factories import SkillFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_raw_read_in_one_organisation_sees_none_of_the_others_endorsements(
    pg, org_a, org_b, colleague, python, endorse
):
    endorse(org_a, colleague, org_a.people["member"], python)
    endorse(
        org_b, org_b.manager, org_b.people["member"], SkillFactory(organisation=org_b.organisation)
    )
    with organisation_context(org_a.organisation), connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(DISTINCT organisation_id) FROM endorsements_endorsement")
        assert cursor.fetchone()[0] == [org_a.organisation.pk]


def test_the_database_refuses_an_endorsement_of_another_organisations_person(
    pg, org_a, org_b, colleague, python
):
    with (
        organisation_context(org_a.organisation),
        pytest.raises((IntegrityError, ProgrammingError)),
        transaction.atomic(),
    ):
        # The composite keys are deferred like Django's own: check them now, not at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Endorsement.objects.create(
            organisation=org_a.organisation,
            endorser=org_a.people["Cleo Colleague"],
            person=org_b.people["member"],
            skill=python,
        )
    assert endorsements_of(org_a) == [] and endorsements_of(org_b) == []


def test_the_database_refuses_an_endorsement_of_another_organisations_skill(
    pg, org_a, org_b, colleague
):
    theirs = SkillFactory(organisation=org_b.organisation)
    with (
        organisation_context(org_a.organisation),
        pytest.raises((IntegrityError, ProgrammingError)),
        transaction.atomic(),
    ):
        # The composite keys are deferred like Django's own: check them now, not at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Endorsement.objects.create(
            organisation=org_a.organisation,
            endorser=org_a.people["Cleo Colleague"],
            person=org_a.people["member"],
            skill=theirs,
        )
    assert endorsements_of(org_a) == []
