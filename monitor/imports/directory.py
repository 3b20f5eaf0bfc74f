"""Validating unit, employee and enrollment files before anything is stored.

Each ``check_*`` function reads a whole file and returns the good records and the bad
rows as ``(line, reason)``; the caller decides whether to store the good ones (with
``--skip-bad``) or nothing at all (the default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import Refused
from monitor.imports.tables import Row, control_character, parse_date, parse_flag, read_rows
from monitor.store.notify import check_email

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}$")

UNIT_COLUMNS = {
    "code": ("unit code", "unit", "mã đơn vị", "mã"),
    "name": ("unit name", "tên đơn vị", "tên"),
    "parent_code": ("parent", "parent code", "đơn vị cấp trên", "mã đơn vị cấp trên", "cấp trên"),
    "schedule": ("lịch làm việc", "giờ làm việc"),
    "active": ("hoạt động", "đang hoạt động"),
}
EMPLOYEE_COLUMNS = {
    "code": ("employee code", "employee", "mã nhân viên", "mã cán bộ", "mã"),
    "full_name": ("name", "full name", "họ và tên", "họ tên"),
    "unit_code": ("unit", "unit code", "đơn vị", "mã đơn vị"),
    "title": ("position", "chức vụ", "chức danh"),
    "grade": ("rank", "ngạch", "ngạch, bậc", "ngạch bậc", "bậc"),
    "active": ("đang làm việc", "hoạt động"),
    "hired_on": ("hired", "start date", "ngày vào", "ngày bắt đầu"),
    "left_on": ("left", "end date", "ngày nghỉ việc", "ngày thôi việc"),
    "schedule": ("lịch làm việc",),
    "email": ("e-mail", "mail", "thư điện tử", "địa chỉ email", "địa chỉ thư điện tử"),
}
ENROLLMENT_COLUMNS = {
    "device_id": ("device", "máy chấm công", "mã máy"),
    "device_user_id": ("user id", "device user id", "badge", "card", "page", "mã chấm công", "số thẻ", "mã trên máy"),
    "employee_code": ("employee", "employee code", "mã nhân viên", "mã cán bộ"),
    "kind": ("loại",),
}
ENROLLMENT_KINDS = ("user", "card", "page")


@dataclass
class Checked:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def _code(row: Row, column: str, label: str) -> str:
    value = row.values.get(column, "")
    if not value:
        raise ValueError(f"{label} is empty")
    if not CODE.match(value):
        raise ValueError(f"{label} {value!r} has characters other than letters, digits and - _ . /")
    return value


def _optional(row: Row, column: str) -> str | None:
    value = row.values.get(column, "")
    return value or None


def _check_rows(rows: Iterable[Row], build, key: str, checked: Checked) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        refused = control_character(row)
        if refused:
            checked.problems.append((row.line, refused))
            continue
        try:
            record = build(row)
        except ValueError as exc:
            checked.problems.append((row.line, str(exc)))
            continue
        if record[key] in seen:
            checked.problems.append((row.line, f"{key} {record[key]!r} repeats line {seen[record[key]]}"))
            continue
        seen[record[key]] = row.line
        record["_line"] = row.line
        checked.records.append(record)


def check_units(path: Path, known_units: set[str]) -> Checked:
    checked = Checked()

    def build(row: Row) -> dict[str, Any]:
        record: dict[str, Any] = {"code": _code(row, "code", "unit code")}
        name = row.values.get("name", "")
        if not name:
            raise ValueError("unit name is empty")
        record["name"] = name
        parent = _optional(row, "parent_code")
        if parent == record["code"]:
            raise ValueError(f"unit {record['code']} cannot be its own parent")
        record["parent_code"] = parent
        if "schedule" in row.values:
            record["schedule"] = _optional(row, "schedule")
        if row.values.get("active"):
            record["active"] = 1 if parse_flag(row.values["active"]) else 0
        return record

    _check_rows(read_rows(path, UNIT_COLUMNS, ("code", "name")), build, "code", checked)
    codes = known_units | {r["code"] for r in checked.records}
    for record in list(checked.records):
        parent = record["parent_code"]
        if parent and parent not in codes:
            checked.problems.append((record["_line"], f"parent unit {parent!r} is neither in the file nor in the database"))
            checked.records.remove(record)
    checked.problems.sort()
    return checked


def check_employees(path: Path, known_units: set[str]) -> Checked:
    checked = Checked()

    def build(row: Row) -> dict[str, Any]:
        record: dict[str, Any] = {"code": _code(row, "code", "employee code")}
        name = " ".join(row.values.get("full_name", "").split())
        if not name:
            raise ValueError("full name is empty")
        record["full_name"] = name
        unit = _code(row, "unit_code", "unit code")
        if unit not in known_units:
            raise ValueError(f"unit {unit!r} does not exist (import units first)")
        record["unit_code"] = unit
        for column in ("title", "grade", "schedule"):
            if column in row.values:
                record[column] = _optional(row, column)
        for column in ("hired_on", "left_on"):
            if row.values.get(column):
                record[column] = parse_date(row.values[column]).isoformat()
        if record.get("hired_on") and record.get("left_on") and record["left_on"] < record["hired_on"]:
            raise ValueError(f"left on {record['left_on']} is before hired on {record['hired_on']}")
        if row.values.get("active"):
            record["active"] = 1 if parse_flag(row.values["active"]) else 0
        if "email" in row.values:
            # staff with an address get their own reminders (monitor.service.notify)
            try:
                record["email"] = check_email(row.values["email"], "e-mail") if row.values["email"].strip() else None
            except Refused as exc:
                raise ValueError(str(exc)) from None
        return record

    _check_rows(read_rows(path, EMPLOYEE_COLUMNS, ("code", "full_name", "unit_code")), build, "code", checked)
    return checked


def check_enrollments(
    path: Path,
    known_employees: set[str],
    known_devices: set[str] | None = None,
    card_formats: dict[str, str] | None = None,
) -> Checked:
    """``known_devices`` (from the config) is checked when given; ``*`` means every device.

    Card numbers (kind ``card``) may be written in any printed form (``0003887558``,
    ``059,20934``, ``0x003B51C6``); they are stored in the form the device reports
    (its ``card_format`` in ``card_formats``), or the 10-digit decimal form — every card
    reader's default — for ``*`` and devices without the option.
    """
    from drivers.cards import format_card, parse_card

    checked = Checked()
    card_formats = card_formats or {}

    def build(row: Row) -> dict[str, Any]:
        device = row.values.get("device_id", "")
        if not device:
            raise ValueError("device is empty (use * for every device)")
        if known_devices is not None and device != "*" and device not in known_devices:
            raise ValueError(f"device {device!r} is not in the config (devices: {', '.join(sorted(known_devices)) or 'none'})")
        user = row.values.get("device_user_id", "").strip()
        if not user:
            raise ValueError("device user id / card number is empty")
        employee = row.values.get("employee_code", "")
        if employee not in known_employees:
            raise ValueError(f"employee {employee!r} does not exist (import employees first)")
        kind = row.values.get("kind") or "user"
        if kind not in ENROLLMENT_KINDS:
            raise ValueError(f"kind {kind!r} is not one of {', '.join(ENROLLMENT_KINDS)}")
        if kind == "card":
            user = format_card(parse_card(user), card_formats.get(device, "decimal"))
        return {
            "device_id": device,
            "device_user_id": user,
            "employee_code": employee,
            "kind": kind,
            "key": f"{device}/{user}",
        }

    _check_rows(
        read_rows(path, ENROLLMENT_COLUMNS, ("device_id", "device_user_id", "employee_code")), build, "key", checked
    )
    return checked


def strip_private(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if not k.startswith("_") and k != "key"} for record in records]
