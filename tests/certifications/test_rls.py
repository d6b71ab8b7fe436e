"""On PostgreSQL, row-level security keeps one organisation's certifications and their skill links
out of another's queries, even raw ones; the composite foreign keys refuse a certification of
another organisation's person or a link to another organisation's skill, even written past the
services; and the daily alert run still finds every organisation's due certifications."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction

from certifications import tasks
from certifications.models import Certification, CertificationSkill
from notifications.models import Notification
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import days, record
from tests.factories import CertificationFactory
from tests.skills.factories import SkillFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # a constant table name
        return int(cursor.fetchone()[0])


def test_raw_sql_in_one_organisation_sees_none_of_the_others_certifications(pg, org_a, org_b):
    record(org_a, org_a.member, org_a.people["member"],
           skills=[SkillFactory(organisation=org_a.organisation)])  # fmt: skip
    record(org_b, org_b.member, org_b.people["member"], name="BRAVO first")
    record(org_b, org_b.hr, org_b.people["hr"], name="BRAVO second")
    assert _count("certifications_certification") == 0  # no organisation set: nothing at all
    assert _count("certifications_certificationskill") == 0
    with organisation_context(org_a.organisation):
        assert _count("certifications_certification") == 1
        assert _count("certifications_certificationskill") == 1
    with organisation_context(org_b.organisation):
        assert _count("certifications_certification") == 2
        assert _count("certifications_certificationskill") == 0


def _refused():
    return pytest.raises((IntegrityError, ProgrammingError))


def test_the_database_refuses_a_certification_of_another_organisations_person(pg, org_a, org_b):
    with organisation_context(org_a.organisation), _refused(), transaction.atomic():
        # The composite keys are deferred like Django's own: check them now, not at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Certification.objects.create(
            organisation=org_a.organisation,
            person=org_b.people["member"],
            name="Smuggled",
            issuer="X",
            issued_on=days(-1),
        )
    with organisation_context(org_a.organisation):
        assert not Certification.objects.exists()


def test_the_database_refuses_a_link_to_another_organisations_skill(pg, org_a, org_b):
    certification = CertificationFactory(
        organisation=org_a.organisation, person=org_a.people["member"]
    )
    theirs = SkillFactory(organisation=org_b.organisation)
    with organisation_context(org_a.organisation), _refused(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        CertificationSkill.objects.create(
            organisation=org_a.organisation, certification=certification, skill=theirs
        )
    with organisation_context(org_a.organisation):
        assert not CertificationSkill.objects.exists()


def test_the_database_refuses_an_expiry_before_the_issue_date(pg, org_a):
    with (
        organisation_context(org_a.organisation),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Certification.objects.create(
            organisation=org_a.organisation,
            person=org_a.people["member"],
            name="Backwards",
            issuer="X",
            issued_on=days(-1),
            expires_on=days(-2),
        )


def test_the_daily_alerts_visit_each_organisation(
    pg, org_a, org_b, django_capture_on_commit_callbacks
):
    for world in (org_a, org_b):
        CertificationFactory(
            organisation=world.organisation, person=world.people["member"], expires_on=days(30)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_expiry_alerts() == 2
    for world in (org_a, org_b):
        with organisation_context(world.organisation):
            recipients = set(Notification.objects.values_list("recipient__email", flat=True))
        slug = world.organisation.slug
        assert recipients == {f"member@{slug}.example", f"manager@{slug}.example",
                              f"hr@{slug}.example"}  # fmt: skip
