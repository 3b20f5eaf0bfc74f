"""Worksheet rows written as SpreadsheetML text, for sheets too big for an object a cell.

openpyxl builds, checks and serialises an object for every cell it writes, some 20 µs a
cell even in write-only mode; a province's C01-HD has 400,000 cells, which made that
the bulk of the export's time. Below its head, the form holds only numbers and text in
a handful of named styles, so those rows are written here as openpyxl would write them
(a number as ``t="n"``, text as an inline string, never a formula) and put into the
``<sheetData>`` of the workbook openpyxl saved (:func:`insert_rows`). The workbook, its
styles, merged cells, widths and print setup stay openpyxl's.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

SHEET_DATA_END = b"</sheetData>"


def _text(value: str) -> str:
    """XML character data; a carriage return is kept as a reference (a parser would
    otherwise read it as a line feed)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _after_reference(value: object, style: int) -> str:
    """A cell's XML after its reference (``r="D12``): the style, the type and the value."""
    if value is None:
        return f'" s="{style}" t="n"/>'
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
        if not value:
            return f'" s="{style}" t="inlineStr"/>'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'" s="{style}" t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a timesheet cell holds a number or text, not {value!r}")
    return f'" s="{style}" t="n"><v>{value:.16g}</v></c>'


class SheetRows:
    """Rows of one sheet in order, as the XML of their cells.

    Equal cells (a day's ``+`` in the same style) are serialised once: a month has a
    handful of symbols, a province 300,000 day cells."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._tails: dict[tuple[type, object, int], str] = {}
        self._letters: list[str] = [""]
        self.last_row = 0

    def add(self, row: int, cells: Iterable[tuple[int, object, int]]) -> None:
        """Row ``row`` (after the rows added before it) with ``(column, value, style id)`` cells."""
        if row <= self.last_row:
            raise ValueError(f"row {row} comes after row {self.last_row}")
        self.last_row = row
        number = str(row)
        parts = self._parts
        parts.append(f'<row r="{number}">')
        for column, value, style in cells:
            key = (type(value), value, style)
            tail = self._tails.get(key)
            if tail is None:
                tail = self._tails[key] = _after_reference(value, style)
            parts.append('<c r="' + self._letter(column) + number + tail)
        parts.append("</row>")

    def _letter(self, column: int) -> str:
        while len(self._letters) <= column:
            self._letters.append(get_column_letter(len(self._letters)))
        return self._letters[column]

    def xml(self) -> bytes:
        return "".join(self._parts).encode("utf-8")


def insert_rows(sheet_xml: bytes, rows: bytes, name: str) -> bytes:
    """``sheet_xml`` with ``rows`` at the end of its ``<sheetData>`` (which must hold the
    rows openpyxl wrote, so that it has its closing tag)."""
    if sheet_xml.count(SHEET_DATA_END) != 1:
        raise ValueError(f"{name}: the worksheet has no single {SHEET_DATA_END.decode()} to add rows before")
    return sheet_xml.replace(SHEET_DATA_END, rows + SHEET_DATA_END)
