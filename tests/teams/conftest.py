"""Helpers for the people tests: files to upload and a way to run an import job to its end."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook

from accounts.models import User
from skillsmap.core.jobs import job_run
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team, TeamMembership
from tests.conftest import World
from tests.factories import JobFactory

HEADER = ["name", "email", "title", "team", "manager email"]


def csv_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode()


def xlsx_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def people_state(world: World) -> dict[str, list[tuple]]:
    """Everything an import may change in an organisation, to compare before and after."""
    with organisation_context(world.organisation):
        return {
            "people": sorted(
                Person.objects.values_list("email", "name", "job_title", "manager__email", "user")
            ),
            "teams": sorted(Team.objects.values_list("name", flat=True)),
            "memberships": sorted(
                TeamMembership.objects.values_list("person__email", "team__name")
            ),
        }


RunImport = Callable[..., Job]


@pytest.fixture
def run_import() -> RunImport:
    """Run a people import job synchronously, as the worker would, and return it finished."""

    def _run(
        world: World, data: bytes, *, filename: str = "people.csv", by: User | None = None
    ) -> Job:
        job = JobFactory(
            organisation=world.organisation,
            payload=data,
            filename=filename,
            created_by=by or world.hr,
        )
        job_run(organisation_id=world.organisation.pk, job_id=job.pk)
        with organisation_context(world.organisation):
            return Job.objects.get(pk=job.pk)

    return _run
