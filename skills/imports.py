"""The ratings import: a CSV or XLSX of ``email, skill, level, date`` (optional ``note``,
``interest``) from HR, run as a background job (``skillsmap.core.jobs``).

All or nothing: every row is checked first and every problem reported with its line; if any row
is bad, nothing is written. A good file becomes ``import`` rating events dated at noon UTC of the
given day. Importing the same file again writes nothing new: a row whose identical event (person,
skill, level or n/a, source import, date) exists is counted as unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation
from skills.library import normalise_skill_name
from skills.models import ProficiencyLevel, ProfileSkill, Rating, RatingSource, Skill
from skills.services.ratings import NOTE_MAX_LENGTH, _ratings_changed
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


@dataclass(frozen=True)
class _Good:
    line: int
    person: Person
    skill: Skill
    level: int | None
    not_applicable: bool
    interest: bool
    note: str
    rated_at: datetime


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
) -> tuple[_Good | None, list[str]]:
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
        _Good(
            line=row.line,
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
    good: list[_Good] = []
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


def _write(organisation: Organisation, job: Job, rows: list[_Good]) -> dict[str, Any]:
    person_ids = {r.person.pk for r in rows}
    skill_ids = {r.skill.pk for r in rows}
    # Idempotence: the import events these rows would create that already exist.
    existing = set(
        Rating.objects.filter(
            organisation=organisation,
            source=RatingSource.IMPORT,
            person_id__in=person_ids,
            skill_id__in=skill_ids,
            rated_at__in={r.rated_at for r in rows},
        ).values_list("person_id", "skill_id", "level", "not_applicable", "rated_at")
    )
    new = [
        r
        for r in rows
        if (r.person.pk, r.skill.pk, r.level, r.not_applicable, r.rated_at) not in existing
    ]
    Rating.objects.bulk_create(
        [
            Rating(
                organisation=organisation,
                person=r.person,
                skill=r.skill,
                level=r.level,
                not_applicable=r.not_applicable,
                interest=r.interest,
                note=r.note,
                source=RatingSource.IMPORT,
                rated_by_id=job.created_by_id,
                rated_at=r.rated_at,
            )
            for r in new
        ],
        batch_size=500,
    )
    on_profile = set(
        ProfileSkill.objects.filter(
            organisation=organisation, person_id__in=person_ids, skill_id__in=skill_ids
        ).values_list("person_id", "skill_id")
    )
    missing = {(r.person.pk, r.skill.pk) for r in new} - on_profile
    ProfileSkill.objects.bulk_create(
        [
            ProfileSkill(organisation=organisation, person_id=p, skill_id=s)
            for p, s in sorted(missing)
        ],
        batch_size=500,
    )
    summary = {
        "ratings created": len(new),
        "unchanged rows": len(rows) - len(new),
        "people": len({r.person.pk for r in new}),
        "skills": len({r.skill.pk for r in new}),
    }
    audit_record(
        organisation=organisation,
        actor=job.created_by,
        verb="ratings.imported",
        target=job,
        after={"filename": job.filename, "created": len(new), "unchanged": len(rows) - len(new)},
    )
    if new:
        _ratings_changed(
            organisation=organisation,
            person_ids={r.person.pk for r in new},
            skill_ids={r.skill.pk for r in new},
        )
    return summary
