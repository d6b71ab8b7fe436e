"""Reading uploads: every whole-file problem gets one clear message."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from skillsmap.core.tabular import TableError, looks_like_formula, read_table

REQUIRED = {"name", "email"}


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_reads_csv_by_header_in_any_order_with_line_numbers():
    table = read_table(
        b"Email,Name\nada@example.com,Ada\n\nbob@example.com,Bob\n",
        filename="p.csv",
        required=REQUIRED,
    )
    assert [(r.line, r.values) for r in table.rows] == [
        (2, {"email": "ada@example.com", "name": "Ada"}),
        (4, {"email": "bob@example.com", "name": "Bob"}),
    ]


def test_reads_xlsx_and_a_utf8_bom_csv_alike():
    xlsx = read_table(
        _xlsx([["name", "email"], ["Zoë", "z@example.com"]]), filename="p.xlsx", required=REQUIRED
    )
    csv = read_table(
        "\ufeffname;email\nZoë;z@example.com\n".encode(), filename="p.csv", required=REQUIRED
    )
    assert xlsx.rows[0].values == csv.rows[0].values == {"name": "Zoë", "email": "z@example.com"}


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"", "p.csv", "empty"),
        (b"\n\n  \n", "p.csv", "empty"),
        (b"\x00\x01\x02binary junk\xff", "p.csv", "binary"),
        ("name,email\nJosé,j@example.com\n".encode("latin-1"), "p.csv", "not UTF-8"),
        (b"nom,courriel\nA,a@example.com\n", "p.csv", "Missing columns: email, name"),
        (b"name,email,email\nA,a@example.com,b\n", "p.csv", "Duplicate column: email"),
        (b"name,email\nA,a@example.com\n", "p.xlsx", "not an XLSX"),
        (b"PK\x03\x04 not really a zip", "p.xlsx", "damaged"),
        (b"x" * (10 * 1024 * 1024 + 1), "p.csv", "larger than 10 MB"),
    ],
)
def test_whole_file_problems_get_one_clear_message(data, filename, message):
    with pytest.raises(TableError, match=message):
        read_table(data, filename=filename, required=REQUIRED)


def test_a_zip_bomb_posing_as_xlsx_is_refused_before_it_is_expanded():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (80 * 1024 * 1024))
    with pytest.raises(TableError, match="expands"):
        read_table(buffer.getvalue(), filename="bomb.xlsx", required=REQUIRED)


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3+cmd", "\t=1"])
def test_formulas_are_recognised(value):
    assert looks_like_formula(value)


@pytest.mark.parametrize("value", ["Ada", "-3", "+44 20 7946 0000", "", "a=b"])
def test_ordinary_values_are_not_formulas(value):
    assert not looks_like_formula(value)
