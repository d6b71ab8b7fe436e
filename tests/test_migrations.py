"""An existing database migrates forward with nothing lost (issue 12, item 7).

The redesign moved models between apps without touching their tables (``SeparateDatabaseAndState``,
state only): ``Job`` from ``reports`` to ``core`` (table ``reports_job``), and ``RoleProfile``,
``RoleRequirement`` and ``RoleAssignment`` from ``skills`` to ``roles`` (tables ``skills_role*``),
with ``GapScore.role`` and ``GapSnapshot.role`` re-pointed at ``roles.RoleProfile``.

The test builds a database at the state before that change, fills it through the historical models,
migrates it to the latest migration of every app, and reads every row back through the new models.

How it runs (django-test-migrations):

* The ``migrator`` fixture needs a transactional database (it drops and re-creates every table), so
  the test is marked ``django_db(transaction=True)``; pytest-django runs such tests after the ones in
  a rolled-back transaction, and flushes the tables afterwards.
* ``apply_initial_migration`` drops every table and migrates an empty database to the old state with
  the ``pre_migrate``/``post_migrate`` signals muted. So the old tables come back *without* the
  row-level security that ``skillsmap.core.rls`` adds after every ``migrate``. A production database
  at that state had it (then from ``accounts/rls.py``, the same policy), so on PostgreSQL the test
  applies it itself and works inside an organisation, as every real reader must.
* The migrator's finalizer (``migrator.reset()``) runs a plain ``migrate`` with the signals live,
  which leaves the database fully migrated with its policies, as the other tests expect;
  ``test_the_database_is_left_fully_migrated`` below checks that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from skillsmap.core import rls
from skillsmap.core.tenancy import ORGANISATION_SETTING

# The apps of the redesign's moves; the tables of every model in them are compared before and
# after. (Apps created since, such as notifications, add tables of their own on the way forward.)
LOCAL_APPS = ("core", "accounts", "teams", "skills", "roles", "reports")

# The migration state before the redesign: core and roles not migrated at all.
BEFORE = [
    ("accounts", "0004_api_token"),
    ("teams", "0002_teammanager"),
    ("skills", "0003_role_profiles"),
    ("reports", "0003_job_output"),
    ("core", None),
    # ("roles", None) is deliberately not passed: django-test-migrations cuts the full plan after
    # the *latest* target, and "before roles 0001" sits late in the plan (after core 0001), so it
    # would apply core 0001 as well. "Before core 0001" and reports 0003 are adjacent in the plan;
    # the applied set is asserted below, so a reordered plan fails loudly rather than silently.
]

# Moved models: (old app, new app, model, table).
MOVED = [
    ("reports", "core", "job", "reports_job"),
    ("skills", "roles", "roleprofile", "skills_roleprofile"),
    ("skills", "roles", "rolerequirement", "skills_rolerequirement"),
    ("skills", "roles", "roleassignment", "skills_roleassignment"),
]

PAYLOAD = b"name,skill,level\r\nAda,Python,4\r\n\x00\xff\xfe binary tail"
OUTPUT = b"PK\x03\x04 not really a zip \x00\x01\x02\xff"


@contextmanager
def in_organisation(organisation_id: int) -> Iterator[None]:
    """Act as one organisation, on the database side.

    On PostgreSQL the tenant tables have FORCE ROW LEVEL SECURITY (the test connects as their
    owner, which is filtered too): with ``app.current_organisation`` unset a SELECT sees no row and
    an INSERT is refused. The setting is transaction-local (``set_config(..., true)``) and this test
    runs in autocommit, so it is set inside ``transaction.atomic()`` and ends with it. The
    application's ``organisation_context`` cannot be used: it also activates django-scopes for the
    current models, and the historical models here are plain ones. On SQLite nothing is needed.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, %s, true)", [ORGANISATION_SETTING, str(organisation_id)]
                )
        yield


def _enforce_tenancy_as_production_has_it() -> None:
    """What ``post_migrate`` did to the production database at the old state (the migrator mutes
    it): row-level security and composite foreign keys on every tenant table."""
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in rls.tenant_models():
            if model._meta.db_table in existing:  # a table added after the old state is not there
                rls._apply_rls(cursor, model._meta.db_table)
                rls._apply_composite_foreign_keys(cursor, model)


def _local_tables() -> set[str]:
    prefixes = tuple(f"{app}_" for app in LOCAL_APPS)
    return {t for t in connection.introspection.table_names() if t.startswith(prefixes)}


def _local_models(apps: Any) -> list[Any]:
    return [m for m in apps.get_models() if m._meta.app_label in LOCAL_APPS]


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _snapshot(apps: Any, organisation_ids: list[int]) -> dict[tuple[int, str], list[dict]]:
    """Every column of every row of every local table, as each organisation reads it."""
    rows: dict[tuple[int, str], list[dict]] = {}
    for organisation_id in organisation_ids:
        with in_organisation(organisation_id):
            for model in _local_models(apps):
                queryset = model._default_manager.order_by("pk")
                if any(f.name == "organisation" for f in model._meta.fields):
                    queryset = queryset.filter(organisation_id=organisation_id)
                rows[(organisation_id, model._meta.db_table)] = [
                    {k: _plain(v) for k, v in row.items()} for row in queryset.values()
                ]
    return rows


# Core 0002-0004 moved a job's file out of its row into the storage (issue 14).
JOB_FILE_COLUMNS = ("output", "file", "file_expired_at")


def _without_job_file(rows: dict[tuple[int, str], list[dict]]) -> dict[tuple[int, str], list[dict]]:
    return {
        key: [
            {k: v for k, v in row.items() if key[1] != "reports_job" or k not in JOB_FILE_COLUMNS}
            for row in table_rows
        ]
        for key, table_rows in rows.items()
    }


def _fill(apps: Any, slug: str) -> dict[str, Any]:
    """One organisation's rows, written through the models of the old state."""
    Organisation = apps.get_model("accounts", "Organisation")
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("accounts", "Membership")
    Team = apps.get_model("teams", "Team")
    Person = apps.get_model("teams", "Person")
    TeamMembership = apps.get_model("teams", "TeamMembership")
    LibraryOccupation = apps.get_model("skills", "LibraryOccupation")
    Skill = apps.get_model("skills", "Skill")
    RoleProfile = apps.get_model("skills", "RoleProfile")
    RoleRequirement = apps.get_model("skills", "RoleRequirement")
    RoleAssignment = apps.get_model("skills", "RoleAssignment")
    GapScore = apps.get_model("reports", "GapScore")
    GapSnapshot = apps.get_model("reports", "GapSnapshot")
    Job = apps.get_model("reports", "Job")

    # Not tenant tables: no organisation needed.
    organisation = Organisation.objects.create(name=f"{slug.title()} Ltd", slug=slug)
    user = User.objects.create(email=f"hr@{slug}.example", name="Hana Ruiz", password="!")
    occupation = LibraryOccupation.objects.create(
        code=f"15-1252.{slug}", title="Software Developer", description="Writes software."
    )
    computed_at = timezone.now().replace(microsecond=0) - timedelta(days=1)
    with in_organisation(organisation.pk):
        membership = Membership.objects.create(organisation=organisation, user=user, role="hr")
        team = Team.objects.create(organisation=organisation, name="Platform")
        person = Person.objects.create(
            organisation=organisation,
            user=user,
            name="Hana Ruiz",
            email=user.email,
            job_title="Engineer",
        )
        TeamMembership.objects.create(organisation=organisation, team=team, person=person)
        skill = Skill.objects.create(
            organisation=organisation, name="Python", normalised_name="python"
        )
        role = RoleProfile.objects.create(
            organisation=organisation,
            name="Backend engineer",
            description="Builds the API.",
            source_occupation=occupation,
        )
        requirement = RoleRequirement.objects.create(
            organisation=organisation,
            role=role,
            skill=skill,
            target_level=4,
            importance="optional",
            weight=Decimal("1.50"),
        )
        assignment = RoleAssignment.objects.create(
            organisation=organisation, person=person, role=role, kind="target"
        )
        score = GapScore.objects.create(
            organisation=organisation,
            person=person,
            role=role,
            kind="target",
            gap=Decimal("1.25"),
            readiness=Decimal("62.50"),
            met=1,
            total=2,
            essential_alert=True,
            missing=[{"skill": skill.pk, "target": 4, "level": 2}],
            computed_at=computed_at,
            inputs_version=7,
        )
        snapshot = GapSnapshot.objects.create(
            organisation=organisation,
            person=person,
            role=role,
            day=date(2026, 11, 30),
            kind="target",
            gap=Decimal("1.25"),
        )
        job = Job.objects.create(
            organisation=organisation,
            created_by=user,
            kind="ratings_import",
            status="succeeded",
            filename="ratings.csv",
            payload=PAYLOAD,
            total=1,
            processed=1,
            errors=[{"row": 3, "message": "Unknown skill"}],
            summary={"created": 1},
            params={"source": "import"},
            output=OUTPUT,
            output_name="gaps.xlsx",
            output_content_type="application/vnd.ms-excel",
            finished_at=computed_at,
        )
    return {
        "organisation": organisation.pk,
        "user": user.pk,
        "membership": membership.pk,
        "team": team.pk,
        "person": person.pk,
        "occupation": occupation.pk,
        "skill": skill.pk,
        "role": role.pk,
        "requirement": requirement.pk,
        "assignment": assignment.pk,
        "score": score.pk,
        "snapshot": snapshot.pk,
        "job": job.pk,
        "computed_at": computed_at,
    }


def _check_through_new_models(apps: Any, ids: dict[str, Any]) -> None:
    RoleProfile = apps.get_model("roles", "RoleProfile")
    RoleRequirement = apps.get_model("roles", "RoleRequirement")
    RoleAssignment = apps.get_model("roles", "RoleAssignment")
    GapScore = apps.get_model("reports", "GapScore")
    GapSnapshot = apps.get_model("reports", "GapSnapshot")
    Job = apps.get_model("core", "Job")

    assert GapScore._meta.get_field("role").related_model is RoleProfile
    assert GapSnapshot._meta.get_field("role").related_model is RoleProfile

    org = ids["organisation"]
    with in_organisation(org):
        role = RoleProfile.objects.get(organisation_id=org)
        assert role.pk == ids["role"]
        assert (role.organisation_id, role.name, role.description) == (
            ids["organisation"],
            "Backend engineer",
            "Builds the API.",
        )
        assert role.source_occupation.pk == ids["occupation"]
        assert role.source_occupation.title == "Software Developer"

        requirement = RoleRequirement.objects.get(organisation_id=org)
        assert requirement.pk == ids["requirement"]
        assert requirement.role == role
        assert list(role.requirements.all()) == [requirement]
        assert requirement.skill.pk == ids["skill"]
        assert requirement.skill.name == "Python"
        assert (requirement.target_level, requirement.importance, requirement.weight) == (
            4,
            "optional",
            Decimal("1.50"),
        )

        assignment = RoleAssignment.objects.get(organisation_id=org)
        assert assignment.pk == ids["assignment"]
        assert (assignment.role, assignment.kind) == (role, "target")
        assert list(role.assignments.all()) == [assignment]
        assert assignment.person.pk == ids["person"]
        assert list(assignment.person.roles.all()) == [assignment]
        assert assignment.person.user.email.startswith("hr@")

        score = GapScore.objects.get(organisation_id=org)
        assert score.pk == ids["score"]
        assert isinstance(score.role, RoleProfile)
        assert score.role == role
        assert score.person.pk == ids["person"]
        assert (score.gap, score.readiness, score.met, score.total) == (
            Decimal("1.25"),
            Decimal("62.50"),
            1,
            2,
        )
        assert score.essential_alert is True
        assert score.missing == [{"skill": ids["skill"], "target": 4, "level": 2}]
        assert (score.computed_at, score.inputs_version) == (ids["computed_at"], 7)
        assert GapSnapshot.objects.get(organisation_id=org).role == role

        job = Job.objects.get(organisation_id=org)
        assert job.pk == ids["job"]
        assert (job.organisation_id, job.created_by_id) == (ids["organisation"], ids["user"])
        assert (job.kind, job.status, job.filename) == (
            "ratings_import",
            "succeeded",
            "ratings.csv",
        )
        assert bytes(job.payload) == PAYLOAD
        assert job.file_expired_at is None
        assert job.file.name.startswith(f"exports/{org}/")
        with job.file.storage.open(job.file.name, "rb") as handle:
            assert handle.read() == OUTPUT
        assert (job.output_name, job.output_content_type) == (
            "gaps.xlsx",
            "application/vnd.ms-excel",
        )
        assert (job.total, job.processed) == (1, 1)
        assert job.errors == [{"row": 3, "message": "Unknown skill"}]
        assert (job.summary, job.params) == ({"created": 1}, {"source": "import"})
        assert job.finished_at == ids["computed_at"]


def _check_state_matches_database(apps: Any) -> None:
    """The moved models' state describes the tables as they are: same columns, and every
    constraint and index the state names exists under that name (a later migration that drops or
    alters one by name would otherwise fail on a real database)."""
    with connection.cursor() as cursor:
        for _old, new_app, model_name, table in MOVED:
            model = apps.get_model(new_app, model_name)
            assert model._meta.db_table == table
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            assert {f.column for f in model._meta.concrete_fields} == columns
            names = set(connection.introspection.get_constraints(cursor, table))
            for item in [*model._meta.constraints, *model._meta.indexes]:
                assert item.name in names, (table, item.name)
        # The re-pointed foreign keys still reference the same table. (GapScore's role has had
        # no single-column key since reports 0006: the composite key checks it, which
        # tests/accounts/test_rls.py requires of every reference.)
        for table in ("reports_gapsnapshot",):
            constraints = connection.introspection.get_constraints(cursor, table)
            targets = {
                c["foreign_key"] for c in constraints.values() if c["columns"] == ["role_id"]
            }
            assert ("skills_roleprofile", "id") in targets, (table, targets)


def _check_rls_isolates(apps: Any, app_of: dict[str, str], ids: dict[str, Any]) -> None:
    """On PostgreSQL the database itself still separates the organisations: unfiltered, one
    organisation reads only its own row of each moved table, and with none set nothing is read."""
    if connection.vendor != "postgresql":
        return
    for _old, _new, model_name, _table in MOVED:
        model = apps.get_model(app_of[model_name], model_name)
        with in_organisation(ids["organisation"]):
            assert model._default_manager.count() == 1, model_name
        assert model._default_manager.count() == 0, model_name  # autocommit: nothing set


def _check_policies_kept() -> None:
    """State-only operations leave each table's row-level security and policy in place."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for *_apps, table in MOVED:
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s) "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                [rls.POLICY, table],
            )
            assert cursor.fetchone() == (True, True, 1), table


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_migrates_forward_with_nothing_lost(migrator: Any) -> None:
    old_state = migrator.apply_initial_migration(BEFORE)

    # The database really is at the old state: exactly these migrations of the local apps.
    graph = MigrationExecutor(connection).loader.graph
    expected = {
        node
        for target in BEFORE
        if target[1] is not None
        for node in graph.forwards_plan(target)
        if node[0] in LOCAL_APPS
    }
    applied = {k for k in MigrationRecorder(connection).applied_migrations() if k[0] in LOCAL_APPS}
    assert applied == expected
    assert not any(app in ("core", "roles") for app, _ in old_state.models)
    old_apps = old_state.apps
    assert old_apps.get_model("skills", "RoleProfile")._meta.db_table == "skills_roleprofile"
    assert old_apps.get_model("reports", "Job")._meta.db_table == "reports_job"

    _enforce_tenancy_as_production_has_it()
    alpha = _fill(old_apps, "alpha")
    beta = _fill(old_apps, "beta")
    organisation_ids = [alpha["organisation"], beta["organisation"]]
    tables_before = _local_tables()
    rows_before = _snapshot(old_apps, organisation_ids)
    # Each organisation sees its own role, requirement, assignment, score and job, and only those.
    for ids in (alpha, beta):
        for table, key in [
            ("skills_roleprofile", "role"),
            ("skills_rolerequirement", "requirement"),
            ("skills_roleassignment", "assignment"),
            ("reports_gapscore", "score"),
            ("reports_job", "job"),
        ]:
            assert [r["id"] for r in rows_before[(ids["organisation"], table)]] == [ids[key]]

    old_app_of = {model: old for old, _new, model, _table in MOVED}
    for ids in (alpha, beta):
        _check_rls_isolates(old_apps, old_app_of, ids)

    # Forward to the latest migration of every app (core, roles, reports, skills and the rest).
    new_state = migrator.apply_tested_migration(graph.leaf_nodes())
    new_apps = new_state.apps
    assert MigrationExecutor(connection).migration_plan(graph.leaf_nodes()) == []
    for old_app, new_app, model, _table in MOVED:
        assert (new_app, model) in new_state.models
        assert (old_app, model) not in new_state.models

    # No table was created, renamed or dropped: in particular no core_job or roles_* table.
    assert _local_tables() == tables_before
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() "
                "AND (table_name LIKE 'core\\_%%' OR table_name LIKE 'roles\\_%%')"
            )
            assert cursor.fetchall() == []
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
                [[table for *_apps, table in MOVED]],
            )
            assert {t for (t,) in cursor.fetchall()} == {table for *_apps, table in MOVED}
    _check_state_matches_database(new_apps)
    _check_policies_kept()

    # Every row of every local table, column for column, read through the new models; a job's
    # file alone moved, from its row (output) into the storage (file, checked below).
    rows_after = _snapshot(new_apps, organisation_ids)
    # Columns added since the old state hold their default on every existing row (then compared
    # without them): #16's certification a role requirement may ask for (roles 0002).
    added_columns = {"skills_rolerequirement": {"certification": ""}}
    for (_org, table), table_rows in rows_after.items():
        for row in table_rows:
            for column, default in added_columns.get(table, {}).items():
                assert row.pop(column) == default, (table, column)
    assert _without_job_file(rows_after) == _without_job_file(rows_before)
    for (_org, table), rows in rows_before.items():
        if table in {t for *_apps, t in MOVED} | {"reports_gapscore", "reports_gapsnapshot"}:
            assert len(rows) == 1, table  # the comparison above is not vacuous
    new_app_of = {model: new for _old, new, model, _table in MOVED}
    for ids in (alpha, beta):
        _check_through_new_models(new_apps, ids)
        _check_rls_isolates(new_apps, new_app_of, ids)


@pytest.mark.django_db(transaction=True)
def test_the_database_is_left_fully_migrated() -> None:
    """Runs after the migration test (pytest-django keeps file order among transactional tests):
    the migrator's reset left every migration applied and, on PostgreSQL, every tenant table under
    its policy again, so the tests after it see the database they were built for."""
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    tables = set(connection.introspection.table_names())
    assert {m._meta.db_table for m in _local_models(executor.loader.project_state().apps)} <= tables
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in rls.tenant_models():
                cursor.execute(
                    "SELECT relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                    [model._meta.db_table],
                )
                assert cursor.fetchone() == (True,), model._meta.db_table


@pytest.mark.django_db
def test_models_and_migrations_do_not_drift() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out, verbosity=1)
    except SystemExit:  # --check exits 1 when a migration is missing
        pytest.fail(f"Models have changes without a migration:\n{out.getvalue()}")
