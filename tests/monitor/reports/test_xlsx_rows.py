"""Rows written as SpreadsheetML text: what openpyxl reads back from them, and the
mistakes they refuse."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from monitor.reports.timesheet_xlsx import reproducible_zip
from monitor.reports.xlsx_rows import SheetRows, insert_rows


def _read_back(rows: SheetRows) -> dict[str, tuple[object, str]]:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("S")
    sheet.append(["head"])
    buffer = BytesIO()
    book.save(buffer)
    from datetime import datetime

    data = reproducible_zip(buffer.getvalue(), datetime(2026, 11, 1), {"xl/worksheets/sheet1.xml": rows.xml()})
    loaded = load_workbook(BytesIO(data))["S"]
    return {cell.coordinate: (cell.value, cell.data_type) for row in loaded.iter_rows() for cell in row
            if cell.value is not None}


def test_numbers_text_and_blanks_read_back_as_written() -> None:
    rows = SheetRows()
    rows.add(2, [(1, 7, 0), (2, 2.5, 0), (3, "=SUM(A1)", 0), (4, "", 0), (5, None, 0), (27, "Lê Ánh & Cô", 0)])
    rows.add(4, [(2, " lề ", 0)])
    assert _read_back(rows) == {
        "A1": ("head", "s"), "A2": (7, "n"), "B2": (2.5, "n"), "C2": ("=SUM(A1)", "s"), "AA2": ("Lê Ánh & Cô", "s"),
        "B4": (" lề ", "s"),
    }


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        pytest.param([(1, "a\x01b", 0)], IllegalCharacterError, id="control-character"),
        pytest.param([(1, True, 0)], TypeError, id="not-a-number-or-text"),
    ],
)
def test_values_a_sheet_cannot_hold_are_refused(cells, error) -> None:
    with pytest.raises(error):
        SheetRows().add(1, cells)


def test_rows_go_down_only() -> None:
    rows = SheetRows()
    rows.add(3, [])
    with pytest.raises(ValueError, match="row 3 comes after row 3"):
        rows.add(3, [])


def test_a_sheet_without_its_data_end_is_refused() -> None:
    with pytest.raises(ValueError, match="sheet9.xml: the worksheet has no single </sheetData>"):
        insert_rows(b"<worksheet><sheetData/></worksheet>", b"<row r='1'/>", "sheet9.xml")
