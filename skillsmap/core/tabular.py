"""Reading uploaded CSV and XLSX files safely, for every import.

Whole-file problems (too large, not text, not a spreadsheet, a zip bomb, wrong headers) raise
``TableError`` with one message; row problems are the importer's business, reported per line.
Cells that a spreadsheet would execute as formulas are refused, never stored; the exports write
cells through ``neutralise``, over the same ``FORMULA_TRIGGERS``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_XLSX_UNCOMPRESSED = 60 * 1024 * 1024
# What a spreadsheet treats as the start of a formula (OWASP "CSV injection"): =SUM(), @cmd,
# +/-cmd, "-2+3+cmd|…", a leading tab or carriage return. Imports refuse such cells
# (``looks_like_formula``); exports neutralise them (``neutralise``).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
# On import, a plain signed number or phone number ("-3", "+44 20 7946 0000") is data. Exports
# still neutralise it: a spreadsheet would evaluate it, and the prefix costs nothing.
SIGNED_NUMBER = re.compile(r"^[+-][\d\s().]+$")
# Excel's "Unicode text" and "UTF-16" exports start with one of these byte-order marks.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# An OLE2 compound file: an old .xls workbook, or any Office file saved with a password.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Invisible characters an editor may leave at the start of a header (a second BOM, a zero-width
# space), which would otherwise make "name" read as a missing column.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


class TableError(ValueError):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class Row:
    line: int  # as the user sees it: the header is line 1
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[Row]


def _normalise_header(name: object) -> str:
    text = str(name or "").translate({ord(c): None for c in INVISIBLE})
    return re.sub(r"\s+", " ", text).strip().lower()


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (``FORMULA_TRIGGERS``)."""
    return text.startswith(FORMULA_TRIGGERS)


def looks_like_formula(value: str) -> bool:
    """An uploaded cell to refuse: it starts like a formula and is not a signed number."""
    return starts_like_formula(value) and not SIGNED_NUMBER.match(value)


Cell = str | int | float | Decimal | None


@overload
def neutralise(value: str) -> str: ...


@overload
def neutralise(value: Cell) -> Cell: ...


def neutralise(value: Cell) -> Cell:
    """The cell as a spreadsheet should see it: a text that would start a formula gets a leading
    ``'`` so it is shown, never run. Numbers and empty cells are returned unchanged."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith(UTF16_BOMS):
        raise TableError(
            "The file is UTF-16 text (Excel's “Unicode text”). Save it as “CSV UTF-8” and upload "
            "it again."
        )
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            "This is an old Excel (.xls) workbook or a password-protected file, which cannot be "
            "read. Save it as .xlsx without a password, or as “CSV UTF-8”."
        )
    # Anywhere in the file, not only at its start: a NUL inside a cell would be stored (SQLite)
    # or fail the whole job (PostgreSQL refuses it in text) rather than be reported.
    if b"\x00" in data:
        raise TableError("This is not a CSV or XLSX file (it contains binary data).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again "
            f"(first bad byte at position {error.start})."
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise TableError(f"The CSV file cannot be read: {error}.") from None


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        uncompressed = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError("The XLSX file is damaged or not a spreadsheet.") from None
    if uncompressed > MAX_XLSX_UNCOMPRESSED:
        raise TableError("The XLSX file expands to far more data than it holds; it was refused.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        rows = [
            ["" if cell is None else _cell_text(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        workbook.close()
    except Exception:  # openpyxl raises a zoo of exceptions on malformed files
        raise TableError("The XLSX file is damaged or not a spreadsheet.") from None
    return rows


def _cell_text(value: object) -> str:
    from datetime import date, datetime

    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    data: bytes, *, filename: str, required: set[str], optional: AbstractSet[str] = frozenset()
) -> Table:
    """Parse an upload into rows keyed by lower-cased header. Raises ``TableError``."""
    if not data or not data.strip():
        raise TableError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise TableError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    is_xlsx = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") and not is_xlsx:
        raise TableError("The file is named .xlsx but is not an XLSX spreadsheet.")
    raw = _read_xlsx(data) if is_xlsx else _read_csv(data)
    # Keep each row's line number as the user sees it before dropping blank rows.
    numbered = [
        (line, row)
        for line, row in enumerate(raw, start=1)
        if any(str(cell).strip() for cell in row)
    ]
    if not numbered:
        raise TableError("The file is empty.")
    headers = [_normalise_header(h) for h in numbered[0][1]]
    missing = sorted(required - set(headers))
    if missing:
        raise TableError(
            f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"Expected: {', '.join(sorted(required | set(optional)))}."
        )
    duplicates = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicates:
        raise TableError(f"Duplicate column: {', '.join(duplicates)}.")
    if len(numbered) - 1 > MAX_ROWS:
        raise TableError(f"The file has more than {MAX_ROWS} rows; split it.")
    known = required | set(optional)
    rows = [
        Row(
            line=line,
            values={
                header: str(cells[i]).strip() if i < len(cells) else ""
                for i, header in enumerate(headers)
                if header in known
            },
        )
        for line, cells in numbered[1:]
    ]
    return Table(headers=headers, rows=rows)
