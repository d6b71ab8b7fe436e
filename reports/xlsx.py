"""A streaming XLSX (SpreadsheetML) writer for the exports: rows go straight into the zip file as
XML, one sheet after another, so memory holds one batch of rows and never a sheet.

Why not a library: openpyxl's write-only mode and XlsxWriter's ``constant_memory`` mode both
cost several microseconds per cell in generic machinery (a cell object, type checks, a format
lookup), and the gap report of a large organisation is about a million cells (BENCHMARKS.md, P5):
seconds either way, more than the whole report may take. The report needs four kinds of cell
(number, text, date-time, day), a bold header, column widths, a frozen header row and a filter;
this module writes exactly those, in the form XlsxWriter's ``constant_memory`` mode writes them
(inline strings, serial dates with a number format), which every spreadsheet reads.

Text is neutralised (``skillsmap.core.tabular.neutralise``) after the characters XML 1.0 forbids
are dropped (so that a stripped ``"\\x01=cmd"`` cannot turn into a formula), and written as an
inline string: never a formula, whatever it looks like. Blank cells are not written at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from skillsmap.core.tabular import FORMULA_TRIGGERS, Cell, neutralise

# A cell of an export: what an upload may hold, and moments and days (written as date cells).
ExportCell = Cell | datetime | date

# Excel shows a date cell by its format; these read the same in every locale.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"

# Style indices in styles.xml's cellXfs, below.
_BOLD, _DATETIME, _DATE = 1, 2, 3
# The serial dates' epoch (Excel's 1900 system; every date the reports hold is after 1900-03-01,
# where Excel's phantom 29 February 1900 no longer shifts the count).
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
# What XML 1.0 forbids (the same set as openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
# Text that needs more than copying: a forbidden character, XML markup, a leading formula trigger
# (``FORMULA_TRIGGERS``, checked properly by ``neutralise``), or white space at either end or a
# line break (kept only with xml:space="preserve").
_NEEDS_CARE = re.compile(
    r"[\000-\037&<>]|^\s|\s$|^(?:" + "|".join(re.escape(t) for t in FORMULA_TRIGGERS) + ")"
)
# Rows are joined and handed to the zip stream in batches of this many.
_FLUSH_ROWS = 500

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STYLES = (
    _XML_HEAD
    + f'<styleSheet xmlns="{_MAIN}">'
    + '<numFmts count="2">'
    + f'<numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/>'
    + f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/>'
    + "</numFmts>"
    + '<fonts count="2">'
    + '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    + '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    + "</fonts>"
    + '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    + '<fill><patternFill patternType="gray125"/></fill></fills>'
    + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    + '<cellXfs count="4">'
    + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    + '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    + '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    + "</cellXfs>"
    + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    + '<dxfs count="0"/><tableStyles count="0"/>'
    + "</styleSheet>"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def text_xml(value: str) -> str:
    """The ``<t>`` element of an inline string: neutralised, escaped, white space kept."""
    if not _NEEDS_CARE.search(value):
        return f"<t>{value}</t>"
    text = neutralise(_ILLEGAL.sub("", value))
    # A carriage return would read back as a line feed (XML normalises line ends): keep it.
    escaped = _escape(text).replace("\r", "&#13;")
    if text[:1].isspace() or text[-1:].isspace() or "\n" in text or "\r" in text:
        return f'<t xml:space="preserve">{escaped}</t>'
    return f"<t>{escaped}</t>"


def column_letter(number: int) -> str:
    """The letters of column ``number`` (from 1): ``A``, …, ``Z``, ``AA``, …"""
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def column_letters(count: int) -> list[str]:
    """The letters of the first ``count`` columns."""
    return [column_letter(number) for number in range(1, count + 1)]


def _serial(value: datetime) -> str:
    delta = value.replace(tzinfo=None) - _EPOCH
    return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)


def cell_xml(ref: str, value: ExportCell, style: int = 0) -> str:
    """One non-blank cell at ``ref`` (``value`` is neither ``None`` nor ``""``)."""
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is>{text_xml(value)}</is></c>'
    if kind is int or kind is float:
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if kind is Decimal:
        assert isinstance(value, Decimal)
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        # A day is a midnight to the file format; the number format shows the day alone.
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH_DAY).days}</v></c>'
    if isinstance(value, str | int | float):  # subclasses (a TextChoices member, say)
        return cell_xml(ref, str(value) if isinstance(value, str) else float(value), style)
    raise TypeError(f"Cannot write {value!r} to a cell.")


def _cells_xml(
    letters: Sequence[str], n: int, cells: Iterable[tuple[int, ExportCell]], style: int
) -> str:
    """Row ``n``'s non-blank cells of ``cells`` (column index from 0, value), by column. Text
    and whole numbers are written here without a call per cell: a large report has a million."""
    s = f' s="{style}"' if style else ""
    row = str(n)
    out: list[str] = []
    append = out.append
    care = _NEEDS_CARE.search
    for i, value in cells:
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if not value:
                continue
            t = f"<t>{value}</t>" if care(value) is None else text_xml(value)  # type: ignore[arg-type]
            append(f'<c r="{letters[i]}{row}"{s} t="inlineStr"><is>{t}</is></c>')
        elif kind is int:
            append(f'<c r="{letters[i]}{row}"><v>{value}</v></c>')
        else:
            append(cell_xml(letters[i] + row, value, style))
    return "".join(out)


class _Sheet:
    """One worksheet being written: its head (views, widths) goes out before its first row, its
    filter after its last."""

    def __init__(self, title: str, number: int, widths: Sequence[float]) -> None:
        self.title = title
        self.number = number
        self.widths = list(widths)
        self.frozen = False
        self.filter_ref = ""
        self.rows = 0
        self.stream: IO[bytes] | None = None
        self.pending: list[str] = []

    @property
    def path(self) -> str:
        return f"xl/worksheets/sheet{self.number}.xml"

    def head(self) -> str:
        selected = ' tabSelected="1"' if self.number == 1 else ""
        pane = (
            '<pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/>'
            '<selection pane="topRight"/><selection pane="bottomLeft"/>'
            '<selection pane="bottomRight" activeCell="B2" sqref="B2"/>'
            if self.frozen
            else ""
        )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{float(w)!r}" customWidth="1"/>'
            for i, w in enumerate(self.widths, start=1)
        )
        return (
            f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<sheetViews><sheetView{selected} workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )

    def tail(self) -> str:
        auto_filter = f'<autoFilter ref="{self.filter_ref}"/>' if self.filter_ref else ""
        margins = (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/>'
        )
        return f"</sheetData>{auto_filter}{margins}</worksheet>"


class Workbook:
    """Sheets written one at a time, in order; ``close`` returns the file's bytes.

    ``row`` takes every cell of a row; ``row_sparse`` a few leading cells and then only the
    non-blank ones by column, so that a wide table of mostly blank cells (a team's matrix) costs
    its filled cells and nothing for the rest."""

    def __init__(self, *, compresslevel: int = 1) -> None:
        self._buffer = io.BytesIO()
        # Level 1: the XML of a large report is tens of megabytes, and deflating it harder costs
        # seconds for a file a few per cent smaller.
        self._zip = zipfile.ZipFile(
            self._buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._sheets: list[_Sheet] = []
        self._sheet: _Sheet | None = None
        self._letters = column_letters(64)

    # --- sheets ---

    def sheet(self, title: str, *, widths: Sequence[float] = ()) -> None:
        """A new sheet named ``title`` (valid and unique already) with these column widths."""
        self._sheet_close()
        self._sheet = _Sheet(title, len(self._sheets) + 1, widths)
        self._sheets.append(self._sheet)

    def freeze_header(self) -> None:
        """Freeze the first row and column; before the sheet's first row."""
        sheet = self._current()
        assert sheet.stream is None, "panes are set before the sheet's first row"
        sheet.frozen = True

    def auto_filter(self, ref: str) -> None:
        self._current().filter_ref = ref

    @property
    def rows(self) -> int:
        """Rows written to the current sheet."""
        return self._current().rows

    # --- rows ---

    def _columns(self, count: int) -> list[str]:
        if count > len(self._letters):
            self._letters = column_letters(max(count, 2 * len(self._letters)))
        return self._letters

    def row(self, values: Sequence[ExportCell], *, style: int = 0) -> None:
        sheet = self._current()
        sheet.rows += 1
        n = sheet.rows
        cells = _cells_xml(self._columns(len(values)), n, enumerate(values), style)
        self._emit(sheet, f'<row r="{n}">{cells}</row>' if cells else "")

    def row_sparse(
        self, values: Sequence[ExportCell], cells: Sequence[tuple[int, ExportCell]]
    ) -> None:
        """``values`` from the first column on, then each ``(offset, value)`` of ``cells`` (by
        increasing offset) at ``len(values) + offset``; every other cell blank."""
        sheet = self._current()
        sheet.rows += 1
        n = sheet.rows
        start = len(values)
        letters = self._columns(start + (cells[-1][0] + 1 if cells else 0))
        xml = _cells_xml(letters, n, enumerate(values), 0)
        if cells:
            xml += _cells_xml(letters, n, ((start + i, value) for i, value in cells), 0)
        self._emit(sheet, f'<row r="{n}">{xml}</row>' if xml else "")

    def _emit(self, sheet: _Sheet, row: str) -> None:
        if sheet.stream is None:
            sheet.stream = self._zip.open(sheet.path, "w")
            sheet.stream.write(sheet.head().encode())
        if row:
            sheet.pending.append(row)
        if len(sheet.pending) >= _FLUSH_ROWS:
            sheet.stream.write("".join(sheet.pending).encode())
            sheet.pending.clear()

    def _current(self) -> _Sheet:
        assert self._sheet is not None, "a row belongs to a sheet: call sheet() first"
        return self._sheet

    def _sheet_close(self) -> None:
        sheet = self._sheet
        if sheet is None:
            return
        if sheet.stream is None:
            sheet.stream = self._zip.open(sheet.path, "w")
            sheet.stream.write(sheet.head().encode())
        sheet.stream.write(("".join(sheet.pending) + sheet.tail()).encode())
        sheet.pending.clear()
        sheet.stream.close()
        self._sheet = None

    # --- the package ---

    def close(self) -> bytes:
        self._sheet_close()
        if not self._sheets:
            self.sheet("Sheet")
            self._sheet_close()
        sheets = self._sheets
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.number - 1}" hidden="1">'
            f"{_escape(_absolute(s.title, s.filter_ref))}</definedName>"
            for s in sheets
            if s.filter_ref
        )
        parts = {
            "[Content_Types].xml": _XML_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + '<Default Extension="rels" '
            + 'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            + '<Default Extension="xml" ContentType="application/xml"/>'
            + '<Override PartName="/xl/workbook.xml" ContentType="application/'
            + 'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/{s.path}" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for s in sheets
            )
            + '<Override PartName="/xl/styles.xml" ContentType="application/'
            + 'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + '<Override PartName="/docProps/core.xml" '
            + 'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            + '<Override PartName="/docProps/app.xml" ContentType="application/'
            + 'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            + "</Types>",
            "_rels/.rels": _XML_HEAD
            + f'<Relationships xmlns="{_PKG_REL}">'
            + f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            + 'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            + f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
            + 'Target="docProps/app.xml"/>'
            + "</Relationships>",
            "docProps/core.xml": _XML_HEAD
            + "<cp:coreProperties xmlns:cp="
            + '"http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            + 'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>skillsmap</dc:creator>'
            + "</cp:coreProperties>",
            "docProps/app.xml": _XML_HEAD
            + "<Properties xmlns="
            + '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            + "<Application>skillsmap</Application></Properties>",
            "xl/workbook.xml": _XML_HEAD
            + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            + '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_attribute(s.title)}" sheetId="{s.number}" r:id="rId{s.number}"/>'
                for s in sheets
            )
            + "</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
            "xl/_rels/workbook.xml.rels": _XML_HEAD
            + f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{s.number}" Type="{_REL}/worksheet" '
                f'Target="worksheets/sheet{s.number}.xml"/>'
                for s in sheets
            )
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" '
            + 'Target="styles.xml"/>'
            + "</Relationships>",
            "xl/styles.xml": _STYLES,
        }
        for name, xml in parts.items():
            self._zip.writestr(name, xml)
        self._zip.close()
        return self._buffer.getvalue()


def _absolute(title: str, ref: str) -> str:
    """``'Sheet'!$A$1:$M$6`` for a sheet's filter range."""
    quoted = "'" + title.replace("'", "''") + "'"
    cells = ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
    return f"{quoted}!{cells}"


BOLD = _BOLD
