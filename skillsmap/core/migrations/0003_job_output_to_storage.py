"""Move every job's file out of its row (``Job.output``) into the storage (``Job.file``).

Reversible: backwards, each file still in the storage is read back into the row and deleted from
the storage. A file the retention task has already deleted cannot come back; such a job reads, in
the old code, like one that never had a file.

``reports_job`` has forced row-level security on PostgreSQL (the owner running the migration is
filtered too), so the rows are read one organisation at a time, inside the migration's transaction
with the organisation set (``set_config(..., true)`` lasts until that transaction ends).
"""

import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.db import migrations

from skillsmap.core.models import export_storage
from skillsmap.core.tenancy import ORGANISATION_SETTING


def _organisations(apps: Any, schema_editor: Any) -> Any:
    connection = schema_editor.connection
    for organisation_id in apps.get_model("accounts", "Organisation").objects.values_list(
        "pk", flat=True
    ):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, %s, true)", [ORGANISATION_SETTING, str(organisation_id)]
                )
        yield organisation_id


def _path(organisation_id: int, name: str) -> str:
    # The scheme of skillsmap.core.models.job_file_path, frozen here as of this migration.
    return f"exports/{organisation_id}/{secrets.token_urlsafe(24)}/{name}"


def files_to_storage(apps: Any, schema_editor: Any) -> None:
    Job = apps.get_model("core", "Job")
    storage = export_storage()
    for organisation_id in _organisations(apps, schema_editor):
        jobs = Job.objects.filter(organisation_id=organisation_id, file="").exclude(output=None)
        # The ids first, then one row (one file) at a time: never every file in memory, and no
        # update under an open cursor.
        for pk in list(jobs.values_list("pk", flat=True)):
            job = Job.objects.only("pk", "output", "output_name", "filename").get(pk=pk)
            data = bytes(job.output)
            if not data:
                continue
            name = job.output_name or job.filename or f"job-{job.pk}"
            saved = storage.save(_path(organisation_id, name), ContentFile(data))
            Job.objects.filter(pk=job.pk).update(file=saved, output=None)


def files_to_rows(apps: Any, schema_editor: Any) -> None:
    Job = apps.get_model("core", "Job")
    storage = export_storage()
    for organisation_id in _organisations(apps, schema_editor):
        names = list(
            Job.objects.filter(organisation_id=organisation_id)
            .exclude(file="")
            .values_list("pk", "file")
        )
        for pk, name in names:
            try:
                with storage.open(name, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                data = None  # deleted by the retention task: nothing to bring back
            Job.objects.filter(pk=pk).update(output=data, file="")
            storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_api_token"),
        ("core", "0002_job_file"),
    ]

    operations = [migrations.RunPython(files_to_storage, files_to_rows)]
