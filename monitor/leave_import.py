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

import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from monitor.errors import InputFileError, MonitorError
from monitor.leave import LeaveConfig
from monitor.store import Store
from monitor.store.leave import PARTS

COLUMNS = {
    "employee": ("employee", "employee code", "employee_code", "code", "mã nv", "ma nv", "mã nhân viên", "mã cán bộ"),
    "from": ("from", "date from", "date_from", "từ ngày", "tu ngay", "ngày bắt đầu"),
    "to": ("to", "date to", "date_to", "đến ngày", "den ngay", "ngày kết thúc"),
    "part": ("part", "buổi", "buoi"),
    "kind": ("kind", "loại", "loai", "ký hiệu", "ky hieu", "loại nghỉ"),
    "reason": ("reason", "lý do", "ly do", "ghi chú"),
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


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).strip().lower().replace("_", " ").split())


def _cells(path: Path) -> Iterator[tuple[int, list[Any]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise InputFileError(f"{path}: not a readable XLSX file ({exc})") from None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if v is None else v for v in values]
        return
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start}); in Excel use 'Save as: CSV UTF-8'") from None
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    for number, values in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        yield number, values


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (2026-11-20 or 20/11/2026)")


def read_leave_file(path: Path, kinds: LeaveConfig) -> LeaveImport:
    """Parse and check every row (not against the database yet)."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    lookup = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    header: list[str | None] | None = None
    result = LeaveImport([], [])
    for number, values in _cells(path):
        if not any(str(v).strip() for v in values):
            continue
        if header is None:
            header = [lookup.get(_norm(v)) for v in values]
            missing = [name for name in REQUIRED if name not in header]
            if missing:
                raise InputFileError(f"{path}:{number}: missing column(s): {', '.join(missing)}")
            continue
        cells = {name: values[i] for i, name in enumerate(header) if name and i < len(values)}
        try:
            first = _date(cells["from"])
            last = _date(cells["to"]) if str(cells.get("to", "")).strip() else first
            part = PART_WORDS.get(_norm(cells.get("part", "")))
            if part is None:
                raise ValueError(f"part {cells.get('part')!r} is not full, morning or afternoon (cả ngày, sáng, chiều)")
            kind = kinds.kind(str(cells["kind"])).code
            reason = str(cells["reason"]).strip()
            if not reason:
                raise ValueError("the reason is empty")
            if last < first:
                raise ValueError(f"to ({last}) is before from ({first})")
            employee = str(cells["employee"]).strip()
            if not employee:
                raise ValueError("the employee code is empty")
        except (ValueError, MonitorError) as exc:
            result.problems.append((number, str(exc)))
            continue
        result.rows.append(LeaveRow(number, employee, first, last, part, kind, reason))
    if header is None:
        raise InputFileError(f"{path}: the file is empty (expected a header row)")
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
