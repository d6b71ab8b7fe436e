"""The certifications import: a CSV or XLSX of ``email, name, issuer, issued`` (optional
``credential id``, ``expires``, ``skills`` separated by “;”) from HR, run as a background job
(``skillsmap.core.jobs``), like the people and ratings imports.

All or nothing: every row is checked first, by the same rules as the page's form
(``services.certification_data_check``), and every problem reported with its line; if any row is
bad, nothing is written. Rows are matched to recorded certifications by person, name and issue
date, so importing the same file again writes nothing new.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from certifications.services import (
    CertificationError,
    ImportedCertification,
    certification_data_check,
    certifications_record_imported,
)
from skills.library import normalise_skill_name
from skills.models import Skill
from skillsmap.core.jobqueue import job_start
from skillsmap.core.jobs import JobRowErrors, Progress, RowError
from skillsmap.core.models import Job
from skillsmap.core.tabular import Row, TableError, looks_like_formula, read_table
from teams.models import Person

REQUIRED_COLUMNS = {"email", "name", "issuer", "issued"}
OPTIONAL_COLUMNS = {"credential id", "expires", "skills"}
SKILL_SEPARATOR = ";"
PROGRESS_EVERY = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An Excel date cell arrives as an ISO datetime when it carries a time of day.
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")

# What the import page explains, column by column: (header, required, meaning).
COLUMNS: list[tuple[str, bool, str]] = [
    ("email", True, "The email of the person who holds it, as in the people directory."),
    ("name", True, "The certification's name, e.g. “AWS Certified Solutions Architect”."),
    ("issuer", True, "Who issued it, e.g. “Amazon Web Services”."),
    ("credential id", False, "The credential's id or number, if it has one."),
    ("issued", True, "The date it was issued, like 2025-03-31 (or a date cell)."),
    ("expires", False, "The date it expires, on or after the issue date; blank if it does not."),
    (
        "skills",
        False,
        f"Skills of the framework it is evidence of, separated by “{SKILL_SEPARATOR}”.",
    ),
]
TEMPLATE_ROWS: list[list[str]] = [
    ["email", "name", "issuer", "credential id", "issued", "expires", "skills"],
    [
        "alan@example.com",
        "AWS Certified Solutions Architect – Associate",
        "Amazon Web Services",
        "AWS-123456",
        "2024-05-01",
        "2027-05-01",
        "Cloud Infrastructure;Distributed Systems",
    ],
    ["ada@example.com", "Certified Kubernetes Administrator", "CNCF", "", "2025-01-15", "", ""],
]


def read_certifications_table(data: bytes, *, filename: str) -> list[Row]:
    """The rows of an upload, or ``TableError`` for a problem with the whole file."""
    return read_table(
        data, filename=filename, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS
    ).rows


@transaction.atomic
def certifications_import_start(
    *, organisation: Organisation, by: User, filename: str, data: bytes
) -> Job:
    """Check that the upload is a readable table with the right columns and at least one row, then
    hand it to a background job, which checks every row. Raises ``TableError`` (and starts
    nothing) when the file as a whole is unusable."""
    if not read_certifications_table(data, filename=filename):
        raise TableError("The file has a header row but no certifications below it.")
    return job_start(
        organisation=organisation,
        kind=Job.Kind.CERTIFICATIONS_IMPORT,
        by=by,
        filename=filename[-255:],
        payload=data,
    )


def _parse_date(value: str) -> date | None:
    try:
        if _ISO_DATE.match(value):
            return date.fromisoformat(value)
        if _ISO_DATETIME.match(value):
            return datetime.fromisoformat(value).date()
    except ValueError:
        return None
    return None


class _Lookup:
    """The organisation's people and skills, loaded once (two queries)."""

    def __init__(self, organisation: Organisation) -> None:
        self.people = {p.email.lower(): p for p in Person.objects.filter(organisation=organisation)}
        skills = list(Skill.objects.filter(organisation=organisation))
        self.skills: dict[str, Skill] = {}
        # Aliases first, names last: a name wins over another skill's alias.
        for skill in skills:
            for alias in skill.aliases or []:
                self.skills.setdefault(normalise_skill_name(str(alias)), skill)
        for skill in skills:
            self.skills[skill.normalised_name or normalise_skill_name(skill.name)] = skill


def _check_row(
    row: Row, lookup: _Lookup, organisation: Organisation, today: date
) -> tuple[ImportedCertification | None, list[str]]:
    values = row.values
    problems = [
        f"The {column} cell looks like a formula; formulas are refused."
        for column, value in values.items()
        if any(looks_like_formula(part.strip()) for part in value.split(SKILL_SEPARATOR))
    ]
    if problems:
        return None, problems  # nothing else in a row carrying formulas is worth reading

    email = values.get("email", "").strip().lower()
    person = lookup.people.get(email)
    if not email:
        problems.append("The email is missing.")
    elif person is None:
        # Only this organisation's people are looked at: the message must not reveal whether the
        # address exists anywhere else.
        problems.append(f"No person with this email in {organisation.name}.")

    raw_issued = values.get("issued", "").strip()
    issued_on = _parse_date(raw_issued)
    if not raw_issued:
        problems.append("The issue date is missing.")
    elif issued_on is None:
        problems.append(f"The issue date “{raw_issued}” is not a date like 2025-03-31.")
    raw_expires = values.get("expires", "").strip()
    expires_on = _parse_date(raw_expires) if raw_expires else None
    if raw_expires and expires_on is None:
        problems.append(f"The expiry date “{raw_expires}” is not a date like 2027-03-31.")

    skills: list[Skill] = []
    for name in values.get("skills", "").split(SKILL_SEPARATOR):
        name = " ".join(name.split())
        if not name:
            continue
        skill = lookup.skills.get(normalise_skill_name(name))
        if skill is None:
            problems.append(f"No skill “{name}” in the framework.")
        elif skill.is_archived:
            problems.append(f"The skill “{skill.name}” is archived; choose a live one.")
        elif skill not in skills:
            skills.append(skill)

    data = None
    if raw_issued and issued_on is not None:
        try:
            data = certification_data_check(
                organisation=organisation,
                name=values.get("name", ""),
                issuer=values.get("issuer", ""),
                credential_id=values.get("credential id", ""),
                issued_on=issued_on,
                expires_on=expires_on,
                skills=skills,
                today=today,
            )
        except CertificationError as error:
            problems.extend(m for messages in error.message_dict.values() for m in messages)
    if problems or person is None or data is None:
        return None, problems
    return ImportedCertification(line=row.line, person=person, data=data), []


def _may_import(organisation: Organisation, job: Job) -> bool:
    """The import page checks the role when the job starts; it is checked again when it runs,
    because the role may have changed in between."""
    if job.created_by_id is None:
        return False
    membership = Membership.objects.filter(
        organisation=organisation, user_id=job.created_by_id, is_active=True
    ).first()
    return membership is not None and membership.has_perm(Perm.PEOPLE_MANAGE)


def certifications_import_handler(*, job: Job, progress: Progress) -> dict[str, Any]:
    """Check every row, then write all of them or none (``JobRowErrors``). Runs inside the job's
    organisation context and transaction (``skillsmap.core.jobs.job_run``). Registered by
    ``CertificationsConfig.ready``."""
    organisation = Organisation.objects.get(pk=job.organisation_id)
    if not _may_import(organisation, job):
        raise JobRowErrors(
            [
                RowError(
                    0, "Your role no longer allows importing certifications; nothing was written."
                )
            ]
        )
    try:
        rows = read_certifications_table(bytes(job.payload), filename=job.filename)
    except TableError as error:  # the upload page checked it; a changed payload still fails cleanly
        raise JobRowErrors([RowError(0, str(error))]) from None

    lookup = _Lookup(organisation)
    today = timezone.localdate()
    total = len(rows)
    errors: list[RowError] = []
    good: list[ImportedCertification] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for index, row in enumerate(rows, start=1):
        values = row.values
        key = (
            values.get("email", "").strip().lower(),
            " ".join(values.get("name", "").split()).casefold(),
            values.get("issued", "").strip(),
        )
        if key in first_line:
            errors.append(
                RowError(
                    row.line,
                    f"Lines {first_line[key]} and {row.line} give the same certification of the "
                    "same person issued on the same day; keep one.",
                )
            )
        else:
            first_line[key] = row.line
        checked, problems = _check_row(row, lookup, organisation, today)
        errors.extend(RowError(row.line, message) for message in problems)
        if checked is not None:
            good.append(checked)
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
    if errors:
        raise JobRowErrors(sorted(errors, key=lambda e: e.line))

    with transaction.atomic():
        result = certifications_record_imported(organisation=organisation, rows=good, job=job)
    progress(total, total)
    return {
        "certifications created": result.created,
        "certifications updated": result.updated,
        "unchanged rows": result.unchanged,
        "people": len(result.people),
    }
