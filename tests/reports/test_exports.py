"""HR exports: the gap report as CSV and XLSX, who may export what, the download, and formula
injection. Gap figures come from ``recompute_organisation``, as in production."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, Membership
from accounts.permissions import Role
from reports import exports
from reports.exports import ATTRIBUTION, INVALID_TEAM, neutralise, sheet_title
from reports.recompute import recompute_organisation
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.models import Skill
from skillsmap.core.jobs import job_run
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team, TeamManager
from tests.conftest import World
from tests.factories import (
    JobFactory,
    MembershipFactory,
    PersonFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

EVIL_PERSON = '=HYPERLINK("http://evil","x")'
EVIL_SKILL = "+cmd|' /C calc'!A0"


@dataclass
class Data:
    world: World
    payments: Team
    payments_api: Team  # below Payments: the manager leads it too
    research: Team  # outside the manager's line
    api: Skill
    sql: Skill
    newcomer: Person  # in Payments API
    researcher: Person  # in Research


def _role(organisation, name: str, *requirements: tuple[Skill, int, int]) -> RoleProfile:
    role = RoleProfile.objects.create(organisation=organisation, name=name)
    for skill, target, weight in requirements:
        RoleRequirement.objects.create(
            organisation=organisation,
            role=role,
            skill=skill,
            target_level=target,
            weight=Decimal(weight),
        )
    return role


def _assign(organisation, person: Person, role: RoleProfile, kind: str = "current") -> None:
    RoleAssignment.objects.create(organisation=organisation, person=person, role=role, kind=kind)


def _build(world: World, *, prefix: str = "") -> Data:
    """Payments (led by the manager) with Payments API below it, and Research outside the
    manager's line. Backend role: API Design ≥ 4 (weight 3), SQL ≥ 3 (weight 1).

    member: API 2, SQL 3 → gap 6/15 = 40 %; target role Staff (API ≥ 5) → 3/5 = 60 %.
    manager: API 4, SQL unrated → 3/15 = 20 %. Each skill is covered by one person: bus factor.
    """
    organisation = world.organisation
    member, manager = world.people["member"], world.people["manager"]
    with organisation_context(organisation):
        api = SkillFactory(organisation=organisation, name=f"{prefix}API Design")
        sql = SkillFactory(organisation=organisation, name=f"{prefix}SQL")
        backend = _role(organisation, f"{prefix}Backend Engineer", (api, 4, 3), (sql, 3, 1))
        staff = _role(organisation, f"{prefix}Staff Engineer", (api, 5, 1))
        payments = TeamFactory(organisation=organisation, name=f"{prefix}Payments")
        payments_api = TeamFactory(
            organisation=organisation, name=f"{prefix}Payments API", parent=payments
        )
        research = TeamFactory(organisation=organisation, name=f"{prefix}Research")
        TeamManager.objects.create(organisation=organisation, team=payments, person=manager)
        newcomer = PersonFactory(organisation=organisation, name=f"{prefix}Nina Newcomer")
        researcher = PersonFactory(organisation=organisation, name=f"{prefix}Rita Researcher")
        for team, person in (
            (payments, member),
            (payments, manager),
            (payments_api, newcomer),
            (research, researcher),
        ):
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            _assign(organisation, person, backend)
        _assign(organisation, member, staff, kind="target")
        RatingFactory(organisation=organisation, person=member, skill=api, level=2)
        RatingFactory(organisation=organisation, person=member, skill=sql, level=3)
        RatingFactory(organisation=organisation, person=manager, skill=api, level=4)
    assert recompute_organisation(organisation_id=organisation.pk)
    return Data(world, payments, payments_api, research, api, sql, newcomer, researcher)


def _export_job(world: World, *, role: str = "hr", fmt: str = "csv", team_ids=()) -> Job:
    """Create an export job as the page would, run it, and return it reloaded."""
    job = JobFactory(
        organisation=world.organisation,
        kind=Job.Kind.GAP_EXPORT,
        created_by=world.user(role),
        filename=f"gap-report.{fmt}",
        params={"format": fmt, "team_ids": list(team_ids)},
    )
    job_run(organisation_id=world.organisation.pk, job_id=job.pk)
    with organisation_context(world.organisation):
        return Job.objects.get(pk=job.pk)


def _file_bytes(job: Job) -> bytes:
    """The export's file, read back from the storage it was written to."""
    with job.file.storage.open(job.file.name, "rb") as handle:
        return handle.read()


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def _sheet_rows(workbook, title: str) -> list[tuple]:
    return [tuple(row) for row in workbook[title].iter_rows(values_only=True)]


def _row_of(rows, name: str, kind: str | None = None) -> tuple | list:
    found = [r for r in rows if r and r[0] == name and (kind is None or r[5] == kind)]
    assert len(found) == 1, f"expected one row for {name!r} ({kind}), got {found}"
    return found[0]


def _all_text(data: bytes, fmt: str) -> str:
    if fmt == "csv":
        return data.decode("utf-8-sig")
    workbook = _workbook(data)
    return "\n".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def _post_export(client, world: World, **data):
    url = reverse("reports:export", kwargs={"org_slug": world.organisation.slug})
    return client.post(url, {"format": "csv", **data})


def _jobs(world: World) -> int:
    with organisation_context(world.organisation):
        return Job.objects.filter(kind=Job.Kind.GAP_EXPORT).count()


# --- Neutralising formulas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", EVIL_PERSON],
)
def test_neutralise_prefixes_text_that_a_spreadsheet_would_run(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Alice", "", "a=b", "API Design (2 → 4)", -3, 40.5, Decimal("-1.50"), None]
)
def test_neutralise_leaves_plain_text_and_numbers_alone(value):
    assert neutralise(value) == value


# --- The file ------------------------------------------------------------------------------------


def test_csv_export_is_the_gap_table_with_its_header_in_the_first_row(org_a):
    data = _build(org_a)
    job = _export_job(org_a, fmt="csv")
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.output_name == "gap-report.csv"
    assert job.output_content_type.startswith("text/csv")
    rows = _csv_rows(_file_bytes(job))
    assert rows[0] == list(exports.GAP_COLUMNS)
    assert len(rows) == 1 + 5  # the header and one row per person × role, nothing else

    member = org_a.people["member"]
    current = _row_of(rows, member.name, "current")
    assert current[1:6] == [
        member.email,
        member.job_title,
        "Payments",
        "Backend Engineer",
        "current",
    ]
    assert current[6:12] == ["40.00", "60.00", "1", "2", "yes", "API Design (2 → 4)"]
    target = _row_of(rows, member.name, "target")
    assert target[4:8] == ["Staff Engineer", "target", "60.00", "40.00"]
    assert _row_of(rows, data.newcomer.name)[3] == "Payments API"
    assert _row_of(rows, org_a.people["manager"].name)[11] == "SQL (0 → 3)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", current[12])  # a spreadsheet's date
    assert job.summary == {"rows": 5, "teams": 3}


def test_xlsx_export_has_the_gap_sheet_a_sheet_per_team_and_the_bus_factor_sheet(org_a):
    data = _build(org_a)
    job = _export_job(org_a, fmt="xlsx")
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.output_content_type == exports.CONTENT_TYPES["xlsx"]
    workbook = _workbook(_file_bytes(job))
    assert workbook.sheetnames == [
        "Gap report",
        "About",
        "Team – Payments",
        "Team – Payments API",
        "Team – Research",
        "Bus-factor risks",
        "Certifications",
    ]
    member, manager = org_a.people["member"], org_a.people["manager"]
    gap = _sheet_rows(workbook, "Gap report")
    assert gap[0] == exports.GAP_COLUMNS
    row = _row_of(gap, member.name, "current")
    assert row[6:10] == (40.0, 60.0, 1, 2)  # numbers stay numbers
    assert row[11] == "API Design (2 → 4)"

    about = dict(r[:2] for r in _sheet_rows(workbook, "About") if r[0])
    assert about["Organisation"] == "Alpha Ltd"
    assert about["Scope"] == "Whole organisation"
    assert about["Skill data"] == ATTRIBUTION

    team = _sheet_rows(workbook, "Team – Payments")
    columns = team[0]
    assert columns[:5] == ("Person", "Current role", "Gap %", "API Design", "SQL")
    assert _row_of(team, member.name)[1:5] == ("Backend Engineer", 40.0, 2, 3)
    assert _row_of(team, manager.name)[3:5] == (4, None)  # SQL never rated: blank
    assert _row_of(team, data.newcomer.name)[3:5] == (None, None)  # from the sub-team
    assert _row_of(team, "Coverage (at or above target)")[3:5] == (1, 1)
    assert _row_of(team, "Bus factor ≤ 1")[3:5] == ("yes", "yes")
    assert data.researcher.name not in {r[0] for r in team}

    risks = _sheet_rows(workbook, "Bus-factor risks")
    assert risks[0] == exports.BUS_FACTOR_COLUMNS
    assert ("Payments", "API Design", 4, 1, manager.name) in risks
    assert ("Payments", "SQL", 3, 1, member.name) in risks


def test_formula_like_names_are_neutralised_in_csv_and_xlsx(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        evil_skill = SkillFactory(organisation=organisation, name=EVIL_SKILL)
        role = _role(organisation, "-Role", (evil_skill, 3, 1))
        team = TeamFactory(organisation=organisation, name="@Team")
        person = PersonFactory(organisation=organisation, name=EVIL_PERSON, job_title="=1+1")
        TeamMembershipFactory(organisation=organisation, team=team, person=person)
        _assign(organisation, person, role)
    recompute_organisation(organisation_id=organisation.pk)

    rows = _csv_rows(_file_bytes(_export_job(org_a, fmt="csv")))
    row = _row_of(rows, "'" + EVIL_PERSON)
    assert row[2] == "'=1+1"
    assert row[3] == "'@Team"
    assert row[4] == "'-Role"
    assert row[11] == f"'{EVIL_SKILL} (0 → 3)"

    workbook = _workbook(_file_bytes(_export_job(org_a, fmt="xlsx")))
    sheet = workbook["Gap report"]
    cells = next(r for r in sheet.iter_rows() if r[0].value == "'" + EVIL_PERSON)
    assert all(c.data_type == "s" for c in cells[:6])  # text cells, never formulas
    assert cells[11].value == f"'{EVIL_SKILL} (0 → 3)"
    team_sheet = _sheet_rows(workbook, "Team – @Team")
    assert "'" + EVIL_SKILL in team_sheet[0]
    assert _row_of(team_sheet, "'" + EVIL_PERSON)
    assert ("'@Team", "'" + EVIL_SKILL, 3, 0, None) in _sheet_rows(workbook, "Bus-factor risks")
    # No cell anywhere in the workbook is a formula.
    assert not [
        c.coordinate
        for ws in workbook.worksheets
        for r in ws.iter_rows()
        for c in r
        if c.data_type == "f"
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_organisations_people_never_appear_in_the_export(org_a, org_b, fmt):
    _build(org_a)
    b = _build(org_b, prefix="Beta ")
    with organisation_context(org_b.organisation):
        Person.objects.filter(pk=org_b.people["member"].pk).update(name="Bob Beta-Only")
    text = _all_text(_file_bytes(_export_job(org_a, fmt=fmt)), fmt)
    assert org_a.people["member"].name in text
    for secret in ("Bob Beta-Only", b.researcher.name, b.newcomer.name, "Beta ", "beta.example"):
        assert secret not in text


def test_a_managers_export_holds_only_their_teams_people(org_a):
    data = _build(org_a)
    job = _export_job(org_a, role="manager", fmt="xlsx", team_ids=[data.payments.pk])
    assert job.status == Job.Status.SUCCEEDED, job.errors
    workbook = _workbook(_file_bytes(job))
    names = {r[0] for r in _sheet_rows(workbook, "Gap report")}
    assert {org_a.people["member"].name, data.newcomer.name} <= names
    assert data.researcher.name not in names
    assert workbook.sheetnames == [
        "Gap report",
        "About",
        "Team – Payments",
        "Team – Payments API",
        "Bus-factor risks",
        "Certifications",
    ]
    about = dict(r[:2] for r in _sheet_rows(workbook, "About") if r[0])
    assert about["Scope"] == "Teams (with the teams below them): Payments"


def test_export_is_the_same_across_chunk_boundaries(org_a, monkeypatch):
    data = _build(org_a)
    whole = _csv_rows(_file_bytes(_export_job(org_a)))
    monkeypatch.setattr(exports, "CHUNK", 2)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    chunked = _csv_rows(_file_bytes(_export_job(org_a)))
    assert chunked == whole
    assert _row_of(chunked, data.researcher.name)[3] == "Research"


def test_export_progress_is_reported(org_a, monkeypatch):
    _build(org_a)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    calls: list[tuple[int, int]] = []
    with organisation_context(org_a.organisation):
        scope = exports.Scope(True, [], frozenset())
        rows = list(
            exports.gap_rows(
                organisation=org_a.organisation,
                scope=scope,
                progress=lambda d, t: calls.append((d, t)),
            )
        )
    assert len(rows) == 5
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_the_export_reads_a_fixed_number_of_queries_whatever_the_number_of_people(org_a):
    organisation = org_a.organisation
    data = _build(org_a)

    def queries() -> int:
        with organisation_context(organisation):
            scope = exports.Scope(False, [data.payments], frozenset({data.payments.pk}))
            with CaptureQueriesContext(connection) as captured:
                exports.gap_report_write(organisation=organisation, scope=scope, fmt="xlsx")
        return len(captured)

    few = queries()
    with organisation_context(organisation):
        role = RoleProfile.objects.get(name="Backend Engineer")
        for n in range(25):
            person = PersonFactory(organisation=organisation, name=f"Extra {n}")
            TeamMembershipFactory(organisation=organisation, team=data.payments, person=person)
            _assign(organisation, person, role)
            RatingFactory(organisation=organisation, person=person, skill=data.api, level=n % 6)
    recompute_organisation(organisation_id=organisation.pk)
    assert queries() == few


def test_the_export_is_audited(org_a):
    data = _build(org_a)
    job = _export_job(org_a, role="manager", team_ids=[data.payments.pk])
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="report.exported")
    assert event.actor == org_a.manager
    assert event.target_id == str(job.pk)
    assert event.after == {
        "scope": "teams",
        "team_ids": [data.payments.pk],
        "teams": ["Payments"],
        "format": "csv",
        "rows": 4,
    }


def test_rerunning_a_finished_export_does_nothing(org_a):
    _build(org_a)
    job = _export_job(org_a)
    job_run(organisation_id=org_a.organisation.pk, job_id=job.pk)
    with organisation_context(org_a.organisation):
        again = Job.objects.get(pk=job.pk)
        assert AuditEvent.objects.filter(verb="report.exported").count() == 1
    assert again.file.name == job.file.name  # no second file
    assert _file_bytes(again) == _file_bytes(job)
    assert again.finished_at == job.finished_at


def test_the_job_rechecks_the_scope_against_its_creator(org_a):
    data = _build(org_a)
    with organisation_context(org_a.organisation):
        TeamManager.objects.filter(team=data.payments).delete()  # no longer leads Payments
    job = _export_job(org_a, role="manager", team_ids=[data.payments.pk])
    assert job.status == Job.Status.FAILED
    assert "no longer allows" in job.errors[0]["message"]
    assert not job.file
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="report.exported").exists()


def test_a_job_for_the_whole_organisation_fails_when_its_creator_is_now_a_manager(org_a):
    _build(org_a)
    with organisation_context(org_a.organisation):
        Membership.objects.filter(pk=org_a.memberships["hr"].pk).update(role=Role.MANAGER)
    job = _export_job(org_a, role="hr")
    assert job.status == Job.Status.FAILED and not job.file


def test_sheet_titles_are_valid_truncated_and_unique():
    taken: set[str] = set()
    long = "Team – Platform/Infrastructure: [EMEA] * really long"
    first = sheet_title(long, taken)
    assert first == "Team – PlatformInfrastructure E"
    assert len(first) == 31
    second = sheet_title(long, taken)
    assert second == "Team – PlatformInfrastructu (2)"
    assert sheet_title("team – platforminfrastructure e", taken).endswith("(3)")
    assert sheet_title("'quoted'", taken) == "quoted"


# --- The page ------------------------------------------------------------------------------------


def test_member_gets_403_on_the_export_page(org_a, login):
    client = login(org_a.member)
    url = reverse("reports:export", kwargs={"org_slug": org_a.organisation.slug})
    assert client.get(url).status_code == 403
    assert _post_export(client, org_a, scope="organisation").status_code == 403
    assert _jobs(org_a) == 0


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admin_may_export_the_whole_organisation(
    org_a, login, role, django_capture_on_commit_callbacks
):
    data = _build(org_a)
    client = login(org_a.user(role))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_export(client, org_a, scope="organisation", format="xlsx")
    with organisation_context(org_a.organisation):
        job = Job.objects.get(kind=Job.Kind.GAP_EXPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:job_detail", kwargs={"org_slug": "alpha", "job_id": job.pk}
    )
    assert job.params == {"format": "xlsx", "team_ids": []}
    assert re.fullmatch(r"gap-report-alpha-\d{4}-\d\d-\d\d\.xlsx", job.filename)
    assert job.status == Job.Status.SUCCEEDED, job.errors
    names = {r[0] for r in _sheet_rows(_workbook(_file_bytes(job)), "Gap report")}
    assert {data.researcher.name, data.newcomer.name, org_a.people["member"].name} <= names


def test_manager_sees_only_their_teams_and_no_whole_organisation_choice(org_a, login):
    data = _build(org_a)
    response = login(org_a.manager).get(
        reverse("reports:export", kwargs={"org_slug": org_a.organisation.slug})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{data.payments.pk}"' in html and f'value="{data.payments_api.pk}"' in html
    assert f'value="{data.research.pk}"' not in html
    assert 'value="organisation"' not in html


def test_manager_export_through_the_page_holds_only_their_teams(
    org_a, login, django_capture_on_commit_callbacks
):
    data = _build(org_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_export(
            login(org_a.manager), org_a, scope="teams", teams=[data.payments_api.pk]
        )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        job = Job.objects.get(kind=Job.Kind.GAP_EXPORT)
    assert job.params == {"format": "csv", "team_ids": [data.payments_api.pk]}
    names = {r[0] for r in _csv_rows(_file_bytes(job)) if r}
    assert data.newcomer.name in names
    assert not names & {org_a.people["member"].name, data.researcher.name}


@pytest.mark.parametrize("which", ["outside_line", "other_organisation", "missing"])
def test_a_team_the_manager_may_not_export_is_refused_the_same_way(
    org_a, org_b, login, which, django_capture_on_commit_callbacks
):
    data = _build(org_a)
    team_id = {
        "outside_line": lambda: data.research.pk,
        "other_organisation": lambda: TeamFactory(organisation=org_b.organisation).pk,
        "missing": lambda: 999_999,
    }[which]()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_export(
            login(org_a.manager), org_a, scope="teams", teams=[data.payments.pk, team_id]
        )
    assert response.status_code == 400
    assert INVALID_TEAM in response.content.decode()
    assert _jobs(org_a) == 0


def test_a_manager_may_not_export_the_whole_organisation(org_a, login):
    _build(org_a)
    response = _post_export(login(org_a.manager), org_a, scope="organisation")
    assert response.status_code == 400
    assert "You may export only the teams you lead." in response.content.decode()
    assert _jobs(org_a) == 0


def test_choosing_teams_without_picking_one_is_refused(org_a, login):
    _build(org_a)
    response = _post_export(login(org_a.hr), org_a, scope="teams")
    assert response.status_code == 400
    assert "Select at least one team." in response.content.decode()
    assert _jobs(org_a) == 0


def test_the_export_page_reads_a_fixed_number_of_queries_whatever_the_number_of_teams(org_a, login):
    client = login(org_a.hr)
    url = reverse("reports:export", kwargs={"org_slug": org_a.organisation.slug})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    TeamFactory(organisation=org_a.organisation)
    JobFactory(organisation=org_a.organisation, kind=Job.Kind.GAP_EXPORT, created_by=org_a.hr)
    few = queries()
    for _ in range(15):
        TeamFactory(organisation=org_a.organisation)
        JobFactory(organisation=org_a.organisation, kind=Job.Kind.GAP_EXPORT, created_by=org_a.hr)
    assert queries() == few


# --- The download --------------------------------------------------------------------------------


def _download_url(world: World, job_id: int) -> str:
    return reverse(
        "reports:job_download", kwargs={"org_slug": world.organisation.slug, "job_id": job_id}
    )


def _without_csrf(response) -> bytes:
    # The masked CSRF token (sign-out form) differs on every response; the rest must not.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def test_the_finished_export_downloads_as_an_attachment(org_a, login):
    _build(org_a)
    job = _export_job(org_a, fmt="xlsx")
    response = login(org_a.hr).get(_download_url(org_a, job.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"] == 'attachment; filename="gap-report.xlsx"'
    assert b"".join(response.streaming_content) == _file_bytes(job)


def test_the_job_page_links_to_the_download_once_the_export_succeeded(org_a, login):
    _build(org_a)
    job = _export_job(org_a)
    response = login(org_a.hr).get(
        reverse("reports:job_detail", kwargs={"org_slug": "alpha", "job_id": job.pk})
    )
    assert _download_url(org_a, job.pk) in response.content.decode()


def test_the_download_is_404_for_another_managers_job_but_hr_may_fetch_it(org_a, login):
    data = _build(org_a)
    job = _export_job(org_a, role="manager", team_ids=[data.payments.pk])
    other = MembershipFactory(
        organisation=org_a.organisation,
        role=Role.MANAGER,
        user=UserFactory(email="other-manager@alpha.example"),
    )
    assert login(other.user).get(_download_url(org_a, job.pk)).status_code == 404
    assert login(org_a.hr).get(_download_url(org_a, job.pk)).status_code == 200


def test_the_download_is_404_for_another_organisations_job_like_a_missing_one(org_a, org_b, login):
    _build(org_b)
    job = _export_job(org_b)
    client = login(org_a.admin)
    foreign = client.get(_download_url(org_a, job.pk))
    missing = client.get(_download_url(org_a, 999_999))
    assert foreign.status_code == missing.status_code == 404
    assert _without_csrf(foreign) == _without_csrf(missing)


def test_the_download_is_404_for_an_import_or_an_unfinished_or_failed_export(org_a, login):
    organisation = org_a.organisation
    client = login(org_a.admin)
    pending = JobFactory(
        organisation=organisation, kind=Job.Kind.GAP_EXPORT, created_by=org_a.admin
    )
    failed = JobFactory(
        organisation=organisation,
        kind=Job.Kind.GAP_EXPORT,
        created_by=org_a.admin,
        status=Job.Status.FAILED,
    )
    an_import = JobFactory(
        organisation=organisation,
        created_by=org_a.admin,
        status=Job.Status.SUCCEEDED,
        file="exports/an-import.csv",  # even an import with a file is not downloadable
    )
    for job in (pending, failed, an_import):
        assert client.get(_download_url(org_a, job.pk)).status_code == 404


def test_member_gets_403_on_the_download(org_a, login):
    _build(org_a)
    job = _export_job(org_a)
    assert login(org_a.member).get(_download_url(org_a, job.pk)).status_code == 403
