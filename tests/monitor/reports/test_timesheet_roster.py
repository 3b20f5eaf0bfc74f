"""A locked month's timesheet keeps the names it was locked with: renaming, promoting or
moving someone, or renaming a unit, after the lock leaves the XLSX and the PDF byte for
byte as they were; a reopen and a new lock take the new names; an open month (and one
locked before locks froze names) shows the directory as it is now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from monitor.engine.policy import OfficePolicy
from monitor.reports.timesheet_export import export_timesheet
from monitor.service.evaluation import Evaluation
from monitor.service.month_close import take_step
from monitor.store import Store
from tests.monitor.month_helpers import NOW, OCTOBER, TODAY, bring_to, sheet_texts


def _export(store: Store, policy: OfficePolicy, file_format: str, now) -> bytes:
    data, _sheets = export_timesheet(store, OCTOBER, policy.leave, file_format=file_format, organisation="UBND tỉnh",
                                     now=now, unit="UBND")
    return data


def _employee(store: Store, code: str, **changes: str) -> None:
    row = store.employee(code)
    store.upsert_employees([{"code": code, "unit_code": row["unit_code"], **changes}], actor="hr",
                           reason="sửa danh bạ sau khoá sổ")


def _reopen(store: Store, unit: str) -> None:
    take_step(store, "reopen", unit, OCTOBER, "nhansu", today=TODAY, reason="sửa tên sau khoá sổ")


def _lock_again(store: Store, unit: str) -> None:
    # HR submits: a unit moved under another has left its old timekeeper's reach
    for step, user in (("submit", "nhansu"), ("confirm", f"truong{unit.lower()}"), ("approve", "truongubnd"),
                       ("lock", "nhansu")):
        take_step(store, step, unit, OCTOBER, user, today=TODAY)


def _unit(store: Store, code: str, **changes: str) -> None:
    store.upsert_units([{"code": code, **changes}], actor="hr", reason="đổi tên đơn vị")


# each change after the lock, and what the live directory then says on the sheet
CHANGES: dict[str, tuple[Callable[[Store], None], str, str]] = {
    "employee renamed": (lambda s: _employee(s, "NV001", full_name="Nguyễn Thị Hoa Mai"), "SNV", "Nguyễn Thị Hoa Mai"),
    "grade changed": (lambda s: _employee(s, "NV002", grade="Chuyên viên chính, bậc 3"), "PTC", "Chuyên viên chính, bậc 3"),
    "title set": (lambda s: _employee(s, "NV001", title="Phó Giám đốc"), "SNV", "Phó Giám đốc"),
    "unit renamed": (lambda s: _unit(s, "SNV", name="Sở Nội vụ tỉnh Ninh Bình"), "SNV",
                     "Bộ phận: Sở Nội vụ tỉnh Ninh Bình"),
    "parent unit renamed": (lambda s: _unit(s, "UBND", name="Ủy ban nhân dân tỉnh Ninh Bình"), "SNV",
                            "Đơn vị: Ủy ban nhân dân tỉnh Ninh Bình"),
    "unit moved under another": (lambda s: _unit(s, "PTC", parent_code="STC"), "PTC", "Đơn vị: Sở Tài chính"),
    "employee moved to another unit": (lambda s: _employee(s, "NV001", unit_code="STC", grade="Chuyên viên"), "SNV",
                                       "Chuyên viên"),
}


@pytest.fixture
def locked(october_copy: Store) -> Store:
    # UBND has no judged days (no sheet); SNV and PTC both are locked
    bring_to(october_copy, "locked", "SNV")
    bring_to(october_copy, "locked", "PTC")
    return october_copy


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_after_the_lock_leaves_both_files_as_signed(locked: Store, policy, clock, change: str) -> None:
    make_change, _sheet, _shown = CHANGES[change]
    before = {fmt: _export(locked, policy, fmt, clock.now) for fmt in ("xlsx", "pdf")}
    make_change(locked)
    Evaluation(locked, policy, NOW).run()  # the collector judges whatever the change marked
    clock.now += timedelta(days=3)
    after = {fmt: _export(locked, policy, fmt, clock.now) for fmt in ("xlsx", "pdf")}
    assert after == before


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_reopen_and_a_new_lock_take_the_new_names(locked: Store, policy, clock, change: str) -> None:
    make_change, sheet, shown = CHANGES[change]
    make_change(locked)
    assert shown not in sheet_texts(_export(locked, policy, "xlsx", clock.now))[sheet]
    _reopen(locked, sheet)  # HR reopens ...
    assert shown in sheet_texts(_export(locked, policy, "xlsx", clock.now))[sheet]  # ... and the month is live again
    Evaluation(locked, policy, NOW).run()
    _lock_again(locked, sheet)
    relocked = _export(locked, policy, "xlsx", clock.now)
    assert shown in sheet_texts(relocked)[sheet]
    assert _export(locked, policy, "xlsx", clock.now + timedelta(hours=1)) == relocked  # frozen again


def test_an_open_month_shows_the_new_names_at_once(october_copy: Store, policy, clock) -> None:
    bring_to(october_copy, "approved", "SNV")  # signed, but not locked: still the directory's word
    _employee(october_copy, "NV001", full_name="Nguyễn Thị Hoa Mai", grade="Chuyên viên")
    _unit(october_copy, "SNV", name="Sở Nội vụ tỉnh Ninh Bình")
    texts = sheet_texts(_export(october_copy, policy, "xlsx", clock.now))["SNV"]
    assert {"Nguyễn Thị Hoa Mai", "Chuyên viên", "Bộ phận: Sở Nội vụ tỉnh Ninh Bình"} <= set(texts)
    assert "Nguyễn Thị Hoa" not in texts


def test_the_locked_sheet_and_the_open_one_in_one_file(october_copy: Store, policy, clock) -> None:
    """SNV locked, PTC below it still open: one workbook, each sheet by its own month's rule."""
    bring_to(october_copy, "locked", "SNV")
    _employee(october_copy, "NV001", full_name="Nguyễn Thị Hoa Mai")
    _employee(october_copy, "NV002", full_name="Trần Văn Bình An")
    texts = sheet_texts(_export(october_copy, policy, "xlsx", clock.now))
    assert "Nguyễn Thị Hoa" in texts["SNV"] and "Nguyễn Thị Hoa Mai" not in texts["SNV"]
    assert "Trần Văn Bình An" in texts["PTC"]


def test_the_lock_freezes_what_the_sheet_shows(locked: Store) -> None:
    rows = locked.query("SELECT unit_code, kind, code, name, detail FROM month_roster WHERE month = '2026-10'"
                        " ORDER BY unit_code, kind, code")
    assert [tuple(r.values()) for r in rows] == [
        ("PTC", "employee", "NV002", "Trần Văn Bình", ""),
        ("PTC", "unit", "PTC", "Phòng Tổ chức", "Sở Nội vụ"),
        ("SNV", "employee", "NV001", "Nguyễn Thị Hoa", ""),
        ("SNV", "unit", "SNV", "Sở Nội vụ", "UBND tỉnh Ninh Bình"),
    ]
    [lock] = locked.audit_log("month", "SNV/2026-10", limit=1)
    assert lock["action"] == "lock" and '"roster": "' in lock["after"]


def test_a_reopen_drops_the_frozen_names_on_the_record(locked: Store) -> None:
    _reopen(locked, "SNV")
    assert locked.month_rosters("2026-10", ["SNV", "PTC"]).keys() == {"PTC"}
    [reopen] = locked.audit_log("month", "SNV/2026-10", limit=1)
    assert (reopen["action"], reopen["reason"]) == ("reopen", "sửa tên sau khoá sổ")
    assert '"roster": "' in reopen["before"] and '"state": "locked"' in reopen["before"]
    assert locked.verify_integrity().ok


def test_the_cli_export_of_a_locked_month_keeps_the_frozen_names(locked: Store, run, tmp_path) -> None:
    target = tmp_path / "c01.xlsx"
    assert run("export", "timesheet", "--month", "2026-10", "--unit", "SNV", "--output", target).exit_code == 0
    signed = target.read_bytes()
    _employee(locked, "NV001", full_name="Nguyễn Thị Hoa Mai")
    result = run("export", "timesheet", "--month", "2026-10", "--unit", "SNV", "--output", target)
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == signed
    assert "Nguyễn Thị Hoa" in sheet_texts(signed)["SNV"]
