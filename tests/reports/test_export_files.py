"""Export files live in Django's storage, not in the job's row (issue 14, "Exports as files"):
written under an organisation-scoped, unguessable path, streamed on download to the job's creator,
HR and admins, each download audited, deleted after ``EXPORT_RETENTION_DAYS`` by the beat task
(the job stays and its download says 410), and moved out of existing rows by a migration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.audit import audit_sentence
from accounts.models import AuditEvent
from accounts.permissions import Role
from reports import exports
from reports.tasks import expire_export_files
from skillsmap.core.models import Job, export_storage
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.factories import MembershipFactory, UserFactory
from tests.reports.test_exports import _build, _export_job, _file_bytes, _without_csrf

pytestmark = pytest.mark.django_db


def _download_url(world: World, job_id: int) -> str:
    return reverse(
        "reports:job_download", kwargs={"org_slug": world.organisation.slug, "job_id": job_id}
    )


def _api_download_url(world: World, job_id: int) -> str:
    return reverse(
        "api:job-download", kwargs={"org_slug": world.organisation.slug, "job_id": job_id}
    )


def _job_url(world: World, job_id: int) -> str:
    return reverse(
        "reports:job_detail", kwargs={"org_slug": world.organisation.slug, "job_id": job_id}
    )


def _streamed(response: Any) -> bytes:
    assert response.streaming, "the file is streamed from the storage, not built in memory"
    return b"".join(response.streaming_content)


def _reload(world: World, job: Job) -> Job:
    with organisation_context(world.organisation):
        return Job.objects.get(pk=job.pk)


def _finished_days_ago(world: World, job: Job, days: float) -> Job:
    with organisation_context(world.organisation):
        Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days))
    return _reload(world, job)


# --- Writing ---------------------------------------------------------------------------------------


def test_the_export_file_is_written_to_the_storage_and_not_to_the_row(org_a):
    _build(org_a)
    job = _export_job(org_a, fmt="xlsx")
    assert job.status == Job.Status.SUCCEEDED, job.errors
    # Under the organisation's prefix, behind a random segment, with the report's own name.
    prefix, organisation_id, token, name = job.file.name.split("/")
    assert (prefix, organisation_id, name) == ("exports", str(org_a.organisation.pk), name)
    assert name == "gap-report.xlsx" and len(token) >= 32
    assert export_storage().exists(job.file.name)
    assert _file_bytes(job).startswith(b"PK")  # a real workbook
    # The row holds the name only: no column of reports_job carries the file any more.
    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "reports_job")
        }
    assert "output" not in columns and "file" in columns


def test_two_exports_of_the_same_name_get_different_unguessable_paths(org_a):
    _build(org_a)
    first, second = _export_job(org_a), _export_job(org_a)
    assert first.file.name != second.file.name
    assert first.file.name.rsplit("/", 1)[1] == second.file.name.rsplit("/", 1)[1]


# --- Downloading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_download_streams_the_stored_bytes_as_the_same_attachment(org_a, login, fmt):
    _build(org_a)
    job = _export_job(org_a, fmt=fmt)
    response = login(org_a.hr).get(_download_url(org_a, job.pk))
    assert response.status_code == 200
    assert _streamed(response) == _file_bytes(job)
    assert response["Content-Type"] == exports.CONTENT_TYPES[fmt]
    assert response["Content-Disposition"] == f'attachment; filename="gap-report.{fmt}"'
    assert response["Cache-Control"] == "private, no-store"


def test_the_api_download_streams_the_same_bytes(org_a, login):
    _build(org_a)
    job = _export_job(org_a, fmt="csv")
    response = login(org_a.hr).get(_api_download_url(org_a, job.pk))
    assert response.status_code == 200
    assert _streamed(response) == _file_bytes(job)
    assert response["Content-Disposition"] == 'attachment; filename="gap-report.csv"'


def test_the_creator_hr_and_admin_may_download_another_manager_may_not(org_a, login):
    data = _build(org_a)
    job = _export_job(org_a, role="manager", team_ids=[data.payments.pk])
    for user in (org_a.manager, org_a.hr, org_a.admin):
        assert login(user).get(_download_url(org_a, job.pk)).status_code == 200, user
    other = MembershipFactory(
        organisation=org_a.organisation,
        role=Role.MANAGER,
        user=UserFactory(email="other-manager@alpha.example"),
    )
    # The existing rule: someone else's job reads as missing; a member may not download at all.
    assert login(other.user).get(_download_url(org_a, job.pk)).status_code == 404
    assert login(org_a.member).get(_download_url(org_a, job.pk)).status_code == 403


def test_another_organisations_export_is_a_404_like_a_missing_one(org_a, org_b, login):
    _build(org_b)
    job = _export_job(org_b)
    client = login(org_a.admin)
    foreign = client.get(_download_url(org_a, job.pk))
    missing = client.get(_download_url(org_a, 999_999))
    assert foreign.status_code == missing.status_code == 404
    assert _without_csrf(foreign) == _without_csrf(missing)
    assert client.get(_api_download_url(org_a, job.pk)).json() == (
        client.get(_api_download_url(org_a, 999_999)).json()
    )
    with organisation_context(org_b.organisation):
        assert not AuditEvent.objects.filter(verb="report.downloaded").exists()


def test_a_download_is_audited_and_reads_as_a_sentence(org_a, login):
    data = _build(org_a)
    job = _export_job(org_a, role="manager", team_ids=[data.payments.pk], fmt="csv")
    login(org_a.hr).get(_download_url(org_a, job.pk))
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="report.downloaded")
    assert event.actor == org_a.hr  # who downloaded, not who exported
    assert (event.target_type, event.target_id) == ("core.job", str(job.pk))
    assert event.after == {"filename": "gap-report.csv", "format": "csv"}
    assert audit_sentence(event) == f"{org_a.hr} downloaded the CSV report gap-report.csv"


def test_the_audit_log_page_shows_the_download(org_a, login):
    _build(org_a)
    job = _export_job(org_a, fmt="xlsx")
    client = login(org_a.admin)
    client.get(_download_url(org_a, job.pk))
    page = client.get(reverse("accounts:audit_event_list", kwargs={"org_slug": "alpha"}))
    assert f"{org_a.admin} downloaded the XLSX report gap-report.xlsx" in page.content.decode()


# --- Retention -------------------------------------------------------------------------------------


def test_the_job_page_says_until_when_the_file_is_kept(org_a, login):
    _build(org_a)
    job = _export_job(org_a)
    kept_until = job.finished_at + timedelta(days=settings.EXPORT_RETENTION_DAYS)
    page = login(org_a.hr).get(_job_url(org_a, job.pk)).content.decode()
    assert f"Kept until {date_format(kept_until, 'j M Y')}" in page
    api = login(org_a.hr).get(reverse("api:job", kwargs={"org_slug": "alpha", "job_id": job.pk}))
    assert api.json()["file_kept_until"] is not None and api.json()["file_expired_at"] is None


def test_the_retention_task_deletes_old_files_and_keeps_fresh_ones(org_a):
    _build(org_a)
    days = settings.EXPORT_RETENTION_DAYS
    old = _finished_days_ago(org_a, _export_job(org_a), days + 0.1)
    fresh = _finished_days_ago(org_a, _export_job(org_a), days - 0.1)
    old_name = old.file.name

    assert expire_export_files() == 1
    assert not export_storage().exists(old_name)
    old = _reload(org_a, old)
    assert old.status == Job.Status.SUCCEEDED  # the row stays
    assert old.file.name == "" and old.file_expired_at is not None
    fresh = _reload(org_a, fresh)
    assert export_storage().exists(fresh.file.name) and fresh.file_expired_at is None
    assert expire_export_files() == 0  # a second run finds nothing more to do


def test_beat_runs_the_retention_task():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert expire_export_files.name in tasks


def test_the_retention_task_covers_every_organisation(org_a, org_b):
    for world in (org_a, org_b):
        _build(world)
        _finished_days_ago(world, _export_job(world), settings.EXPORT_RETENTION_DAYS + 1)
    assert expire_export_files() == 2


def test_an_expired_download_is_a_clear_410_on_the_page_and_the_api(org_a, login):
    _build(org_a)
    job = _finished_days_ago(org_a, _export_job(org_a), settings.EXPORT_RETENTION_DAYS + 1)
    expire_export_files()
    client = login(org_a.hr)

    page = client.get(_download_url(org_a, job.pk))
    assert page.status_code == 410
    text = page.content.decode()
    assert "This export's file has expired" in text and "gap-report.csv" in text
    assert f"kept for {settings.EXPORT_RETENTION_DAYS} days" in text

    api = client.get(_api_download_url(org_a, job.pk))
    assert api.status_code == 410
    assert api.json()["code"] == "export_expired"
    assert "expired" in api.json()["detail"]

    detail = client.get(_job_url(org_a, job.pk)).content.decode()
    assert "was deleted on" in detail and _download_url(org_a, job.pk) not in detail
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="report.downloaded").exists()


def test_a_file_missing_from_the_storage_is_a_410_not_a_500(org_a, login):
    _build(org_a)
    job = _export_job(org_a)
    export_storage().delete(job.file.name)  # e.g. a retention run whose row update was lost
    assert login(org_a.hr).get(_download_url(org_a, job.pk)).status_code == 410


def test_an_other_organisations_expired_job_is_still_a_404(org_a, org_b, login):
    _build(org_b)
    job = _finished_days_ago(org_b, _export_job(org_b), settings.EXPORT_RETENTION_DAYS + 1)
    expire_export_files()
    assert login(org_a.admin).get(_download_url(org_a, job.pk)).status_code == 404


# --- The migration ---------------------------------------------------------------------------------

OUTPUT = b"PK\x03\x04 an old workbook kept in its row \x00\xff"
BEFORE = [("core", "0002_job_file")]  # the file column exists, the bytes are still in the row


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_files_into_the_storage_and_back(migrator: Any) -> None:
    from tests.test_migrations import _enforce_tenancy_as_production_has_it, in_organisation

    old_apps = migrator.apply_initial_migration(BEFORE).apps
    _enforce_tenancy_as_production_has_it()
    Organisation = old_apps.get_model("accounts", "Organisation")
    OldJob = old_apps.get_model("core", "Job")
    jobs = {}
    for slug in ("alpha", "beta"):
        organisation = Organisation.objects.create(name=slug.title(), slug=slug)
        with in_organisation(organisation.pk):
            jobs[organisation.pk] = OldJob.objects.create(
                organisation=organisation,
                kind="gap_export",
                status="succeeded",
                filename="gap-report.xlsx",
                output=OUTPUT + slug.encode(),
                output_name="gap-report.xlsx",
                output_content_type=exports.CONTENT_TYPES["xlsx"],
                finished_at=timezone.now(),
            ).pk

    graph = MigrationExecutor(connection).loader.graph
    new_apps = migrator.apply_tested_migration(graph.leaf_nodes()).apps
    NewJob = new_apps.get_model("core", "Job")
    assert "output" not in {f.name for f in NewJob._meta.get_fields()}
    storage = export_storage()
    names = {}
    for organisation_id, job_id in jobs.items():
        slug = Organisation.objects.get(pk=organisation_id).slug
        with in_organisation(organisation_id):
            job = NewJob.objects.get(pk=job_id)
        assert job.file.name.startswith(f"exports/{organisation_id}/")
        assert job.file.name.endswith("/gap-report.xlsx")
        with storage.open(job.file.name, "rb") as handle:
            assert handle.read() == OUTPUT + slug.encode()
        names[job_id] = job.file.name

    # Backwards: the bytes return to the rows and leave the storage.
    back_apps = migrator.apply_tested_migration([("core", "0002_job_file")]).apps
    BackJob = back_apps.get_model("core", "Job")
    for organisation_id, job_id in jobs.items():
        slug = Organisation.objects.get(pk=organisation_id).slug
        with in_organisation(organisation_id):
            job = BackJob.objects.get(pk=job_id)
        assert bytes(job.output) == OUTPUT + slug.encode() and job.file.name == ""
        assert not storage.exists(names[job_id])
