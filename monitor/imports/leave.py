"""``monitor import leave FILE``: leave records from a CSV (UTF-8, Excel's BOM welcome,
comma or semicolon) or XLSX file.

Columns (English or Vietnamese headings): ``employee`` (mã NV), ``from`` (từ ngày),
``to`` (đến ngày, optional), ``part`` (buổi: full/morning/afternoon or cả ngày/sáng/
chiều, optional), ``kind`` (loại: P, Ô, CT, ...), ``reason`` (lý do). Dates ISO or
dd/mm/yyyy. Every row is checked first; by default one bad row imports nothing.
A record identical to one already stored is skipped, so importing a file twice
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from monitor.engine.leave import PARTS, LeaveConfig
from monitor.errors import InputFileError, MonitorError
from monitor.imports.tables import control_character, normalize_header, parse_date, read_rows
from monitor.store import Store

COLUMNS = {
    "employee": ("employee code", "employee_code", "code", "mã nv", "ma nv", "mã nhân viên", "mã cán bộ"),
    "from": ("date from", "date_from", "từ ngày", "tu ngay", "ngày bắt đầu"),
    "to": ("date to", "date_to", "đến ngày", "den ngay", "ngày kết thúc"),
    "part": ("buổi", "buoi"),
    "kind": ("loại", "loai", "ký hiệu", "ky hieu", "loại nghỉ"),
    "reason": ("lý do", "ly do", "ghi chú"),
}
REQUIRED = ("employee", "from", "kind", "reason")
PART_WORDS = {"": "full", "cả ngày": "full", "ca ngay": "full", "sáng": "morning", "sang": "morning",
              "chiều": "afternoon", "chieu": "afternoon", **{p: p for p in PARTS}}


@dataclass(frozen=True)
class LeaveRow:
    line: int
    employee: str
    date_from: date
    date_to: date
    part: str
    kind: str
    reason: str


@dataclass
class LeaveImport:
    rows: list[LeaveRow]
    problems: list[tuple[int, str]]
    added: int = 0
    unchanged: int = 0


def read_leave_file(path: Path, kinds: LeaveConfig) -> LeaveImport:
    """Parse and check every row (not against the database yet)."""
    result = LeaveImport([], [])
    for row in read_rows(path, COLUMNS, REQUIRED):
        cells = row.values
        refused = control_character(row)
        if refused:
            result.problems.append((row.line, refused))
            continue
        try:
            first = parse_date(cells["from"])
            last = parse_date(cells["to"]) if cells.get("to") else first
            part = PART_WORDS.get(normalize_header(cells.get("part", "")))
            if part is None:
                raise ValueError(f"part {cells.get('part')!r} is not full, morning or afternoon (cả ngày, sáng, chiều)")
            kind = kinds.kind(cells["kind"]).code
            reason = cells["reason"]
            if not reason:
                raise ValueError("the reason is empty")
            if last < first:
                raise ValueError(f"to ({last}) is before from ({first})")
            employee = cells["employee"]
            if not employee:
                raise ValueError("the employee code is empty")
        except (ValueError, MonitorError) as exc:
            result.problems.append((row.line, str(exc)))
            continue
        result.rows.append(LeaveRow(row.line, employee, first, last, part, kind, reason))
    return result


def import_leave(store: Store, checked: LeaveImport, *, actor: str, skip_bad: bool) -> LeaveImport:
    """Store the checked rows in one transaction; rows that clash become problems.

    Without ``skip_bad`` any problem (in the file or against stored leave) raises
    :class:`InputFileError` and nothing is stored.
    """
    with store.write():
        for row in checked.rows:
            if store.same_leave(row.employee, row.date_from, row.date_to, row.part, row.kind):
                checked.unchanged += 1
                continue
            try:
                store.add_leave(row.employee, row.date_from, row.date_to, part=row.part, kind=row.kind,
                                reason=row.reason, actor=actor)
            except MonitorError as exc:
                checked.problems.append((row.line, str(exc)))
                continue
            checked.added += 1
        checked.problems.sort()
        if checked.problems and not skip_bad:
            raise InputFileError(f"{len(checked.problems)} bad row(s), so nothing was imported", checked.problems)
    return checked
