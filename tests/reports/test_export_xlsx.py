"""The exports' own XLSX writer (``reports.xlsx``): a valid package that spreadsheets read (here
openpyxl, and every part well-formed XML), text that is never a formula, numbers that stay
numbers, date cells, blank cells left out, sparse rows in their columns, and the sheet features
the report uses (widths, a frozen header, a filter)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

from openpyxl import load_workbook

from reports.xlsx import BOLD, DATE_FORMAT, DATETIME_FORMAT, Workbook, column_letter


def _book(write) -> tuple[bytes, object]:
    book = Workbook()
    write(book)
    data = book.close()
    return data, load_workbook(io.BytesIO(data))


def test_the_package_is_a_valid_zip_of_well_formed_parts():
    def write(book: Workbook) -> None:
        book.sheet("Gap report", widths=[26, 30])
        book.freeze_header()
        book.row(["Person", "Email"], style=BOLD)
        book.row(["Ann", "ann@example.com"])
        book.auto_filter("A1:B2")
        book.sheet("Team – R&D's <best>")
        book.row(["x"])

    data, workbook = _book(write)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        } <= names
        for name in names:
            ElementTree.fromstring(archive.read(name))  # noqa: S314  (our own output)
    assert workbook.sheetnames == ["Gap report", "Team – R&D's <best>"]
    sheet = workbook["Gap report"]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:B2"
    assert sheet.column_dimensions["A"].width == 26
    assert sheet.column_dimensions["B"].width == 30
    assert all(c.font.b for c in sheet[1])
    assert not sheet["A2"].font.b


def test_text_is_neutralised_escaped_and_never_a_formula():
    texts = [
        "=1+1",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\x01=cmd",  # a control character is dropped first: the rest is still neutralised
        "a & b < c > d",
        "  padded  ",
        "two\nlines",
        "carriage\rreturn",
        "plain",
        "API Design (2 → 4)",
        '"quoted"',
    ]
    _, workbook = _book(lambda book: (book.sheet("S"), book.row(texts)))
    cells = workbook["S"][1]
    assert [c.value for c in cells] == [
        "'=1+1",
        "'+cmd",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'=cmd",
        "a & b < c > d",
        "  padded  ",
        "two\nlines",
        "carriage\rreturn",
        "plain",
        "API Design (2 → 4)",
        '"quoted"',
    ]
    assert {c.data_type for c in cells} == {"s"}


def test_numbers_stay_numbers_and_moments_are_date_cells():
    moment = datetime(2026, 12, 7, 15, 4, 5)
    values = [3, 0, 40.5, Decimal("60.00"), Decimal("-1.25"), True, moment, date(2026, 2, 28)]
    _, workbook = _book(lambda book: (book.sheet("S"), book.row(values)))
    cells = workbook["S"][1]
    assert [c.value for c in cells] == [
        3,
        0,
        40.5,
        60.0,
        -1.25,
        True,
        moment,
        datetime(2026, 2, 28),
    ]
    assert [c.data_type for c in cells[:5]] == ["n"] * 5
    assert cells[6].is_date and cells[6].number_format == DATETIME_FORMAT
    assert cells[7].is_date and cells[7].number_format == DATE_FORMAT


def test_blank_cells_are_not_written_and_keep_their_columns_blank():
    def write(book: Workbook) -> None:
        book.sheet("S")
        book.row(["a", None, "", 0, None, "f"])
        book.row(())  # an empty row still takes its place
        book.row(["after"])

    data, workbook = _book(write)
    rows = list(workbook["S"].iter_rows(values_only=True))
    assert rows == [("a", None, None, 0, None, "f"), (None,) * 6, ("after",) + (None,) * 5]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<c ") == 4  # a, 0, f, after


def test_a_sparse_row_puts_each_value_in_its_column_past_z():
    def write(book: Workbook) -> None:
        book.sheet("Matrix")
        book.row_sparse(["Ann", "Engineer", Decimal("12.5")], [(0, 3), (23, "n/a"), (700, 0)])
        book.row_sparse(["Bo", "", None], [])

    _, workbook = _book(write)
    sheet = workbook["Matrix"]
    assert [sheet.cell(row=1, column=c).value for c in (1, 2, 3, 4, 27, 704)] == [
        "Ann",
        "Engineer",
        12.5,
        3,
        "n/a",
        0,
    ]
    assert sheet["AA1"].value == "n/a" and sheet[f"{column_letter(704)}1"].value == 0
    assert sheet.max_column == 704
    assert [c.value for c in sheet[2] if c.value is not None] == ["Bo"]


def test_column_letters_are_the_spreadsheets():
    assert [column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_a_workbook_without_sheets_is_still_a_workbook():
    _, workbook = _book(lambda book: None)
    assert workbook.sheetnames == ["Sheet"]
