"""The ratings import: a CSV or XLSX of ``email, skill, level, date`` (optional ``note``,
``interest``) from HR, run as a background job (``skillsmap.core.jobs``).

All or nothing: every row is checked first and every problem reported with its line; if any row
is bad, nothing is written. A good file becomes ``import`` rating events dated at noon UTC of the
given day. Importing the same file again writes nothing new: a row whose identical event (person,
skill, level or n/a, source import, date) exists is counted as unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from skills.library import normalise_skill_name
from skills.models import ProficiencyLevel, Skill
from skills.services.ratings import NOTE_MAX_LENGTH, ImportedRating, ratings_record_imported
from skillsmap.core.jobqueue import job_start
from skillsmap.core.jobs import JobRowErrors, Progress, RowError
from skillsmap.core.models import Job
from skillsmap.core.tabular import Row, TableError, looks_like_formula, read_table
from teams.models import Person

REQUIRED_COLUMNS = {"email", "skill", "level", "date"}
OPTIONAL_COLUMNS = {"note", "interest"}
PROGRESS_EVERY = 100
NOT_APPLICABLE_WORDS = {"n/a", "na", "not applicable"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"", "no", "n", "false", "0"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An Excel date cell arrives as an ISO datetime when it carries a time of day.
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def read_ratings_table(data: bytes, *, filename: str) -> list[Row]:
    """The rows of an upload, or ``TableError`` for a problem with the whole file."""
    return read_table(
        data, filename=filename, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS
    ).rows


@transaction.atomic
def ratings_import_start(
    *, organisation: Organisation, by: User, filename: str, data: bytes
) -> Job:
    """Check that the upload is a readable table with the right columns and at least one row, then
    hand it to a background job, which checks every row. Raises
    ``skillsmap.core.tabular.TableError`` (and starts nothing) when the file as a whole is
    unusable. The job's handler writes the audit row."""
    if not read_ratings_table(data, filename=filename):
        raise TableError("The file has a header row but no ratings.")
    return job_start(
        organisation=organisation,
        kind=Job.Kind.RATINGS_IMPORT,
        by=by,
        filename=filename[-255:],
        payload=data,
    )


def _parse_date(value: str) -> date | None:
    if _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if _ISO_DATETIME.match(value):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


class _Lookup:
    """The organisation's people, skills and scale, loaded once (three queries)."""

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
        self.levels = set(
            ProficiencyLevel.objects.filter(organisation=organisation).values_list(
                "value", flat=True
            )
        )


def _check_row(
    row: Row, lookup: _Lookup, organisation: Organisation, today: date
) -> tuple[ImportedRating | None, list[str]]:
    values = row.values
    problems = [
        f"The {column} cell looks like a formula; formulas are refused."
        for column, value in values.items()
        if looks_like_formula(value)
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

    skill_name = values.get("skill", "").strip()
    skill = lookup.skills.get(normalise_skill_name(skill_name)) if skill_name else None
    if not skill_name:
        problems.append("The skill is missing.")
    elif skill is None:
        problems.append(f"No skill “{skill_name}” in the framework.")
    elif skill.is_archived:
        problems.append(f"The skill “{skill.name}” is archived; ratings are closed.")

    raw_level = values.get("level", "").strip().lower()
    level: int | None = None
    not_applicable = raw_level in NOT_APPLICABLE_WORDS
    if not not_applicable:
        if raw_level.isdigit() and int(raw_level) in lookup.levels:
            level = int(raw_level)
        else:
            low, high = min(lookup.levels, default=0), max(lookup.levels, default=0)
            problems.append(
                f"The level “{values.get('level', '')}” is not on the scale ({low}–{high} or n/a)."
            )

    raw_date = values.get("date", "").strip()
    day = _parse_date(raw_date)
    if day is None:
        problems.append(f"The date “{raw_date}” is not a date like 2025-03-31.")
    elif day > today:
        problems.append(f"The date {day.isoformat()} is in the future.")

    raw_interest = values.get("interest", "").strip().lower()
    if raw_interest not in YES | NO:
        problems.append(f"Interest “{values.get('interest', '')}” should be yes or no.")
    note = values.get("note", "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        problems.append(f"The note is longer than {NOTE_MAX_LENGTH} characters.")

    if problems or person is None or skill is None or day is None:
        return None, problems
    return (
        ImportedRating(
            person=person,
            skill=skill,
            level=level,
            not_applicable=not_applicable,
            interest=raw_interest in YES,
            note=note,
            # Noon UTC: the same calendar day in every time zone from UTC-11 to UTC+11.
            rated_at=datetime.combine(day, time(12), tzinfo=UTC),
        ),
        [],
    )


def _duplicate_key(row: Row) -> tuple[str, str, str]:
    values = row.values
    day = _parse_date(values.get("date", "").strip())
    return (
        values.get("email", "").strip().lower(),
        normalise_skill_name(values.get("skill", "")),
        day.isoformat() if day else values.get("date", "").strip(),
    )


def ratings_import_handler(*, job: Job, progress: Progress) -> dict[str, Any]:
    """Check every row, then write all of them or none (``JobRowErrors``). Runs inside the job's
    organisation context and transaction (``skillsmap.core.jobs.job_run``)."""
    organisation = Organisation.objects.get(pk=job.organisation_id)
    try:
        rows = read_ratings_table(bytes(job.payload), filename=job.filename)
    except TableError as error:  # the upload page checked it; a changed payload still fails cleanly
        raise JobRowErrors([RowError(0, str(error))]) from None

    lookup = _Lookup(organisation)
    today = timezone.localdate()
    total = len(rows)
    errors: list[RowError] = []
    good: list[ImportedRating] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for index, row in enumerate(rows, start=1):
        key = _duplicate_key(row)
        if key in first_line:
            errors.append(
                RowError(
                    row.line,
                    f"Lines {first_line[key]} and {row.line} rate the same person in the same "
                    "skill on the same date; keep one.",
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
        summary = _write(organisation, job, good)
    progress(total, total)
    return summary


def _write(organisation: Organisation, job: Job, rows: list[ImportedRating]) -> dict[str, Any]:
    result = ratings_record_imported(organisation=organisation, rows=rows, job=job)
    return {
        "ratings created": result.created,
        "unchanged rows": result.unchanged,
        "people": result.people,
        "skills": result.skills,
    }
