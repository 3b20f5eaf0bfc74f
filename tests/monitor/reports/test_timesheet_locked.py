"""A locked month's timesheet: the same bytes every export (XLSX and PDF), the names
and dates of those who signed, the lock's date and the punch log's chain head."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from monitor.reports.timesheet_export import export_timesheet
from monitor.store import Store
from tests.monitor.engine_helpers import ZONE
from tests.monitor.month_helpers import OCTOBER, bring_to


def _export(store: Store, policy, file_format: str, now: datetime) -> bytes:
    data, _sheets = export_timesheet(store, OCTOBER, policy.leave, file_format=file_format, organisation="UBND tỉnh",
                                     now=now, unit="SNV")
    return data


@pytest.fixture
def locked(october_copy: Store) -> Store:
    # SNV and the unit below it (PTC) share one file: both locked
    bring_to(october_copy, "locked", "SNV")
    bring_to(october_copy, "locked", "PTC")
    return october_copy


@pytest.mark.parametrize("file_format", ["xlsx", "pdf"])
def test_a_locked_month_exports_to_identical_bytes(locked: Store, policy, clock, file_format: str) -> None:
    first = _export(locked, policy, file_format, clock.now)
    clock.now += timedelta(hours=5, seconds=7)  # later, by a clock that moved on
    second = _export(locked, policy, file_format, clock.now)
    assert first == second
    assert first.startswith(b"%PDF" if file_format == "pdf" else b"PK")


def test_an_open_month_carries_the_time_of_the_export(october_copy: Store, policy, clock) -> None:
    first = _export(october_copy, policy, "xlsx", clock.now)
    second = _export(october_copy, policy, "xlsx", clock.now + timedelta(minutes=1))
    assert first != second


def test_the_signature_block_names_who_signed_and_the_lock(locked: Store, policy, clock) -> None:
    data = _export(locked, policy, "xlsx", clock.now)
    sheet = load_workbook(BytesIO(data))["SNV"]
    texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    for name in ("Hoàng Thị Chấm", "Phạm Quốc Hùng", "Ngô Văn Duyệt"):
        assert name in texts
    assert "Ngày 26 tháng 11 năm 2026" in texts and "26/11/2026" in texts
    head_id, digest = locked.month_steps("SNV", "2026-10")[-1]["chain_head"].split(":")
    [lock_line] = [t for t in texts if t.startswith("Khoá sổ")]
    assert lock_line == (f"Khoá sổ lúc 09:00 ngày 26/11/2026 (Đỗ Thị Nhân). Nhật ký chấm công đến bản ghi số {head_id},"
                         f" mã chuỗi {digest}.")
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 26, 9, 0, 0)}
        assert b"2026-11-26T02:00:00Z" in archive.read("docProps/core.xml")


def test_the_pdf_carries_the_lock_and_the_names(locked: Store, policy, clock) -> None:
    data = _export(locked, policy, "pdf", clock.now)
    assert b"/CreationDate (D:20261126" in data
    # the text is in subset-font glyph ids; what can be checked without a PDF reader is
    # that both units' pages are there and the fonts are embedded
    assert data.count(b"/Type /Page\n") == 2 or data.count(b"/Type /Page") >= 2
    assert b"/FontFile2" in data
