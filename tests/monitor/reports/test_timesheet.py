"""The monthly timesheet (Bảng chấm công, Mẫu số C01-HD): symbols, totals, the workbook."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from drivers.base import Punch
from monitor.config import Config
from monitor.engine.leave import LeaveConfig
from monitor.reports.period import Month
from monitor.reports.timesheet import build_timesheets, column_for, split_symbol
from monitor.reports.timesheet_xlsx import write_timesheets
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW

SYMBOLS = LeaveConfig()
NOVEMBER = Month(2026, 11)


@pytest.mark.parametrize(
    ("symbol", "parts", "columns"),
    [
        pytest.param("+", ["+"], ["paid_by_time"], id="worked"),
        pytest.param("CT", ["CT"], ["paid_by_time"], id="business-trip-counts-as-work"),
        pytest.param("P", ["P"], ["paid_by_time"], id="annual-leave-paid"),
        pytest.param("KL", ["KL"], ["unpaid"], id="unpaid-leave"),
        pytest.param("Ô", ["Ô"], ["insurance"], id="sick-paid-by-insurance"),
        pytest.param("TS", ["TS"], ["insurance"], id="maternity"),
        pytest.param("KP", ["KP"], [None], id="unexcused-absence-counts-nowhere"),
        pytest.param("L", ["L"], [None], id="holiday-counts-nowhere"),
        pytest.param("P/+", ["P", "+"], ["paid_by_time", "paid_by_time"], id="half-leave-half-work"),
        pytest.param("Ô/KP", ["Ô", "KP"], ["insurance", None], id="half-sick-half-absent"),
    ],
)
def test_symbols_and_their_columns(symbol: str, parts: list[str], columns: list[str | None]) -> None:
    assert split_symbol(symbol, SYMBOLS) == parts
    assert [column_for(part, SYMBOLS) for part in parts] == columns


@pytest.fixture
def judged(store: Store) -> Store:
    store.upsert_units(
        [{"code": "SNV", "name": "Sở Nội vụ"}, {"code": "SNV-TC", "name": "Phòng Tổ chức", "parent_code": "SNV"}], actor="t"
    )
    store.upsert_employees(
        [
            {"code": "NV1", "full_name": "Trần Văn Bình", "unit_code": "SNV", "grade": "01.003 bậc 2", "hired_on": "2026-01-01"},
            {"code": "NV2", "full_name": "Đỗ Thị An", "unit_code": "SNV", "grade": "01.003 bậc 4", "hired_on": "2026-01-01"},
            {"code": "NV3", "full_name": "Lê Minh Tâm", "unit_code": "SNV-TC", "hired_on": "2026-01-01"},
        ],
        actor="t",
    )
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": str(n), "employee_code": f"NV{n}"} for n in (1, 2, 3)], actor="t")
    punches = []
    for day in range(2, 26):
        when = date(2026, 11, day)
        if when.weekday() >= 5 or day == 24:  # weekends; 24/11 is a public holiday
            continue
        for user in ("1", "2", "3"):
            if user == "3" and day == 10:
                continue  # NV3 absent without leave on 10/11
            punches += [Punch(user, datetime(2026, 11, day, 7, 25)), Punch(user, datetime(2026, 11, day, 17, 5))]
    store.add_punches("gate", punches, source="file")
    store.add_leave("NV2", date(2026, 11, 12), date(2026, 11, 13), part="full", kind="Ô", reason="Ốm", actor="hr")
    store.add_leave("NV1", date(2026, 11, 19), date(2026, 11, 19), part="morning", kind="P", reason="Việc riêng", actor="hr")
    Evaluation(store, Config(path=None).policy, FIXED_NOW).run()
    return store


def test_timesheet_rows_and_totals(judged: Store) -> None:
    sheets = build_timesheets(judged, NOVEMBER, SYMBOLS)
    assert [sheet.unit_code for sheet in sheets] == ["SNV", "SNV-TC"]
    snv = sheets[0]
    assert [row.name for row in snv.rows] == ["Đỗ Thị An", "Trần Văn Bình"]  # by given name: An before Bình
    an, binh = snv.rows
    assert (an.symbols[12], an.symbols[13], an.symbols[24]) == ("Ô", "Ô", "L")
    assert binh.symbols[19] == "P/+"
    assert 26 not in binh.symbols  # today: still provisional, left blank
    # 2..25/11: 17 working days (24/11 is a holiday)
    assert (an.paid_by_time, an.unpaid, an.insurance) == (15, 0, 2)
    assert (binh.paid_by_time, binh.unpaid, binh.insurance) == (17, 0, 0)
    tam = sheets[1].rows[0]
    assert (tam.symbols[10], tam.paid_by_time) == ("KP", 16)
    assert snv.holidays == {24}
    assert snv.totals() == (32, 0, 2)


def test_one_unit_and_its_subunits(judged: Store) -> None:
    assert [s.unit_code for s in build_timesheets(judged, NOVEMBER, SYMBOLS, "SNV-TC")] == ["SNV-TC"]


def test_the_workbook_follows_form_c01_hd(judged: Store, tmp_path: Path) -> None:
    path = tmp_path / "bang-cham-cong.xlsx"
    write_timesheets(build_timesheets(judged, NOVEMBER, SYMBOLS), path, organisation="UBND tỉnh (mẫu)", symbols=SYMBOLS)
    book = load_workbook(path)
    assert book.sheetnames == ["SNV", "SNV-TC"]
    sheet = book["SNV"]
    assert sheet["A1"].value == "Đơn vị: UBND tỉnh (mẫu)"
    assert sheet["A2"].value == "Bộ phận: Sở Nội vụ"
    assert sheet["A5"].value == "BẢNG CHẤM CÔNG"
    assert sheet["A6"].value == "Tháng 11 năm 2026"
    texts = {cell.value for row in sheet.iter_rows(max_row=11) for cell in row if cell.value}
    assert {"Mẫu số C01-HD", "Số TT", "Họ và tên", "Ngày trong tháng", "Quy ra công", "Số công hưởng BHXH"} <= texts
    header = [cell.value for cell in sheet[11]]
    assert header[:4] == ["A", "B", "C", 1] and header[-3:] == [32, 33, 34] and len(header) == 3 + 30 + 3
    first = [cell.value for cell in sheet[12]]
    assert first[:3] == [1, "Đỗ Thị An", "01.003 bậc 4"]
    assert first[-3:] == [15, 0, 2]
    total = [cell.value for cell in sheet[14]]
    assert total[1] == "Cộng" and total[-3:] == [32, 0, 2]
    assert sheet.cell(row=12, column=3 + 1).fill.start_color.rgb.endswith("D9D9D9")  # 1/11 is a Sunday: shaded
    assert sheet.page_setup.orientation == "landscape"
    assert sheet["B12"].font.name == "Times New Roman"
    legend = [cell.value for cell in sheet["B"] if isinstance(cell.value, str) and ":" in cell.value]
    assert "Ô: Ốm, điều dưỡng" in legend and "KL: Nghỉ không lương" in legend
    signatures = {cell.value for row in sheet.iter_rows(min_row=15) for cell in row if cell.value}
    assert {"Người chấm công", "Phụ trách bộ phận", "Người duyệt"} <= signatures


def test_export_command(run, initialized: Path, tmp_path: Path) -> None:
    store = Store(initialized, zone=FIXED_NOW.tzinfo)
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
    store.upsert_employees([{"code": "NV1", "full_name": "Trần Văn Bình", "unit_code": "SNV", "hired_on": "2026-01-01"}], actor="t")
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": "1", "employee_code": "NV1"}], actor="t")
    store.add_punches("gate", [Punch("1", datetime(2026, 11, 2, 7, 20)), Punch("1", datetime(2026, 11, 2, 17, 10))], source="file")
    store.close()
    assert run("evaluate").exit_code == 0
    target = tmp_path / "out.xlsx"
    result = run("export", "timesheet", "--month", "2026-11", "--output", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target}: 1 unit sheet(s), 1 employee(s), month 2026-11.\n"
    assert load_workbook(target)["SNV"]["B12"].value == "Trần Văn Bình"


def test_the_whole_form_keeps_its_styles_merges_and_print_setup(judged: Store, tmp_path: Path) -> None:
    """Every cell of the table boxed, days off shaded from the day numbers down, the head
    in 9 pt bold, the body in 10 pt, the sum bold; the merged head, the widths, the frozen
    panes and A4 landscape printing with the head on every page."""
    path = tmp_path / "bang-cham-cong.xlsx"
    write_timesheets(build_timesheets(judged, NOVEMBER, SYMBOLS), path, organisation="UBND tỉnh (mẫu)", symbols=SYMBOLS)
    sheet = load_workbook(path)["SNV"]
    last = 3 + 30 + 3  # AJ
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"AA1:AJ1", "AA2:AJ3", "A5:AJ5", "A6:AJ6", "A7:AJ7", "A9:A10", "B9:B10", "C9:C10", "D9:AG9", "AH9:AJ9"} <= merged
    weekend_or_holiday = {3 + day for day in range(1, 31) if date(2026, 11, day).weekday() >= 5 or day == 24}
    for row in range(9, 15):  # head (9-11), two people (12-13), the sum (14)
        for column in range(1, last + 1):
            cell = sheet.cell(row=row, column=column)
            if isinstance(cell, MergedCell):
                continue  # openpyxl reads a merged range's inner cells as its own placeholders
            assert cell.border.left.style == cell.border.bottom.style == "thin", cell.coordinate
            shaded = column in weekend_or_holiday and row > 9
            assert cell.fill.start_color.rgb.endswith("D9D9D9") == shaded, cell.coordinate
            if row <= 11 and column == 1:
                assert (cell.font.sz, cell.font.b) == (9, True)
    assert (sheet["B12"].font.sz, sheet["B12"].font.b, sheet["D12"].alignment.horizontal) == (10, False, "center")
    assert sheet["B14"].font.b and sheet["AH14"].font.b and sheet["AH14"].value == 32
    assert [sheet.column_dimensions[c].width for c in ("A", "B", "C", "D", "AH")] == [5, 24, 14, 4.2, 9]
    assert sheet.row_dimensions[10].height == 48
    assert sheet.freeze_panes == "D12" and sheet.print_title_rows == "$9:$11"
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize, sheet.page_setup.fitToWidth) == ("landscape", 9, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_names_keep_their_exact_text_and_stay_text(judged: Store, tmp_path: Path) -> None:
    sheets = build_timesheets(judged, NOVEMBER, SYMBOLS)
    first = sheets[0].rows[0]
    first.name, first.grade = ' =1+1 & <b>"x"</b> ', "\rCR\tbậc 2"
    path = tmp_path / "t.xlsx"
    write_timesheets(sheets, path, organisation="UBND", symbols=SYMBOLS)
    cells = load_workbook(path)["SNV"]
    assert (cells["B12"].value, cells["B12"].data_type) == (' =1+1 & <b>"x"</b> ', "s")
    assert (cells["C12"].value, cells["C12"].data_type) == ("\rCR\tbậc 2", "s")
