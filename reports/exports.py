"""HR exports: the gap report as CSV or XLSX, written by a background job (``skillsmap.core.jobs``).

Everything is read from the materialised tables (``GapScore``, ``TeamSkillCoverage``) so that the
file says exactly what the pages say; nothing is recomputed here. Rows are streamed from the
database in chunks (``.iterator(chunk_size=CHUNK)``) and each chunk's names are resolved with one
query, so an organisation of 10,000 people never sits in memory as a list.

Who may export what:

- ``Perm.RATINGS_VIEW_ALL`` (hr, admin): the whole organisation, or any of its teams;
- ``Perm.RATINGS_VALIDATE_REPORTS`` without it (managers): the teams they lead and those below
  (``teams.hierarchy.teams_visible_to``);
- anyone else: nothing.

The page checks this when the job is started and the handler checks it again against the job's
creator when it runs, because a role or a team's managers may change in between.

Every cell goes through ``skillsmap.core.tabular.neutralise``: a text a spreadsheet would run as a
formula (``FORMULA_TRIGGERS``: ``=``, ``+``, ``-``, ``@``, tab, carriage return; signed numbers
too, unlike on import) is prefixed with ``'``; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from reports.models import GapScore, TeamSkillCoverage
from reports.selectors import team_matrix
from skills.models import ProficiencyLevel, Skill
from skillsmap.core.errors import ServiceError
from skillsmap.core.jobqueue import job_start
from skillsmap.core.jobs import JobRowErrors, Progress, RowError
from skillsmap.core.models import Job
from skillsmap.core.tabular import Cell, neutralise
from teams.hierarchy import team_subtree_ids, teams_visible_to
from teams.models import Person, Team, TeamMembership

ATTRIBUTION = (
    "Skill data: O*NET 29.3 Database by USDOL/ETA, CC BY 4.0 (modified); ESCO, European Commission."
)
INVALID_TEAM = "Select a valid team."
CHUNK = 2000
PROGRESS_EVERY = 500
TOP_MISSING = 3

CSV, XLSX = "csv", "xlsx"
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

GAP_COLUMNS = (
    "Person",
    "Email",
    "Job title",
    "Teams",
    "Role",
    "Kind",
    "Gap %",
    "Readiness %",
    "Requirements met",
    "Requirements total",
    "Essential alert",
    "Top missing skills",
    "Computed at",
)
BUS_FACTOR_COLUMNS = ("Team", "Skill", "Target", "Coverage", "Covered by")

T = TypeVar("T")


# --- Who may export what -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRights:
    """What one member may export: the whole organisation, and which teams (by id)."""

    whole_organisation: bool
    team_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return self.whole_organisation or bool(self.team_ids)


def export_rights(*, organisation: Organisation, membership: Membership | None) -> ExportRights:
    scope = teams_visible_to(organisation=organisation, membership=membership)
    return ExportRights(scope.whole_organisation, scope.team_ids)


def export_team_choices(*, organisation: Organisation, rights: ExportRights) -> list[Team]:
    """The teams a member may pick on the export page, by name."""
    return list(
        Team.objects.filter(organisation=organisation, pk__in=rights.team_ids).order_by("name")
    )


def gap_export_filename(*, organisation: Organisation, fmt: str, day: date | None = None) -> str:
    day = day or timezone.now().astimezone(UTC).date()
    return f"gap-report-{organisation.slug}-{day.isoformat()}.{fmt}"


def gap_export_start(
    *,
    organisation: Organisation,
    membership: Membership,
    by: User,
    fmt: str,
    team_ids: Sequence[int],
) -> Job:
    """Start a gap-report export job for the teams given (with the teams below them), or for the
    whole organisation when none are. The export page and the API both come here, so the rule of
    who may export what (``export_rights``) is applied in one place."""
    team_ids = sorted(set(team_ids))
    rights = export_rights(organisation=organisation, membership=membership)
    if not team_ids and not rights.whole_organisation:
        raise ServiceError({"teams": "Select at least one team you lead."})
    if any(team_id not in rights.team_ids for team_id in team_ids):
        raise ServiceError({"teams": "You may export only the teams you lead."})
    return job_start(
        organisation=organisation,
        kind=Job.Kind.GAP_EXPORT,
        by=by,
        filename=gap_export_filename(organisation=organisation, fmt=fmt),
        params={"format": fmt, "team_ids": team_ids},
    )


# --- Scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one export covers. ``selected`` are the teams picked on the page (empty: the whole
    organisation); ``team_ids`` are those teams and every team below them."""

    whole_organisation: bool
    selected: list[Team]
    team_ids: frozenset[int]

    @property
    def label(self) -> str:
        if self.whole_organisation:
            return "Whole organisation"
        return "Teams (with the teams below them): " + "; ".join(t.name for t in self.selected)

    def as_audit(self) -> dict[str, Any]:
        if self.whole_organisation:
            return {"scope": "organisation"}
        return {
            "scope": "teams",
            "team_ids": [t.pk for t in self.selected],
            "teams": [t.name for t in self.selected],
        }


def _subtrees(*, organisation: Organisation, team_ids: Iterable[int]) -> frozenset[int]:
    return frozenset(team_subtree_ids(organisation=organisation, team_ids=team_ids))


def _scope_for_job(*, job: Job, organisation: Organisation) -> tuple[Scope, str]:
    """The job's scope and format, re-checked against what its creator may export *now*."""
    fmt = job.params.get("format")
    raw_ids = job.params.get("team_ids") or []
    if fmt not in CONTENT_TYPES or not isinstance(raw_ids, list):
        raise JobRowErrors([RowError(0, "The export's settings are not valid; start it again.")])
    membership = (
        Membership.objects.filter(
            organisation=organisation, user_id=job.created_by_id, is_active=True
        ).first()
        if job.created_by_id
        else None
    )
    rights = export_rights(organisation=organisation, membership=membership)
    refused = JobRowErrors(
        [RowError(0, "Your role no longer allows exporting this; nothing was exported.")]
    )
    if not raw_ids:
        if not rights.whole_organisation:
            raise refused
        teams = list(Team.objects.filter(organisation=organisation).order_by("name"))
        return Scope(True, [], frozenset(t.pk for t in teams)), fmt
    if not all(isinstance(pk, int) for pk in raw_ids):
        raise refused
    wanted = set(raw_ids)
    if not wanted <= rights.team_ids:
        raise refused
    selected = list(Team.objects.filter(organisation=organisation, pk__in=wanted).order_by("name"))
    if len(selected) != len(wanted):  # a team deleted since the job was started
        raise refused
    return Scope(False, selected, _subtrees(organisation=organisation, team_ids=wanted)), fmt


# --- Streaming the rows --------------------------------------------------------------------------


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def _gap_scores(*, organisation: Organisation, scope: Scope) -> QuerySet[GapScore]:
    scores = GapScore.objects.filter(organisation=organisation, person__is_active=True)
    if not scope.whole_organisation:
        scores = scores.filter(
            person_id__in=TeamMembership.objects.filter(
                organisation=organisation, team_id__in=scope.team_ids
            ).values("person_id")
        )
    return scores.select_related("person", "role").order_by(
        "person__name", "person_id", "kind", "role__name"
    )


def _missing_text(missing: Sequence[dict[str, Any]], names: dict[int, str]) -> str:
    # GapScore.missing is stored heaviest first (reports.gaps.PersonGap.missing).
    return "; ".join(
        f"{names.get(m['skill'], '(removed skill)')} ({m['level']} → {m['target']})"
        for m in missing[:TOP_MISSING]
    )


def gap_rows(
    *, organisation: Organisation, scope: Scope, progress: Progress | None = None
) -> Iterator[tuple[Cell, ...]]:
    """One row per person × role (current and target), streamed in chunks of ``CHUNK``: each
    chunk costs one query for its people's teams and one for its missing skills' names."""
    scores = _gap_scores(organisation=organisation, scope=scope)
    total = scores.count() if progress else 0
    done = 0
    for chunk in _chunks(scores.iterator(chunk_size=CHUNK), CHUNK):
        person_ids = {s.person_id for s in chunk}
        teams: dict[int, list[str]] = defaultdict(list)
        for person_id, team_name in (
            TeamMembership.objects.filter(organisation=organisation, person_id__in=person_ids)
            .order_by("team__name")
            .values_list("person_id", "team__name")
        ):
            teams[person_id].append(team_name)
        skill_ids = {m["skill"] for s in chunk for m in s.missing[:TOP_MISSING]}
        names = dict(
            Skill.objects.filter(organisation=organisation, pk__in=skill_ids).values_list(
                "pk", "name"
            )
        )
        for score in chunk:
            person = score.person
            yield (
                person.name,
                person.email,
                person.job_title,
                "; ".join(teams.get(person.pk, ())),
                score.role.name,
                score.kind,
                score.gap,
                score.readiness,
                score.met,
                score.total,
                "yes" if score.essential_alert else "no",
                _missing_text(score.missing, names),
                _iso(score.computed_at),
            )
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
    if progress:
        progress(done, total)


def header_rows(
    *, organisation: Organisation, scope: Scope, now: datetime
) -> list[tuple[Cell, ...]]:
    """The key/value block that opens the report: what, whose, when, on which scale, how fresh."""
    scale = "; ".join(
        f"{value} = {name}"
        for value, name in ProficiencyLevel.objects.filter(organisation=organisation)
        .order_by("value")
        .values_list("value", "name")
    )
    return [
        ("Report", "Skills gap report"),
        ("Organisation", organisation.name),
        ("Generated at (UTC)", _iso(now)),
        ("Scope", scope.label),
        ("Scale", scale),
        ("Results computed at (UTC)", _iso(organisation.computed_at) or "not computed yet"),
        (
            "Results are fresh",
            "yes" if organisation.results_are_fresh else "no: recent changes are being recomputed",
        ),
    ]


def bus_factor_rows(*, organisation: Organisation, scope: Scope) -> Iterator[tuple[Cell, ...]]:
    """Skills a team depends on one person (or nobody) for, with who covers them, in chunks."""
    risks = TeamSkillCoverage.objects.filter(organisation=organisation, bus_factor_risk=True)
    if not scope.whole_organisation:
        risks = risks.filter(team_id__in=scope.team_ids)
    risks = risks.select_related("team", "skill").order_by("team__name", "skill__name")
    for chunk in _chunks(risks.iterator(chunk_size=CHUNK), CHUNK):
        names = dict(
            Person.objects.filter(
                organisation=organisation, pk__in={p for c in chunk for p in c.covered_by}
            ).values_list("pk", "name")
        )
        for c in chunk:
            yield (
                c.team.name,
                c.skill.name,
                c.target,
                c.coverage,
                "; ".join(names[p] for p in c.covered_by if p in names),
            )


def matrix_rows(*, organisation: Organisation, team: Team) -> Iterator[tuple[Cell, ...]]:
    """A team's matrix (with its sub-teams) as rows: people × skills, then coverage and bus
    factor per skill. Cells: the effective level, "n/a", or blank when never rated."""
    matrix = team_matrix(organisation=organisation, team=team)
    yield ("Team", team.name)
    yield ("Includes the teams below it", "yes" if len(matrix.team_ids) > 1 else "no")
    yield ()
    yield ("Person", "Current role", "Gap %", *(col.skill.name for col in matrix.columns))
    for row in matrix.rows:
        cells: list[Cell] = [
            "n/a" if c.not_applicable else (c.level if c.rated else None) for c in row.cells
        ]
        yield (
            row.person.name,
            row.role.name if row.role else "",
            row.gap.gap if row.gap else None,
            *cells,
        )
    yield (
        "Team target",
        "",
        "",
        *(col.coverage.target if col.coverage else None for col in matrix.columns),
    )
    yield (
        "Coverage (at or above target)",
        "",
        "",
        *(col.coverage.coverage if col.coverage else None for col in matrix.columns),
    )
    yield (
        "Bus factor ≤ 1",
        "",
        "",
        *(
            ("yes" if col.coverage.bus_factor_risk else "no") if col.coverage else None
            for col in matrix.columns
        ),
    )
    yield ()
    yield ("Blank: not rated (counts as 0). n/a: not applicable.",)


# --- Writers -------------------------------------------------------------------------------------


class ReportWriter(Protocol):
    wants_sheets: bool  # the CSV holds the gap report only; the workbook adds team sheets

    def sheet(self, title: str) -> None: ...

    def row(self, values: Sequence[Cell], *, bold: bool = False) -> None: ...

    def close(self) -> bytes: ...


class CsvWriter:
    """One table: the CSV carries only the gap report. UTF-8 with a BOM so Excel reads it as such."""

    wants_sheets = False

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._text = io.TextIOWrapper(self._buffer, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)

    def sheet(self, title: str) -> None:
        pass

    def row(self, values: Sequence[Cell], *, bold: bool = False) -> None:
        self._csv.writerow(["" if v is None else neutralise(v) for v in values])

    def close(self) -> bytes:
        self._text.flush()
        data = self._buffer.getvalue()
        self._text.close()
        return data


_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
SHEET_TITLE_MAX = 31


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name: Excel refuses ``\\ / * ? : [ ]``, more than 31 characters,
    a leading or trailing apostrophe, and two names equal but for case."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    base = ILLEGAL_CHARACTERS_RE.sub("", _SHEET_FORBIDDEN.sub("", name)).strip().strip("'")
    base = base or "Sheet"
    title, n = base[:SHEET_TITLE_MAX].rstrip().rstrip("'"), 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        n += 1
    taken.add(title.lower())
    return title


class XlsxWriter:
    """openpyxl in write-only mode: rows go to temporary files as they come, never all in memory."""

    wants_sheets = True

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._workbook = Workbook(write_only=True)
        self._sheet: Any = None
        self._titles: set[str] = set()

    def sheet(self, title: str) -> None:
        self._sheet = self._workbook.create_sheet(sheet_title(title, self._titles))

    def _cell(self, value: Cell, bold: bool) -> Any:
        # Numbers and blanks first, before any import: a workbook of a large organisation has
        # millions of them (BENCHMARKS.md, P5), and the imports alone cost seconds.
        if value is None or value == "":
            return None  # an empty cell, not an empty string
        if isinstance(value, int | float):
            return value
        if isinstance(value, Decimal):
            return float(value)
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        # Control characters are not allowed in the file's XML; drop them before neutralising so
        # that a stripped "\x01=cmd" cannot turn into a formula.
        text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        cell = WriteOnlyCell(self._sheet, value=text)
        cell.data_type = "s"  # a string cell, whatever the text looks like
        if bold:
            cell.font = Font(bold=True)
        return cell

    def row(self, values: Sequence[Cell], *, bold: bool = False) -> None:
        self._sheet.append([self._cell(v, bold) for v in values])

    def close(self) -> bytes:
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()


# --- The job handler -----------------------------------------------------------------------------


def gap_report_write(
    *,
    organisation: Organisation,
    scope: Scope,
    fmt: str,
    progress: Progress | None = None,
    now: datetime | None = None,
    writer: ReportWriter | None = None,
) -> tuple[bytes, int]:
    """The report file and the number of gap rows in it. ``writer`` replaces the format's own
    (the benchmark writes the same rows with the csv module to compare)."""
    if writer is None:
        writer = XlsxWriter() if fmt == XLSX else CsvWriter()
    now = now or timezone.now()
    writer.sheet("Gap report")
    for key_value in header_rows(organisation=organisation, scope=scope, now=now):
        writer.row(key_value)
    writer.row(())
    writer.row(GAP_COLUMNS, bold=True)
    rows = 0
    for row in gap_rows(organisation=organisation, scope=scope, progress=progress):
        writer.row(row)
        rows += 1
    writer.row(())
    writer.row((ATTRIBUTION,))
    if writer.wants_sheets:
        teams = Team.objects.filter(organisation=organisation, pk__in=scope.team_ids).order_by(
            "name"
        )
        for team in teams.iterator(chunk_size=CHUNK):
            writer.sheet(f"Team – {team.name}")
            for row in matrix_rows(organisation=organisation, team=team):
                writer.row(row)
        writer.sheet("Bus-factor risks")
        writer.row(BUS_FACTOR_COLUMNS, bold=True)
        for row in bus_factor_rows(organisation=organisation, scope=scope):
            writer.row(row)
    return writer.close(), rows


def gap_export_handler(*, job: Job, progress: Progress) -> dict[str, int]:
    """Write the gap report of a ``GAP_EXPORT`` job into the job's row, and audit it.

    Runs inside the job's organisation context and transaction (``skillsmap.core.jobs.job_run``); a
    refusal raises ``JobRowErrors`` so the job fails with a message and nothing is kept.
    """
    organisation = Organisation.objects.get(pk=job.organisation_id)
    scope, fmt = _scope_for_job(job=job, organisation=organisation)
    data, rows = gap_report_write(
        organisation=organisation, scope=scope, fmt=fmt, progress=progress
    )
    name = job.filename or gap_export_filename(organisation=organisation, fmt=fmt)
    Job.objects.filter(pk=job.pk).update(
        output=data, output_name=name, output_content_type=CONTENT_TYPES[fmt]
    )
    audit_record(
        organisation=organisation,
        actor=job.created_by,
        verb="report.exported",
        target=job,
        after={**scope.as_audit(), "format": fmt, "rows": rows},
    )
    return {"rows": rows, "teams": len(scope.team_ids)}
