"""Leave records in the store, and importing them from CSV/XLSX files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.errors import InputFileError, NotFound, Refused
from monitor.imports.leave import import_leave, read_leave_file
from monitor.store import Store

D = date.fromisoformat


def dirty(store: Store) -> list[tuple[str, str]]:
    return list(store.db.conn.execute("SELECT employee_code, day FROM dirty_days ORDER BY employee_code, day"))


def test_adding_leave_is_audited_and_marks_its_days_dirty(directory: Store) -> None:
    store = directory
    store.db.conn.execute("DELETE FROM dirty_days")
    leave_id = store.add_leave("NV001", D("2026-11-19"), D("2026-11-20"), part="full", kind="P",
                               reason="Việc gia đình", actor="hr:lan")
    row = store.leave_record(leave_id)
    assert (row["employee_code"], row["kind"], row["created_by"]) == ("NV001", "P", "hr:lan")
    assert dirty(store) == [("NV001", "2026-11-19"), ("NV001", "2026-11-20")]
    audit = store.audit_log("leave", str(leave_id))[0]
    assert (audit["action"], audit["actor"], audit["reason"]) == ("add", "hr:lan", "Việc gia đình")
    assert json.loads(audit["after"])["date_to"] == "2026-11-20"


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        pytest.param(("2026-11-19", "2026-11-21", "full"), ("2026-11-21", "2026-11-22", "morning"), "2026-11-21",
                     id="full day holds every part"),
        pytest.param(("2026-11-19", "2026-11-19", "morning"), ("2026-11-18", "2026-11-20", "full"), "2026-11-19",
                     id="a full day over a half day"),
        pytest.param(("2026-11-10", "2026-11-30", "morning"), ("2026-11-12", "2026-11-13", "morning"),
                     "2026-11-12..2026-11-13", id="same half, a span"),
    ],
)
def test_overlapping_leave_is_refused_naming_the_record(directory: Store, existing, new, clash) -> None:
    first = directory.add_leave("NV001", D(existing[0]), D(existing[1]), part=existing[2], kind="P", reason="a",
                                actor="hr")
    with pytest.raises(Refused) as caught:
        directory.add_leave("NV001", D(new[0]), D(new[1]), part=new[2], kind="Ô", reason="b", actor="hr")
    span = existing[0] if existing[0] == existing[1] else f"{existing[0]}..{existing[1]}"
    assert str(caught.value) == (
        f"NV001: leave #{first} (P, {span}, {existing[2]}) already covers {clash};"
        f" remove it first (monitor leave remove {first} --reason ...) or change the dates"
    )


def test_morning_and_afternoon_of_the_same_day_can_both_be_on_leave(directory: Store) -> None:
    directory.add_leave("NV001", D("2026-11-19"), D("2026-11-19"), part="morning", kind="P", reason="a", actor="hr")
    directory.add_leave("NV001", D("2026-11-19"), D("2026-11-19"), part="afternoon", kind="Ô", reason="b", actor="hr")
    directory.add_leave("NV002", D("2026-11-19"), D("2026-11-19"), part="full", kind="P", reason="c", actor="hr")
    assert len(directory.leave_records()) == 3


def test_removed_leave_stays_on_record_and_frees_the_days(directory: Store) -> None:
    store = directory
    leave_id = store.add_leave("NV001", D("2026-11-19"), D("2026-11-19"), part="full", kind="P", reason="a", actor="hr")
    store.db.conn.execute("DELETE FROM dirty_days")
    store.remove_leave(leave_id, reason="Nhập nhầm", actor="hr:lan")
    assert dirty(store) == [("NV001", "2026-11-19")]
    assert store.leave_records() == []
    kept = store.leave_records(include_removed=True)[0]
    assert (kept["removed_by"], kept["removed_reason"]) == ("hr:lan", "Nhập nhầm")
    assert store.audit_log("leave", str(leave_id))[0]["action"] == "remove"
    store.add_leave("NV001", D("2026-11-19"), D("2026-11-19"), part="full", kind="Ô", reason="b", actor="hr")
    with pytest.raises(Refused, match=rf"leave #{leave_id} was already removed on 2026-11-26T09:00:00\+07:00 by hr:lan"):
        store.remove_leave(leave_id, reason="again", actor="hr")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(lambda s: s.add_leave("NV999", D("2026-11-19"), D("2026-11-19"), part="full", kind="P",
                                           reason="a", actor="hr"),
                     NotFound, "no employee 'NV999' (import employees first, or check the code)", id="unknown employee"),
        pytest.param(lambda s: s.add_leave("NV001", D("2026-11-20"), D("2026-11-19"), part="full", kind="P",
                                           reason="a", actor="hr"),
                     Refused, "the leave ends (2026-11-19) before it starts (2026-11-20)", id="backwards"),
        pytest.param(lambda s: s.add_leave("NV001", D("2026-11-19"), D("2026-11-19"), part="full", kind="P",
                                           reason="  ", actor="hr"),
                     Refused, "give a reason (it is kept in the audit trail)", id="no reason"),
        pytest.param(lambda s: s.remove_leave(404, reason="x", actor="hr"),
                     NotFound, "no leave #404 (list them with 'monitor leave list')", id="no such record"),
    ],
)
def test_refusals(directory: Store, call, error, message) -> None:
    with pytest.raises(error) as caught:
        call(directory)
    assert str(caught.value) == message


# --- import ------------------------------------------------------------------------------

CSV_TEXT = (
    "Mã NV;Từ ngày;Đến ngày;Buổi;Loại;Lý do\n"
    "NV001;19/11/2026;20/11/2026;cả ngày;P;Nghỉ phép năm\n"
    "NV002;2026-11-19;;sáng;o;Ốm\n"
    "NV002;2026-11-23;2026-11-27;;CT;Công tác Hà Nội\n"
)


def write(tmp_path: Path, text: str, name: str = "leave.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" + text).encode("utf-8"))  # Excel's BOM
    return path


def test_import_a_csv_twice_changes_nothing_the_second_time(directory: Store, policy, tmp_path: Path) -> None:
    path = write(tmp_path, CSV_TEXT)
    first = import_leave(directory, read_leave_file(path, policy.leave), actor="hr", skip_bad=False)
    assert (first.added, first.unchanged, first.problems) == (3, 0, [])
    records = directory.leave_records()
    assert [(r["employee_code"], r["date_from"], r["date_to"], r["part"], r["kind"]) for r in records] == [
        ("NV001", "2026-11-19", "2026-11-20", "full", "P"),
        ("NV002", "2026-11-19", "2026-11-19", "morning", "Ô"),
        ("NV002", "2026-11-23", "2026-11-27", "full", "CT"),
    ]
    again = import_leave(directory, read_leave_file(path, policy.leave), actor="hr", skip_bad=False)
    assert (again.added, again.unchanged) == (0, 3)
    assert len(directory.leave_records()) == 3


BAD_ROWS = CSV_TEXT + (
    "NV001;2026-11-20;;;Ô;Trùng ngày\n"
    "NV003;31/02/2026;;;P;Ngày sai\n"
    "NV003;2026-11-30;;;ZZ;Loại sai\n"
    "NV404;2026-11-30;;chiều;P;Không có người này\n"
)
BAD_PROBLEMS = [
    (5, "NV001: leave #1 (P, 2026-11-19..2026-11-20, full) already covers 2026-11-20; remove it first"
        " (monitor leave remove 1 --reason ...) or change the dates"),
    (6, "'31/02/2026' is not a date (use 2025-03-01 or 01/03/2025)"),
    (7, "unknown leave kind 'ZZ' (known: P, Ô, Cô, TS, T, H, NB, KL, N, LĐ, CT; add local codes under [leave.kinds]"
        " in the config)"),
    (8, "no employee 'NV404' (import employees first, or check the code)"),
]


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(directory: Store, policy, tmp_path: Path) -> None:
    path = write(tmp_path, BAD_ROWS)
    with pytest.raises(InputFileError) as caught:
        import_leave(directory, read_leave_file(path, policy.leave), actor="hr", skip_bad=False)
    assert caught.value.problems == BAD_PROBLEMS
    assert directory.leave_records() == []


def test_skip_bad_imports_the_good_rows(directory: Store, policy, tmp_path: Path) -> None:
    path = write(tmp_path, BAD_ROWS)
    result = import_leave(directory, read_leave_file(path, policy.leave), actor="hr", skip_bad=True)
    assert (result.added, result.problems) == (3, BAD_PROBLEMS)


def test_import_xlsx_with_date_cells(directory: Store, policy, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["employee", "from", "to", "part", "kind", "reason"])
    sheet.append(["NV001", date(2026, 11, 16), None, "afternoon", "H", "Tập huấn"])
    path = tmp_path / "leave.xlsx"
    book.save(path)
    result = import_leave(directory, read_leave_file(path, policy.leave), actor="hr", skip_bad=False)
    assert result.added == 1
    record = directory.leave_records()[0]
    assert (record["date_from"], record["date_to"], record["part"], record["kind"]) == (
        "2026-11-16", "2026-11-16", "afternoon", "H")


def test_a_file_without_the_needed_columns(policy, tmp_path: Path) -> None:
    path = write(tmp_path, "employee,from\nNV001,2026-11-19\n")
    with pytest.raises(InputFileError, match=r"leave.csv:1: missing column\(s\): kind \(loại, loai\); reason \(lý do, ly do\)"):
        read_leave_file(path, policy.leave)
