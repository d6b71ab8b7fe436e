"""The third wall, on PostgreSQL: row-level security, checked against the catalogue and by raw SQL
that bypasses the ORM entirely."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import ProgrammingError

from accounts.models import Membership
from skillsmap.core.tenancy import current_database_organisation, organisation_context

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _scalar(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def test_the_suite_runs_as_a_role_that_row_level_security_applies_to(pg):
    # A superuser or BYPASSRLS role would make every test below pass without testing anything.
    row = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    assert row == (False, False)


def test_every_table_with_an_organisation_id_has_forced_rls_and_the_policy(pg, db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT string_agg(pg_get_expr(p.polqual, p.polrelid), ' | ')
                      FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'),
                   (SELECT pg_get_expr(p.polwithcheck, p.polrelid)
                      FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')
              FROM pg_class c
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organisation_id'
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname = current_schema()
            """
        )
        rows = cursor.fetchall()
    assert len(rows) >= 3
    for table, enabled, forced, using, check in rows:
        assert enabled and forced, f"{table}: RLS not enabled and forced"
        assert using and "app.current_organisation" in using, f"{table}: no tenant policy"
        assert check and "app.current_organisation" in check, f"{table}: writes not checked"


def test_raw_select_with_no_organisation_set_returns_no_rows(pg, org_a, org_b):
    assert current_database_organisation() == ""
    assert _scalar("SELECT count(*) FROM accounts_membership") == 0
    with organisation_context(org_a.organisation):
        assert _scalar("SELECT count(*) FROM accounts_membership") == 4


def test_raw_select_inside_one_organisation_sees_none_of_the_other(pg, org_a, org_b):
    with organisation_context(org_a.organisation):
        seen = _scalar("SELECT array_agg(DISTINCT organisation_id) FROM accounts_membership")
    assert seen == [org_a.organisation.pk]


def test_raw_insert_of_another_organisations_row_is_refused(pg, org_a, org_b):
    with (
        organisation_context(org_a.organisation),
        pytest.raises(ProgrammingError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO accounts_membership"
            " (organisation_id, user_id, role, is_active, created_at)"
            " VALUES (%s, %s, 'admin', true, now())",
            [org_b.organisation.pk, org_a.member.pk],
        )
    assert "row-level security" in str(error.value)


def test_raw_update_cannot_reach_another_organisation(pg, org_a, org_b):
    with organisation_context(org_a.organisation), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_membership SET role = 'member' WHERE role = 'admin'")
        assert cursor.rowcount == 1  # alpha's admin only
    with organisation_context(org_b.organisation):
        assert Membership.objects.get(user=org_b.admin).role == "admin"


def test_orm_write_into_another_organisation_is_refused(pg, org_a, org_b):
    with (
        organisation_context(org_a.organisation),
        pytest.raises((ProgrammingError, IntegrityError)),
        transaction.atomic(),
    ):
        Membership.objects.create(organisation=org_b.organisation, user=org_a.member)


def test_the_setting_is_restored_when_a_context_ends(pg, org_a, org_b):
    with organisation_context(org_a.organisation):
        with organisation_context(org_b.organisation):
            assert current_database_organisation() == str(org_b.organisation.pk)
        assert current_database_organisation() == str(org_a.organisation.pk)
    assert current_database_organisation() == ""


@pytest.mark.django_db(transaction=True)
def test_a_request_does_not_leave_its_organisation_on_the_connection(pg, org_a, login):
    client = login(org_a.admin)
    assert client.get(f"/o/{org_a.organisation.slug}/members/").status_code == 200
    # The same connection, after the request's transaction ended: nothing is set any more.
    assert current_database_organisation() == ""
    assert _scalar("SELECT count(*) FROM accounts_membership") == 0


def test_every_reference_between_tenant_tables_is_a_composite_foreign_key(pg, db):
    from django.db import models as m

    from skillsmap.core.rls import tenant_models
    from skillsmap.core.tenancy import TenantModel

    expected = {
        (model._meta.db_table, field.column)
        for model in tenant_models()
        for field in model._meta.concrete_fields
        if isinstance(field, m.ForeignKey)
        and field.name != "organisation"
        and issubclass(field.related_model, TenantModel)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[2]
             WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 2
            """
        )
        composite = {(table.strip('"'), column) for table, column in cursor.fetchall()}
    assert len(expected) >= 5  # people, teams, skills and ratings reference each other
    assert expected <= composite, expected - composite


def test_the_database_refuses_a_row_pointing_into_another_organisation(pg, org_a, org_b):
    from teams.models import Team, TeamMembership

    with organisation_context(org_a.organisation):
        team = Team.objects.create(organisation=org_a.organisation, name="Platform")
        with pytest.raises(IntegrityError), transaction.atomic():
            # Alpha's row, alpha's team, but beta's person: the composite key has no such pair.
            TeamMembership.objects.create(
                organisation=org_a.organisation, team=team, person_id=org_b.people["member"].pk
            )
            connection.check_constraints()
