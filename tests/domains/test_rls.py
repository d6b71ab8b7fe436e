"""On PostgreSQL, as the application role: row-level security keeps one organisation's domains out
of another's queries, and the one lookup made before sign-in (which organisation verified this
domain?) works with no organisation set and reveals the organisation's id and nothing else."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from domains.models import Domain
from domains.selectors import (
    domain_list,
    email_domain_verified,
    verified_domain_organisation_id,
)
from skillsmap.core.tenancy import current_database_organisation, organisation_context
from tests.factories import DomainFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _rows(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def test_the_lookup_runs_as_a_role_that_row_level_security_applies_to(pg):
    assert _rows("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user") == [
        (False, False)
    ]
    # The role owns the table, and FORCE makes RLS filter the owner too.
    assert _rows(
        "SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) = current_user"
        " FROM pg_class WHERE relname = 'domains_domain'"
    ) == [(True, True, True)]


def test_raw_sql_in_one_organisation_sees_none_of_the_others_domains(pg, org_a, org_b):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    DomainFactory(organisation=org_b.organisation, name="beta.example", verified=True)
    DomainFactory(organisation=org_b.organisation, name="beta-pending.example")
    assert _rows("SELECT name FROM domains_domain") == []  # nothing set: nothing at all
    with organisation_context(org_a.organisation):
        assert _rows("SELECT name FROM domains_domain") == [("alpha.example",)]
        assert [d.name for d in domain_list(organisation=org_a.organisation)] == ["alpha.example"]
    with organisation_context(org_b.organisation):
        assert sorted(_rows("SELECT name FROM domains_domain")) == [
            ("beta-pending.example",),
            ("beta.example",),
        ]


def test_verified_domain_lookup_works_with_no_organisation_set(pg, org_a, org_b):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    DomainFactory(organisation=org_b.organisation, name="pending.example")
    assert current_database_organisation() == ""
    assert verified_domain_organisation_id(domain="alpha.example") == org_a.organisation.pk
    assert verified_domain_organisation_id(domain="ALPHA.Example.") == org_a.organisation.pk
    # Pending claims and unknown names are both just "nobody".
    assert verified_domain_organisation_id(domain="pending.example") is None
    assert verified_domain_organisation_id(domain="nobody.example") is None
    # Inside another organisation's context too (the claim check runs there).
    with organisation_context(org_b.organisation):
        assert verified_domain_organisation_id(domain="alpha.example") == org_a.organisation.pk


def test_the_lookup_function_returns_the_id_only_and_leaves_rls_closed(pg, org_a):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM domains_verified_organisation_id(%s)", ["alpha.example"])
        assert [c.name for c in cursor.description] == ["domains_verified_organisation_id"]
        assert cursor.fetchall() == [(org_a.organisation.pk,)]
    # The function's setting ends with the call: the table is closed again right after it, in the
    # same transaction, and the token never left the database.
    assert _rows("SELECT current_setting('app.verified_domain_lookup', true)") in (
        [("",)],
        [(None,)],
    )
    assert _rows("SELECT count(*) FROM domains_domain") == [(0,)]


def test_email_domain_verified_is_per_organisation_and_exact(pg, org_a, org_b):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    DomainFactory(organisation=org_a.organisation, name="pending-alpha.example")
    alpha, beta = org_a.organisation, org_b.organisation
    assert email_domain_verified(organisation=alpha, email="Ann@Alpha.Example")
    assert not email_domain_verified(organisation=beta, email="ann@alpha.example")
    assert not email_domain_verified(organisation=alpha, email="ann@eu.alpha.example")
    assert not email_domain_verified(organisation=alpha, email="ann@pending-alpha.example")
    assert not email_domain_verified(organisation=alpha, email="not-an-email")


def test_the_database_refuses_a_second_verification_of_a_name_across_organisations(
    pg, org_a, org_b
):
    DomainFactory(organisation=org_a.organisation, name="shared.example", verified=True)
    # B's pending claim of the same name is allowed (it proves nothing yet)...
    claim = DomainFactory(organisation=org_b.organisation, name="shared.example")
    # ...but marking it verified, even past the services, breaks the unique index, which RLS
    # does not hide (B cannot see A's row, the index still sees it).
    with organisation_context(org_b.organisation):
        with pytest.raises(IntegrityError), transaction.atomic():
            Domain.objects.filter(pk=claim.pk).update(verified_at="2026-01-01T00:00:00Z")
        assert Domain.objects.get(pk=claim.pk).verified_at is None


# Flushing after a transactional test costs seconds per hundred tables: flush only the tables this
# one writes (with CASCADE, what refers to them), instead of the whole schema.
@pytest.mark.django_db(
    transaction=True, available_apps=["accounts", "domains", "allauth.account", "allauth.mfa"]
)
def test_two_organisations_verifying_one_name_at_once_one_wins_and_the_other_is_told(pg, dns_zone):
    """A real race on two connections: A's verification is written but not yet committed, so B's
    check for a holder sees nothing; B's write then waits on the unique index until A commits,
    fails, and B gets the same clear refusal, with its claim left pending."""
    import threading

    from domains.services import TAKEN, domain_verify
    from skillsmap.core.errors import ServiceError
    from tests.factories import OrganisationFactory, UserFactory

    alpha, beta = OrganisationFactory(slug="alpha"), OrganisationFactory(slug="beta")
    ann, bob = UserFactory(email="ann@alpha.example"), UserFactory(email="bob@beta.example")
    a_claim = DomainFactory(organisation=alpha, name="race.example")
    b_claim = DomainFactory(organisation=beta, name="race.example")
    dns_zone.set_txt(a_claim.record_name, a_claim.record_value, b_claim.record_value)
    written, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def a_verifies() -> None:
        try:
            with transaction.atomic():
                domain_verify(domain=a_claim, by=ann)
                written.set()
                commit.wait(10)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=a_verifies)
    thread.start()
    assert written.wait(10)
    # A commits while B is (by then) waiting on the index.
    threading.Timer(0.5, commit.set).start()
    with pytest.raises(ServiceError) as error:
        domain_verify(domain=b_claim, by=bob)
    thread.join(10)
    assert errors == []
    assert str(error.value) == TAKEN
    # B got past the holder check and looked the record up: the index, not the check, refused it.
    assert dns_zone.queries == ["_skillsmap-challenge.race.example"] * 2
    assert verified_domain_organisation_id(domain="race.example") == alpha.pk
    with organisation_context(beta):
        assert Domain.objects.get(pk=b_claim.pk).verified_at is None
