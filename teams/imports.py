"""The people import: a CSV or XLSX of people, their teams and managers, run as a background job.

All or nothing. Every row is checked first, against the file itself and against the organisation's
people loaded once into dictionaries; if any row is wrong the job raises ``JobRowErrors`` with
every problem and the runner rolls back. Otherwise people are upserted by email (case-insensitive)
with bulk queries, so a file of thousands of rows costs a handful of queries, not thousands.
Running the same file again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation
from skillsmap.core.changes import inputs_changed
from skillsmap.core.jobs import JobRowErrors, Progress, RowError
from skillsmap.core.models import Job
from skillsmap.core.tabular import Table, TableError, looks_like_formula, read_table
from teams.models import Person, Team, TeamMembership
from teams.selectors import reporting_loops

REQUIRED_COLUMNS = frozenset({"name", "email"})
OPTIONAL_COLUMNS = frozenset({"title", "team", "manager email"})
TEAM_SEPARATOR = ";"
PROGRESS_EVERY = 100
BULK_BATCH = 500

# What the import page explains, column by column: (header, required, meaning).
COLUMNS: list[tuple[str, bool, str]] = [
    ("name", True, "The person's full name."),
    ("email", True, "Their work email address; it identifies them, so each may appear once."),
    ("title", False, "Their job title."),
    (
        "team",
        False,
        f"One or more team names separated by “{TEAM_SEPARATOR}”. Teams that do not exist yet "
        "are created; the person is added to them and stays in any other team.",
    ),
    (
        "manager email",
        False,
        "The email of their manager: someone else in the file or already in the directory.",
    ),
]
TEMPLATE_ROWS: list[list[str]] = [
    ["name", "email", "title", "team", "manager email"],
    ["Ada Lovelace", "ada@example.com", "Head of Engineering", "Engineering", ""],
    ["Alan Turing", "alan@example.com", "Engineer", "Engineering;Research", "ada@example.com"],
]

# Field lengths of teams.models, checked per row so that a long cell is a row error with a line
# number rather than a database error that fails the whole job without one. (All four are
# CharFields with a max_length, so none is None.)
MAX_NAME = cast(int, Person._meta.get_field("name").max_length)
MAX_EMAIL = cast(int, Person._meta.get_field("email").max_length)
MAX_TITLE = cast(int, Person._meta.get_field("job_title").max_length)
MAX_TEAM = cast(int, Team._meta.get_field("name").max_length)


def people_table(data: bytes, *, filename: str) -> Table:
    """Read an upload with the import's columns. Raises ``TableError`` for an unusable file."""
    table = read_table(
        data, filename=filename, required=set(REQUIRED_COLUMNS), optional=set(OPTIONAL_COLUMNS)
    )
    if not table.rows:
        raise TableError("The file has a header row but no people below it.")
    return table


@dataclass
class PersonRow:
    line: int
    name: str
    email: str  # lower-cased
    title: str
    teams: list[str] = field(default_factory=list)
    manager_email: str = ""  # lower-cased


def _parse_row(line: int, values: dict[str, str]) -> tuple[PersonRow | None, list[RowError]]:
    """One row's own problems (without looking at other rows), and the row if it has none."""
    errors: list[RowError] = []
    refused: set[str] = set()
    for column, text in values.items():
        parts = text.split(TEAM_SEPARATOR) if column == "team" else [text]
        if any(looks_like_formula(part.strip()) for part in parts):
            refused.add(column)
            errors.append(
                RowError(line, f"The {column} looks like a spreadsheet formula; it was refused.")
            )

    def value(column: str) -> str:
        return "" if column in refused else values.get(column, "").strip()

    name, email, title = value("name"), value("email").lower(), value("title")
    manager_email = value("manager email").lower()
    teams: list[str] = []
    for team in value("team").split(TEAM_SEPARATOR):
        team = " ".join(team.split())
        if team and team.casefold() not in {t.casefold() for t in teams}:
            teams.append(team)

    if not name and "name" not in refused:
        errors.append(RowError(line, "The name is missing."))
    elif len(name) > MAX_NAME:
        errors.append(RowError(line, f"The name is longer than {MAX_NAME} characters."))
    if not email:
        if "email" not in refused:
            errors.append(RowError(line, "The email is missing."))
    elif not _is_email(email) or len(email) > MAX_EMAIL:
        errors.append(RowError(line, f"“{_short(email)}” is not a valid email address."))
    if len(title) > MAX_TITLE:
        errors.append(RowError(line, f"The title is longer than {MAX_TITLE} characters."))
    for team in teams:
        if len(team) > MAX_TEAM:
            errors.append(RowError(line, f"The team name “{_short(team)}” is too long."))
    if manager_email and not _is_email(manager_email):
        errors.append(RowError(line, f"The manager email “{_short(manager_email)}” is not valid."))
    if errors:
        return None, errors
    return PersonRow(line, name, email, title, teams, manager_email), []


def _short(value: str, limit: int = 60) -> str:
    # Messages quote the cell so that it can be found, but a pasted paragraph stays out.
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _check_rows(
    table: Table, *, existing: dict[str, Person], progress: Progress
) -> tuple[list[PersonRow], list[RowError]]:
    """Every problem of every row, or the rows ready to write."""
    total = len(table.rows)
    rows: list[PersonRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    # Every address in the file, even on rows with problems, so that a manager on a bad row is
    # not also reported as missing.
    in_file: set[str] = set()
    for number, raw in enumerate(table.rows, start=1):
        in_file.add(raw.values.get("email", "").strip().lower())
        row, row_errors = _parse_row(raw.line, raw.values)
        errors.extend(row_errors)
        if row is not None:
            if row.email in first_line:
                errors.append(
                    RowError(
                        row.line,
                        f"{row.email} is on lines {first_line[row.email]} and {row.line}; "
                        "each person may appear once.",
                    )
                )
            else:
                first_line[row.email] = row.line
                rows.append(row)
        if number % PROGRESS_EVERY == 0:
            progress(number, total)
    progress(total, total)

    # Managers, once every row's email is known: the file's reporting lines laid over the
    # organisation's. Only this organisation's people are loaded, so an address that exists
    # elsewhere reads as unknown and reveals nothing.
    by_pk = {person.pk: person for person in existing.values()}
    manager_of: dict[str, str | None] = {
        email: by_pk[p.manager_id].email.lower() if p.manager_id in by_pk else None
        for email, p in existing.items()
    }
    line_of = {row.email: row.line for row in rows}
    for row in rows:
        if not row.manager_email:
            continue
        if row.manager_email == row.email:
            errors.append(RowError(row.line, f"{row.email} cannot be their own manager."))
        elif row.manager_email not in in_file and row.manager_email not in existing:
            errors.append(
                RowError(
                    row.line,
                    f"The manager {row.manager_email} is neither in this file nor in the "
                    "directory.",
                )
            )
        else:
            manager_of[row.email] = row.manager_email
    for loop in reporting_loops(manager_of):
        lines = [line_of[email] for email in loop if email in line_of]
        if lines:  # a loop made by the file (the directory itself has none)
            chain = " → ".join([*loop, loop[0]])
            errors.append(RowError(min(lines), f"These managers make a loop: {chain}."))
    errors.sort(key=lambda error: error.line)
    return rows, errors


def _write(
    *, organisation: Organisation, rows: list[PersonRow], existing: dict[str, Person]
) -> dict[str, int]:
    people = dict(existing)
    new: list[Person] = []
    renamed: list[Person] = []
    updated: set[str] = set()  # emails of existing people that changed in any way

    for row in rows:
        person = people.get(row.email)
        if person is None:
            person = Person(
                organisation=organisation, name=row.name, email=row.email, job_title=row.title
            )
            people[row.email] = person
            new.append(person)
            continue
        # A blank title leaves the recorded one alone: an import adds facts, it does not erase.
        title = row.title or person.job_title
        if (person.name, person.job_title) != (row.name, title):
            person.name, person.job_title = row.name, title
            renamed.append(person)
            updated.add(row.email)
    Person.objects.bulk_update(renamed, ["name", "job_title"], batch_size=BULK_BATCH)
    Person.objects.bulk_create(new, batch_size=BULK_BATCH)
    if any(person.pk is None for person in new):  # a database without INSERT … RETURNING
        ids = dict(Person.objects.filter(organisation=organisation).values_list("email", "pk"))
        for person in new:
            person.pk = ids[person.email]
    new_emails = {person.email for person in new}

    # Managers in a second pass: a manager may be created further down the same file.
    managed: list[Person] = []
    for row in rows:
        if not row.manager_email:
            continue
        person, manager = people[row.email], people[row.manager_email]
        if person.manager_id != manager.pk:
            person.manager_id = manager.pk
            managed.append(person)
            if row.email not in new_emails:
                updated.add(row.email)
    Person.objects.bulk_update(managed, ["manager"], batch_size=BULK_BATCH)

    teams = {team.name.casefold(): team for team in Team.objects.filter(organisation=organisation)}
    new_teams: list[Team] = []
    for row in rows:
        for name in row.teams:
            if name.casefold() not in teams:
                team = Team(organisation=organisation, name=name)
                teams[name.casefold()] = team
                new_teams.append(team)
    Team.objects.bulk_create(new_teams, batch_size=BULK_BATCH)
    if any(team.pk is None for team in new_teams):
        ids = dict(Team.objects.filter(organisation=organisation).values_list("name", "pk"))
        for team in new_teams:
            team.pk = ids[team.name]

    pairs = set(
        TeamMembership.objects.filter(organisation=organisation).values_list("person_id", "team_id")
    )
    memberships: list[TeamMembership] = []
    for row in rows:
        person = people[row.email]
        for name in row.teams:
            team = teams[name.casefold()]
            if (person.pk, team.pk) not in pairs:
                pairs.add((person.pk, team.pk))
                memberships.append(
                    TeamMembership(organisation=organisation, person=person, team=team)
                )
                if row.email not in new_emails:
                    updated.add(row.email)
    TeamMembership.objects.bulk_create(memberships, batch_size=BULK_BATCH)
    if memberships:  # teams feed the gap scores and coverage
        inputs_changed(organisation=organisation)

    return {
        "created": len(new),
        "updated": len(updated),
        "unchanged": len(rows) - len(new) - len(updated),
        "teams created": len(new_teams),
    }


@transaction.atomic
def people_import_handler(*, job: Job, progress: Progress) -> dict[str, int]:
    """Registered by ``TeamsConfig.ready``; runs inside the job's organisation context."""
    organisation = job.organisation
    try:
        table = people_table(bytes(job.payload), filename=job.filename)
    except TableError as error:  # checked on upload; only a changed reader could get here
        raise JobRowErrors([RowError(0, str(error))]) from None
    existing = {
        person.email.lower(): person for person in Person.objects.filter(organisation=organisation)
    }
    rows, errors = _check_rows(table, existing=existing, progress=progress)
    if errors:
        raise JobRowErrors(errors)
    summary = _write(organisation=organisation, rows=rows, existing=existing)
    if summary["created"] or summary["updated"] or summary["teams created"]:
        # One row for the whole file: thousands of per-person rows would drown the audit log.
        audit_record(
            organisation=organisation,
            actor=job.created_by,
            verb="people.imported",
            target=job,
            after={"filename": job.filename, **summary},
        )
    return summary
