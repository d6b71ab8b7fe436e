"""The deployment artefacts hold together: production settings pass Django's deploy checks, and the
compose file describes the services we run."""

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "skillsmap.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "SSO_SECRET_KEY": "a-production-key-for-the-sso-client-secrets-0123456789",
    "ALLOWED_HOSTS": "skills.example.com",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/skillsmap",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_compose_file_runs_web_worker_beat_postgres_and_redis_from_one_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    app_images = {services[name]["image"] for name in ("web", "worker", "beat")}
    assert app_images == {"skillsmap:latest"}
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


# --- database roles: the application is neither owner nor superuser ------------------------------

ROLES_SQL = ROOT / "deploy" / "postgres" / "create-roles.sql"
APP_SERVICES = ("web", "worker", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _database_user(service: dict) -> str:
    # Not urlsplit: the ${VAR:?message} placeholders are not valid URL syntax.
    match = re.match(r"postgres://([^:@/]+)[:@]", service["environment"]["DATABASE_URL"])
    return match.group(1) if match else ""


def _role_statement(sql: str, role: str) -> str:
    match = re.search(rf"CREATE ROLE {role}\b[^;]*;", sql)
    assert match, f"{ROLES_SQL.name} does not create {role}"
    return match.group(0)


def test_compose_runs_the_app_as_a_role_that_is_neither_owner_nor_superuser():
    compose = _compose()
    services = compose["services"]
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    app_users = {_database_user(services[name]) for name in APP_SERVICES}
    owner = _database_user(services["migrate"])
    sql = ROLES_SQL.read_text()

    assert len(app_users) == 1
    (app_user,) = app_users
    assert app_user not in {owner, superuser, ""}
    assert re.search(rf"CREATE DATABASE skillsmap OWNER {owner};", sql)
    for role in (app_user, owner):
        statement = _role_statement(sql, role)
        assert "NOSUPERUSER" in statement and "NOBYPASSRLS" in statement, statement
        assert "NOCREATEROLE" in statement, statement


def test_compose_migrates_as_the_owner_and_imports_the_bundled_library_before_the_app_starts():
    services = _compose()["services"]
    assert "migrate" in services["migrate"]["command"]
    assert "import_skill_library" in services["migrate"]["command"]
    for name in APP_SERVICES:
        assert "migrate" not in services[name]["command"]
        depends = services[name]["depends_on"]["migrate"]
        assert depends["condition"] == "service_completed_successfully"
    mounts = services["postgres"]["volumes"]
    assert any(
        m.startswith("./deploy/postgres/init-roles.sh:/docker-entrypoint-initdb.d/") for m in mounts
    )
    assert (ROOT / "skills" / "library_data" / "onet-29.3" / "Skills.txt.gz").is_file()
    assert "skills/library_data" not in (ROOT / ".dockerignore").read_text()


@pytest.mark.postgres
def test_the_roles_script_gives_an_app_role_that_writes_rows_but_not_the_schema(tmp_path):
    """The documented script on a real PostgreSQL: migrate as the owner, then the app role reads
    and writes, cannot alter a table, and is filtered by row-level security."""
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qtA"]
    probe = subprocess.run(
        [*admin, "-c", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout.strip() != "t":
        pytest.fail(f"needs the machine's postgres superuser over 127.0.0.1: {probe.stderr}")
    suffix = uuid.uuid4().hex[:8]
    owner, app, database = f"owner_{suffix}", f"app_{suffix}", f"deploy_{suffix}"
    sql = (
        ROLES_SQL.read_text()
        .replace("skillsmap_owner", owner)
        .replace("skillsmap_app", app)
        .replace("DATABASE skillsmap", f"DATABASE {database}")
        .replace("\\connect skillsmap", f"\\connect {database}")
    )
    script = tmp_path / "roles.sql"
    script.write_text(sql)

    def as_app(statement: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["psql", f"postgres://{app}:app-pw@127.0.0.1:5432/{database}", "-qtA", "-c", statement],
            capture_output=True,
            text=True,
        )

    try:
        created = subprocess.run(
            [
                *admin,
                "-d",
                "postgres",
                "-v",
                "owner_password=owner-pw",
                "-v",
                "app_password=app-pw",
                "-f",
                str(script),
            ],
            capture_output=True,
            text=True,
        )
        assert created.returncode == 0, created.stderr
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "skillsmap.settings.local"}
        env.pop("REDIS_URL", None)

        def manage(user: str, password: str, *args: str) -> None:
            url = f"postgres://{user}:{password}@127.0.0.1:5432/{database}"
            done = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env={**env, "DATABASE_URL": url},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stdout + done.stderr

        # As compose does: the owner migrates and imports the library, the app does the rest.
        manage(owner, "owner-pw", "migrate", "--noinput", "-v", "0")
        manage(owner, "owner-pw", "import_skill_library")
        manage(app, "app-pw", "seed_demo")

        attributes = as_app(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert attributes.stdout.strip() == "f|f", attributes.stderr
        altered = as_app("ALTER TABLE accounts_membership ADD COLUMN sneaky int")
        assert altered.returncode != 0 and "must be owner" in altered.stderr
        # The seeded memberships are there (the superuser sees them) but the app, with no
        # organisation set, sees none: row-level security applies to it.
        everything = subprocess.run(
            [*admin, "-d", database, "-c", "SELECT count(*) FROM accounts_membership"],
            capture_output=True,
            text=True,
        )
        assert int(everything.stdout.strip()) >= 4, everything.stderr
        hidden = as_app("SELECT count(*) FROM accounts_membership")
        assert hidden.returncode == 0 and hidden.stdout.strip() == "0", hidden.stderr
    finally:
        subprocess.run(
            [*admin, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True
        )
        subprocess.run([*admin, "-c", f"DROP ROLE IF EXISTS {app}"], capture_output=True)
        subprocess.run([*admin, "-c", f"DROP ROLE IF EXISTS {owner}"], capture_output=True)
