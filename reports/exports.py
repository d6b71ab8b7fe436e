"""HR exports: the gap report as CSV or XLSX, written by a background job (``skillsmap.core.jobs``).

Every figure is read from the materialised tables (``GapScore``, ``TeamSkillCoverage``) so that
the file says exactly what the pages say; nothing is recomputed here. Rows are read in chunks, each
after the last one's key (``CHUNK`` people, ``TEAM_CHUNK`` teams), as plain values with their names
resolved by one query per chunk, so an organisation of 55,000 people never sits in memory as a
list; the team sheets are read set-based for the whole scope (``reports.export_data``), and the
workbook is streamed into the file as it is written (``reports.xlsx``).

Who may export what:

- ``Perm.RATINGS_VIEW_ALL`` (hr, admin): the whole organisation, or any of its teams;
- ``Perm.RATINGS_VALIDATE_REPORTS`` without it (managers): the teams they lead and those below
  (``teams.hierarchy.teams_visible_to``);
- anyone else: nothing.

The page checks this when the job is started and the handler checks it again against the job's
creator when it runs, because a role or a team's managers may change in between.

Every text cell goes through ``skillsmap.core.tabular.neutralise``: a text a spreadsheet would run
as a formula (``FORMULA_TRIGGERS``: ``=``, ``+``, ``-``, ``@``, tab, carriage return; signed
numbers too, unlike on import) is prefixed with ``'``. Numbers stay numbers and moments are date
cells (in UTC, which the column names say: a spreadsheet has no time zones).

Layout, so that sorting and filtering work at once: every data sheet (and the CSV) starts with its
header row in row 1. The workbook freezes that row (and the first column), filters it and sizes its
columns; what the report is about (organisation, scope, scale, freshness, what each sheet holds,
the data's attribution) is the "About" sheet. The CSV is the gap table alone: its name says the
organisation and the day, each row says when its figures were computed, and the rest is in the
workbook.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from django.core.files import File
from django.db import transaction
from django.db.models import Func, JSONField, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from certifications.models import Certification, certification_status
from certifications.selectors import certifications_visible
from reports.export_data import TeamMatrixSheet, team_matrix_sheets
from reports.models import GapScore, TeamSkillCoverage, results_as_of
from reports.xlsx import BOLD, ExportCell, Workbook, column_letter
from reports.xlsx import DATE_FORMAT as DATE_FORMAT
from reports.xlsx import DATETIME_FORMAT as DATETIME_FORMAT
from roles.models import RoleProfile
from skills.models import ProficiencyLevel, Skill
from skillsmap.core.errors import ServiceError
from skillsmap.core.jobqueue import job_start
from skillsmap.core.jobs import JobRowErrors, Progress, RowError, job_file_open, job_file_save
from skillsmap.core.models import Job
from skillsmap.core.rows import fetch_rows, json_value
from skillsmap.core.tabular import Cell, neutralise
from teams.hierarchy import team_subtree_ids, teams_visible_to
from teams.models import Person, Team, TeamMembership

ATTRIBUTION = (
    "Skill data: O*NET 29.3 Database by USDOL/ETA, CC BY 4.0 (modified); ESCO, European Commission."
)
INVALID_TEAM = "Select a valid team."
CHUNK = 5000
PROGRESS_EVERY = 500
TOP_MISSING = 3

CSV, XLSX = "csv", "xlsx"
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

ExportRow = tuple[ExportCell, ...]
# DATE_FORMAT and DATETIME_FORMAT (the date cells' formats) are the workbook's, re-exported above.


@dataclass(frozen=True)
class Column:
    """A column of an exported table: its header and its width in the workbook, in characters."""

    name: str
    width: float


GAP_TABLE = (
    Column("Person", 26),
    Column("Email", 30),
    Column("Job title", 22),
    Column("Teams", 26),
    Column("Role", 24),
    Column("Kind", 9),
    Column("Gap %", 9),
    Column("Readiness %", 12),
    Column("Requirements met", 12),
    Column("Requirements total", 12),
    Column("Essential alert", 10),
    Column("Top missing skills", 60),
    Column("Computed at (UTC)", 19),
)
GAP_COLUMNS = tuple(c.name for c in GAP_TABLE)
BUS_FACTOR_TABLE = (
    Column("Team", 26),
    Column("Skill", 32),
    Column("Target", 8),
    Column("Coverage", 10),
    Column("Covered by", 50),
)
BUS_FACTOR_COLUMNS = tuple(c.name for c in BUS_FACTOR_TABLE)
CERTIFICATIONS_TABLE = (
    Column("Person", 26),
    Column("Email", 30),
    Column("Certification", 36),
    Column("Issuer", 26),
    Column("Credential id", 20),
    Column("Issued", 11),
    Column("Expires", 11),
    Column("Status", 14),
    Column("Skills", 40),
)
CERTIFICATIONS_COLUMNS = tuple(c.name for c in CERTIFICATIONS_TABLE)
ABOUT_WIDTHS = (28, 100)
MATRIX_LEGEND = "Blank: not rated (counts as 0). n/a: not applicable."
# Bus-factor risks are read for this many teams at a time.
TEAM_CHUNK = 100

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


def _utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC without its time zone: spreadsheets have none (the columns say UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0) if moment else None


class _Utc:
    """``_utc``, remembering the last moment: a recompute stamps all its rows with one."""

    def __init__(self) -> None:
        self._last: tuple[datetime | None, datetime | None] = (None, None)

    def __call__(self, moment: datetime | None) -> datetime | None:
        if moment != self._last[0]:
            self._last = (moment, _utc(moment))
        return self._last[1]


def _scope_people(*, organisation: Organisation, scope: Scope) -> QuerySet[Person]:
    """The scope's active people: only they hold gaps (and are on the team sheets)."""
    people = Person.objects.filter(organisation=organisation, is_active=True)
    if not scope.whole_organisation:
        people = people.filter(
            pk__in=TeamMembership.objects.filter(
                organisation=organisation, team_id__in=scope.team_ids
            ).values("person_id")
        )
    return people


def _people_pages(
    people: QuerySet[Person],
) -> Iterator[tuple[QuerySet[Person], list[tuple[int, str, str, str]]]]:
    """``people`` by name, ``CHUNK`` at a time: each page as a query (for the page's other reads
    to join, rather than a list of ids) and its (id, name, email, job title). Each page starts
    after the last one's key, so no cursor is held open (PgBouncer's transaction pooling disables
    server-side cursors, and a client-side one would hold every row)."""
    last: tuple[str, int] | None = None
    while True:
        page = people.order_by("name", "pk")
        if last is not None:
            page = page.filter(Q(name__gt=last[0]) | Q(name=last[0], pk__gt=last[1]))
        page = page[:CHUNK]
        rows = list(page.values_list("pk", "name", "email", "job_title"))
        if rows:
            yield page, rows
        if len(rows) < CHUNK:
            return
        last = (rows[-1][1], rows[-1][0])


class _TopMissing(Func):
    """A gap score's heaviest missing skills: on PostgreSQL the stored list's first
    ``TOP_MISSING`` entries, so only those are sent and decoded; elsewhere the whole list."""

    template = "%(expressions)s"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"jsonb_path_query_array(%(expressions)s, '$[0 to {TOP_MISSING - 1}]')",
            **extra_context,
        )


def _missing_text(missing: Sequence[dict[str, Any]], names: dict[int, str]) -> str:
    # GapScore.missing is stored heaviest first (reports.gaps.PersonGap.missing).
    return "; ".join(
        f"{names.get(m['skill'], '(removed skill)')} ({m['level']} → {m['target']})"
        for m in missing[:TOP_MISSING]
    )


def gap_rows(
    *, organisation: Organisation, scope: Scope, progress: Progress | None = None
) -> Iterator[ExportRow]:
    """One row per person × role (current and target), by person and then kind and role. People
    come ``CHUNK`` at a time; each chunk costs one query for its scores, one for its people's
    teams and one for its missing skills' names."""
    people = _scope_people(organisation=organisation, scope=scope)
    total = (
        GapScore.objects.filter(organisation=organisation, person__in=people).count()
        if progress
        else 0
    )
    role_names = dict(
        RoleProfile.objects.filter(organisation=organisation).values_list("pk", "name")
    )
    skill_names = dict(Skill.objects.filter(organisation=organisation).values_list("pk", "name"))
    moment = _Utc()
    done = 0
    for page, chunk in _people_pages(people):
        scores: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        # Without the roles' table (its names are in hand): joined in, PostgreSQL's planner
        # crossed every person of the page with every role (BENCHMARKS.md, P5).
        for person_id, role_id, *score, top_missing in fetch_rows(
            GapScore.objects.filter(organisation=organisation, person_id__in=page.values("pk"))
            .annotate(top_missing=_TopMissing("missing"))
            .order_by()
            .values_list(
                "person_id",
                "role_id",
                "kind",
                "gap",
                "readiness",
                "met",
                "total",
                "essential_alert",
                "computed_at",
                "top_missing",
            )
        ):
            scores[person_id].append((role_names.get(role_id, ""), *score, json_value(top_missing)))
        for person_scores in scores.values():
            person_scores.sort(key=lambda score: (score[1], score[0]))  # kind, then role
        teams: dict[int, list[str]] = defaultdict(list)
        for person_id, team_name in fetch_rows(
            TeamMembership.objects.filter(
                organisation=organisation, person_id__in=page.values("pk")
            )
            .order_by("team__name")
            .values_list("person_id", "team__name")
        ):
            teams[person_id].append(team_name)
        for person_id, name, email, job_title in chunk:
            for role, kind, gap, readiness, met, of, alert, computed_at, top in scores.get(
                person_id, ()
            ):
                yield (
                    name,
                    email,
                    job_title,
                    "; ".join(teams.get(person_id, ())),
                    role,
                    kind,
                    gap,
                    readiness,
                    met,
                    of,
                    "yes" if alert else "no",
                    _missing_text(top, skill_names),
                    moment(results_as_of(computed_at, organisation)),
                )
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, total)
    if progress:
        progress(done, total)


@dataclass(frozen=True)
class TeamSheet:
    """A team's sheet in the workbook: its (unique, valid) title and whether it takes in the
    teams below the team."""

    team: Team
    title: str
    with_teams_below: bool


def about_rows(
    *,
    organisation: Organisation,
    scope: Scope,
    now: datetime,
    sheets: Sequence[tuple[str, str]],
) -> list[ExportRow]:
    """The "About" sheet: what the report is, whose, when, on which scale, how fresh, what each
    sheet holds (``sheets``: title and contents), and where the skill data comes from."""
    scale = "; ".join(
        f"{value} = {name}"
        for value, name in ProficiencyLevel.objects.filter(organisation=organisation)
        .order_by("value")
        .values_list("value", "name")
    )
    return [
        ("Report", "Skills gap report"),
        ("Organisation", organisation.name),
        ("Generated at (UTC)", _utc(now)),
        ("Scope", scope.label),
        ("Scale", scale),
        ("Results computed at (UTC)", _utc(organisation.computed_at) or "not computed yet"),
        (
            "Results are fresh",
            "yes" if organisation.results_are_fresh else "no: recent changes are being recomputed",
        ),
        (),
        ("Sheet", "What it holds"),
        *sheets,
        (),
        ("Skill data", ATTRIBUTION),
    ]


def bus_factor_rows(*, organisation: Organisation, scope: Scope) -> Iterator[ExportRow]:
    """Skills a team depends on one person (or nobody) for, with who covers them, by team and
    skill: ``TEAM_CHUNK`` teams at a time, one query for their risks and one for the names."""
    teams = Team.objects.filter(organisation=organisation)
    if not scope.whole_organisation:
        teams = teams.filter(pk__in=scope.team_ids)
    team_ids = list(teams.order_by("name").values_list("pk", flat=True))
    for batch in _chunks(team_ids, TEAM_CHUNK):
        risks = [
            (team, skill, target, coverage, json_value(covered_by))
            for team, skill, target, coverage, covered_by in fetch_rows(
                TeamSkillCoverage.objects.filter(
                    organisation=organisation, bus_factor_risk=True, team_id__in=batch
                )
                .order_by("team__name", "skill__name")
                .values_list("team__name", "skill__name", "target", "coverage", "covered_by")
            )
        ]
        names = dict(
            Person.objects.filter(
                organisation=organisation, pk__in={p for r in risks for p in r[4]}
            ).values_list("pk", "name")
        )
        for team, skill, target, coverage, covered_by in risks:
            yield (
                team,
                skill,
                target,
                coverage,
                "; ".join(names[p] for p in covered_by if p in names),
            )


def certification_rows(
    *,
    organisation: Organisation,
    scope: Scope,
    membership: Membership | None,
    today: date | None = None,
) -> Iterator[ExportRow]:
    """The certifications of the scope's active people, by person and soonest expiry, in chunks.
    With ``membership`` (the exporter), only those they may see on the pages too: a team lead's
    export does not show certifications of people outside their reporting line."""
    today = today or timezone.localdate()
    if membership is not None:
        certifications = certifications_visible(organisation=organisation, membership=membership)
    else:
        certifications = Certification.objects.filter(organisation=organisation)
    certifications = certifications.filter(person__is_active=True)
    if not scope.whole_organisation:
        certifications = certifications.filter(
            person_id__in=TeamMembership.objects.filter(
                organisation=organisation, team_id__in=scope.team_ids
            ).values("person_id")
        )
    certifications = certifications.select_related("person").order_by(
        "person__name", "person_id", "expires_on", "name", "pk"
    )
    # iterator() keeps the prefetched skills (``skill_list``) per chunk: one query each.
    for certification in certifications.iterator(chunk_size=CHUNK):
        person = certification.person
        yield (
            person.name,
            person.email,
            certification.name,
            certification.issuer,
            certification.credential_id,
            certification.issued_on,
            certification.expires_on,
            certification_status(certification.expires_on, today=today).label,
            "; ".join(link.skill.name for link in getattr(certification, "skill_list", [])),
        )


MATRIX_FIXED = (Column("Person", 26), Column("Current role", 22), Column("Gap %", 9))


@lru_cache(maxsize=4096)  # every sheet's columns are skills: a few hundred names, again and again
def _skill_width(name: str) -> float:
    # Wide enough for a short name, never so wide that a long one pushes the others off screen.
    return float(min(max(len(name) + 2, 8), 24))


def write_matrix(*, writer: ReportWriter, sheet: TeamSheet, matrix: TeamMatrixSheet) -> None:
    """A team's matrix (with its sub-teams): a table of people × skills (the effective level,
    "n/a", or blank when never rated), then, below it and outside its filter, the team's target,
    coverage and bus factor per skill."""
    names = [c.name for c in matrix.columns]
    writer.sheet(sheet.title, widths=[*(c.width for c in MATRIX_FIXED), *map(_skill_width, names)])
    writer.header([*(c.name for c in MATRIX_FIXED), *names])
    width = len(matrix.columns)
    for row in matrix.rows:
        writer.row_sparse((row.person, row.role, row.gap), row.cells, width)
    writer.end_table()
    writer.row(())
    writer.row(("Team target", "", "", *(c.target for c in matrix.columns)))
    writer.row(("Coverage (at or above target)", "", "", *(c.coverage for c in matrix.columns)))
    writer.row(
        (
            "Bus factor ≤ 1",
            "",
            "",
            *(
                None if c.bus_factor_risk is None else ("yes" if c.bus_factor_risk else "no")
                for c in matrix.columns
            ),
        )
    )


# --- Writers -------------------------------------------------------------------------------------


class ReportWriter(Protocol):
    """Where the report goes. Each table is ``sheet``, ``header``, its ``row``s, ``end_table``;
    rows after ``end_table`` (a team's summary) are on the sheet but outside its filter."""

    wants_sheets: bool  # the CSV holds the gap table only; the workbook adds the other sheets

    def sheet(self, title: str, *, widths: Sequence[float] = ()) -> None: ...

    def header(self, names: Sequence[str]) -> None: ...

    def row(self, values: Sequence[ExportCell]) -> None: ...

    def row_sparse(
        self, values: Sequence[ExportCell], cells: Sequence[tuple[int, ExportCell]], width: int
    ) -> None:
        """``values``, then ``width`` cells that are blank but for ``cells`` (offset, value), by
        offset: a matrix row, mostly blank, costs its filled cells only."""
        ...

    def end_table(self) -> None: ...

    def close(self) -> bytes: ...


def _csv_value(value: ExportCell) -> Cell:
    if isinstance(value, datetime):
        # The form every spreadsheet reads as a date and time (an ISO "T" or offset it does not).
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


class CsvWriter:
    """One table, header first: the CSV carries only the gap table. UTF-8 with a BOM so Excel
    reads it as such."""

    wants_sheets = False

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._text = io.TextIOWrapper(self._buffer, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)

    def sheet(self, title: str, *, widths: Sequence[float] = ()) -> None:
        pass

    def header(self, names: Sequence[str]) -> None:
        self.row(names)

    def row(self, values: Sequence[ExportCell]) -> None:
        self._csv.writerow(["" if v is None else _csv_value(v) for v in values])

    def row_sparse(
        self, values: Sequence[ExportCell], cells: Sequence[tuple[int, ExportCell]], width: int
    ) -> None:
        row: list[ExportCell] = [*values, *([None] * width)]
        for offset, value in cells:
            row[len(values) + offset] = value
        self.row(row)

    def end_table(self) -> None:
        pass

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
    """The workbook, streamed sheet after sheet into the file (``reports.xlsx``, which says why
    not openpyxl): a sheet's frozen pane and column widths are written before its first row (so
    ``sheet`` and ``header`` set them first) and its filter after its last (so ``end_table`` can
    give the filter's last row once it is known)."""

    wants_sheets = True

    def __init__(self) -> None:
        self._book = Workbook()
        self._table_width = 0  # columns of the open table; 0 when no table is open

    def sheet(self, title: str, *, widths: Sequence[float] = ()) -> None:
        """A new sheet named ``title`` (already valid and unique: see ``sheet_title``)."""
        self.end_table()
        self._book.sheet(title, widths=widths)

    def header(self, names: Sequence[str]) -> None:
        """The table's header: row 1, bold, frozen with the first column, and filtered."""
        assert self._book.rows == 0, "a table's header is the first row of its sheet"
        self._book.freeze_header()
        # A matrix's headers are skill names: text like any other, neutralised.
        self._book.row(names, style=BOLD)
        self._table_width = len(names)

    def end_table(self) -> None:
        if self._table_width:
            last = column_letter(self._table_width)
            self._book.auto_filter(f"A1:{last}{max(self._book.rows, 1)}")
            self._table_width = 0

    def row(self, values: Sequence[ExportCell]) -> None:
        self._book.row(values)

    def row_sparse(
        self, values: Sequence[ExportCell], cells: Sequence[tuple[int, ExportCell]], width: int
    ) -> None:
        self._book.row_sparse(values, cells)

    def close(self) -> bytes:
        self.end_table()
        return self._book.close()


# --- The job handler -----------------------------------------------------------------------------


GAP_SHEET, ABOUT_SHEET, RISKS_SHEET = "Gap report", "About", "Bus-factor risks"
CERTIFICATIONS_SHEET = "Certifications"


def _team_sheets(*, organisation: Organisation, scope: Scope, taken: set[str]) -> list[TeamSheet]:
    """The scope's teams by name, each with its sheet's title. Read up front, in one query, so
    that the About sheet (second in the workbook) can name every sheet after it."""
    teams = list(
        Team.objects.filter(organisation=organisation, pk__in=scope.team_ids).order_by("name")
    )
    # The scope holds every team below a selected one, so a team's children are all here.
    parents = {team.parent_id for team in teams}
    return [
        TeamSheet(team, sheet_title(f"Team – {team.name}", taken), team.pk in parents)
        for team in teams
    ]


def _sheet_contents(
    team_sheets: Sequence[TeamSheet], risks_title: str, certifications_title: str
) -> list[tuple[str, str]]:
    contents = [
        (
            GAP_SHEET,
            "One row per person and role (current and target): gap and readiness in %, "
            "the requirements met, the heaviest missing skills (level → target).",
        ),
        *(
            (
                s.title,
                f"{s.team.name}{' and the teams below it' if s.with_teams_below else ''}: "
                f"each person's effective level per skill. {MATRIX_LEGEND} "
                "Below the table: the team's target, coverage and bus factor per skill.",
            )
            for s in team_sheets
        ),
        (risks_title, "Skills a team depends on one person (or nobody) for, and who covers them."),
        (
            certifications_title,
            "Each person's certifications: issuer, issue and expiry dates, status (expiring: "
            "within the warning period of its expiry) and the skills it shows.",
        ),
    ]
    return contents


# The garbage collector's first threshold while a report is written (CPython's default is 700).
GC_THRESHOLD = 200_000


@contextmanager
def _collections_deferred() -> Iterator[None]:
    """Fewer garbage collections while the report is written: it allocates millions of short-
    lived tuples and strings, none of them in a cycle, and the collector's passes over them (and
    over everything else the process holds) cost an eighth of the export's time (BENCHMARKS.md,
    P5). The threshold is the process's, so it is put back afterwards."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def gap_report_write(
    *,
    organisation: Organisation,
    scope: Scope,
    fmt: str,
    progress: Progress | None = None,
    now: datetime | None = None,
    writer: ReportWriter | None = None,
    membership: Membership | None = None,
) -> tuple[bytes, int]:
    """The report file and the number of gap rows in it. ``writer`` replaces the format's own
    (the benchmark writes the same rows with the csv module to compare). ``membership``: the
    exporter's, which narrows the certifications sheet to those they may see."""
    if writer is None:
        writer = XlsxWriter() if fmt == XLSX else CsvWriter()
    now = now or timezone.now()
    # One transaction (a savepoint inside the job's): the team sheets read a temporary table.
    with transaction.atomic(), _collections_deferred():
        rows = _report_write(
            organisation=organisation,
            scope=scope,
            writer=writer,
            progress=progress,
            now=now,
            membership=membership,
        )
    return writer.close(), rows


def _report_write(
    *,
    organisation: Organisation,
    scope: Scope,
    writer: ReportWriter,
    progress: Progress | None,
    now: datetime,
    membership: Membership | None,
) -> int:
    taken: set[str] = {GAP_SHEET.lower(), ABOUT_SHEET.lower()}
    writer.sheet(GAP_SHEET, widths=[c.width for c in GAP_TABLE])
    writer.header(GAP_COLUMNS)
    rows = 0
    for row in gap_rows(organisation=organisation, scope=scope, progress=progress):
        writer.row(row)
        rows += 1
    writer.end_table()
    if writer.wants_sheets:
        team_sheets = _team_sheets(organisation=organisation, scope=scope, taken=taken)
        risks_title = sheet_title(RISKS_SHEET, taken)
        certifications_title = sheet_title(CERTIFICATIONS_SHEET, taken)
        writer.sheet(ABOUT_SHEET, widths=ABOUT_WIDTHS)
        contents = _sheet_contents(team_sheets, risks_title, certifications_title)
        for about in about_rows(organisation=organisation, scope=scope, now=now, sheets=contents):
            writer.row(about)
        matrices = team_matrix_sheets(
            organisation=organisation, teams=[s.team for s in team_sheets], now=now
        )
        for team_sheet, matrix in zip(team_sheets, matrices, strict=True):
            write_matrix(writer=writer, sheet=team_sheet, matrix=matrix)
        writer.sheet(risks_title, widths=[c.width for c in BUS_FACTOR_TABLE])
        writer.header(BUS_FACTOR_COLUMNS)
        for row in bus_factor_rows(organisation=organisation, scope=scope):
            writer.row(row)
        writer.sheet(certifications_title, widths=[c.width for c in CERTIFICATIONS_TABLE])
        writer.header(CERTIFICATIONS_COLUMNS)
        for row in certification_rows(
            organisation=organisation, scope=scope, membership=membership
        ):
            writer.row(row)
    return rows


def gap_export_handler(*, job: Job, progress: Progress) -> dict[str, int]:
    """Write the gap report of a ``GAP_EXPORT`` job into the storage, name it on the job's row,
    and audit it.

    Runs inside the job's organisation context and transaction (``skillsmap.core.jobs.job_run``); a
    refusal raises ``JobRowErrors`` so the job fails with a message and nothing is kept.
    """
    organisation = Organisation.objects.get(pk=job.organisation_id)
    scope, fmt = _scope_for_job(job=job, organisation=organisation)
    # _scope_for_job refuses a job whose creator has no active membership left; checked again
    # here so that the certifications sheet can never fall back to everyone's.
    membership = (
        Membership.objects.filter(
            organisation=organisation, user_id=job.created_by_id, is_active=True
        ).first()
        if job.created_by_id
        else None
    )
    if membership is None:
        raise JobRowErrors(
            [RowError(0, "Your role no longer allows exporting this; nothing was exported.")]
        )
    data, rows = gap_report_write(
        organisation=organisation, scope=scope, fmt=fmt, progress=progress, membership=membership
    )
    name = job.filename or gap_export_filename(organisation=organisation, fmt=fmt)
    audit_record(
        organisation=organisation,
        actor=job.created_by,
        verb="report.exported",
        target=job,
        after={**scope.as_audit(), "format": fmt, "rows": rows},
    )
    # Last: the storage is outside the transaction, so nothing after it may fail and roll back.
    job_file_save(job=job, name=name, content_type=CONTENT_TYPES[fmt], data=data)
    return {"rows": rows, "teams": len(scope.team_ids)}


def export_file_open(*, organisation: Organisation, job: Job, by: User) -> File:
    """A finished export's file, open for streaming, and the download audited. The caller has
    checked that ``by`` may follow the job (``reports.selectors.export_file_get``); an expired
    file raises ``JobFileExpired`` and is not audited, as nothing was handed out."""
    handle = job_file_open(job=job)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="report.downloaded",
        target=job,
        after={
            "filename": job.output_name or job.filename,
            "format": job.params.get("format", ""),
        },
    )
    return handle
