"""The exports as a spreadsheet meets them: every table starts in row 1 with its header, the
workbook's headers are frozen and filtered and its columns sized, moments are date cells and
numbers are numbers, and what the report is about is on the "About" sheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reports import exports
from reports.models import GapScore
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from tests.reports.test_exports import _build, _export_job, _file_bytes

pytestmark = pytest.mark.django_db


def _workbook(world, **kwargs):
    job = _export_job(world, fmt="xlsx", **kwargs)
    assert job.status == Job.Status.SUCCEEDED, job.errors
    return load_workbook(io.BytesIO(_file_bytes(job)))


def _about(workbook) -> dict[str, object]:
    return {r[0]: r[1] for r in workbook["About"].iter_rows(values_only=True) if r and r[0]}


def test_each_data_sheet_starts_with_its_header_frozen_and_filtered(org_a):
    _build(org_a)
    workbook = _workbook(org_a)

    gap = workbook["Gap report"]
    assert [c.value for c in gap[1]] == list(exports.GAP_COLUMNS)
    assert all(c.font.b for c in gap[1])
    assert gap.freeze_panes == "B2"  # the header row and the person's name stay in view
    assert gap.auto_filter.ref == f"A1:M{1 + 5}"  # header and the five person × role rows

    team = workbook["Team – Payments"]
    assert [c.value for c in team[1]][:5] == [
        "Person",
        "Current role",
        "Gap %",
        "API Design",
        "SQL",
    ]
    assert team.freeze_panes == "B2"
    # The member, the manager and the newcomer of the team below; the team's target, coverage
    # and bus factor rows come after, outside the filter, so sorting never mixes them in.
    assert team.auto_filter.ref == "A1:E4"
    assert [team.cell(row=r, column=1).value for r in range(5, 9)] == [
        None,
        "Team target",
        "Coverage (at or above target)",
        "Bus factor ≤ 1",
    ]

    risks = workbook["Bus-factor risks"]
    assert tuple(c.value for c in risks[1]) == exports.BUS_FACTOR_COLUMNS
    assert risks.auto_filter.ref == f"A1:E{risks.max_row}"
    assert risks.freeze_panes == "B2"


def test_workbook_columns_are_sized_to_their_contents(org_a):
    _build(org_a)
    workbook = _workbook(org_a)
    gap = workbook["Gap report"]
    widths = {
        c.name: gap.column_dimensions[get_column_letter(i)].width
        for i, c in enumerate(exports.GAP_TABLE, start=1)
    }
    assert widths == {c.name: c.width for c in exports.GAP_TABLE}
    assert widths["Top missing skills"] > widths["Person"] > widths["Kind"]
    team = workbook["Team – Payments"]
    assert team.column_dimensions["A"].width == 26
    assert team.column_dimensions["D"].width == len("API Design") + 2
    assert workbook["About"].column_dimensions["B"].width == 100


def test_moments_are_date_cells_and_figures_are_numbers(org_a):
    _build(org_a)
    workbook = _workbook(org_a)
    member = org_a.people["member"]
    with organisation_context(org_a.organisation):
        computed_at = GapScore.objects.filter(person=member, kind="current").get().computed_at
    row = next(
        r
        for r in workbook["Gap report"].iter_rows(min_row=2)
        if r[0].value == member.name and r[5].value == "current"
    )
    computed = row[12]
    assert computed.is_date and computed.number_format == exports.DATETIME_FORMAT
    assert computed.value == computed_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    assert [c.data_type for c in row[6:10]] == ["n"] * 4
    assert isinstance(_about(workbook)["Generated at (UTC)"], datetime)


def test_the_about_sheet_says_what_the_report_is_and_what_each_sheet_holds(org_a):
    _build(org_a)
    workbook = _workbook(org_a)
    about = _about(workbook)
    assert about["Report"] == "Skills gap report"
    assert about["Organisation"] == "Alpha Ltd"
    assert about["Scope"] == "Whole organisation"
    assert str(about["Scale"]).startswith("0 = None; 1 = Novice")
    assert isinstance(about["Results computed at (UTC)"], datetime)
    assert about["Results are fresh"] == "yes"
    assert about["Skill data"] == exports.ATTRIBUTION
    # Every other sheet is named there, with what it holds.
    assert set(workbook.sheetnames) - {"About"} <= set(about)
    assert str(about["Team – Payments"]).startswith("Payments and the teams below it:")
    assert str(about["Team – Research"]).startswith("Research:")
    assert exports.MATRIX_LEGEND in str(about["Team – Research"])


def test_the_csv_is_the_gap_table_alone(org_a):
    _build(org_a)
    job = _export_job(org_a, fmt="csv")
    rows = list(csv.reader(io.StringIO(_file_bytes(job).decode("utf-8-sig"))))
    assert rows[0] == list(exports.GAP_COLUMNS)
    assert all(len(r) == len(exports.GAP_COLUMNS) for r in rows)  # no preamble, no footer
    assert not {"Organisation", "Scope", exports.ATTRIBUTION} & {r[0] for r in rows}
