"""A judged October 2026 in a small real database, with one web user per role, for the
month-close tests (imported by module name, never from a conftest)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from monitor.engine.policy import OfficePolicy
from monitor.reports.period import Month
from monitor.service.evaluation import Evaluation
from monitor.service.month_close import take_step
from monitor.store import Store
from tests.monitor.engine_helpers import ZONE, add_punches, fill_directory

OCTOBER = Month(2026, 10)
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)
PASSWORD = "mat-khau-thu-nghiem"
# username → (role, units, full name)
USERS = {
    "nhansu": ("hr", [], "Đỗ Thị Nhân"),
    "nhansu2": ("hr", [], "Vũ Văn Sự"),
    "quantri": ("admin", [], None),
    "chamcong": ("timekeeper", ["SNV"], "Hoàng Thị Chấm"),
    "truongsnv": ("manager", ["SNV"], "Phạm Quốc Hùng"),
    "truongubnd": ("manager", ["UBND"], "Ngô Văn Duyệt"),
    "truongstc": ("manager", ["STC"], None),
    "truongptc": ("manager", ["PTC"], None),
}
# who takes each step on SNV when a test just needs the month moved along
MOVER = {"submit": "chamcong", "confirm": "truongsnv", "approve": "truongubnd", "lock": "nhansu", "reopen": "nhansu"}
PATH_TO = {
    "open": [],
    "submitted": ["submit"],
    "confirmed": ["submit", "confirm"],
    "approved": ["submit", "confirm", "approve"],
    "locked": ["submit", "confirm", "approve", "lock"],
}


def judged_october(store: Store, policy: OfficePolicy) -> Store:
    """Units, employees, badges, a few October punches, everything judged up to today."""
    fill_directory(store)
    add_punches(store, "NV001 2026-10-01 07:29", "NV001 2026-10-01 17:02", "NV001 2026-10-05 07:45",
                "NV001 2026-10-05 17:01", "NV002 2026-10-01 07:30", "NV002 2026-10-01 17:00")
    Evaluation(store, policy, NOW).run()
    for username, (role, units, name) in USERS.items():
        store.add_user(username, PASSWORD, role=role, units=units, full_name=name, actor="test")
    return store


def bring_to(store: Store, state: str, unit: str = "SNV") -> None:
    for step in PATH_TO[state]:
        user = f"truong{unit.lower()}" if step == "confirm" else MOVER[step]
        take_step(store, step, unit, OCTOBER, user, today=TODAY, reason="kiểm tra" if step == "reopen" else None)


def day_row(store: Store, employee: str, day: str) -> dict:
    return store.query("SELECT * FROM day_results WHERE employee_code = ? AND day = ?", (employee, day))[0]


def run_sql(path: Path, statement: str, params: tuple = ()) -> None:
    """One statement on the file with plain sqlite3, as someone editing it by hand would."""
    conn = sqlite3.connect(path)
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def sheet_texts(data: bytes) -> dict[str, list[str]]:
    """An XLSX file's sheet titles → every text in the sheet."""
    book = load_workbook(BytesIO(data))
    try:
        return {ws.title: [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
                for ws in book.worksheets}
    finally:
        book.close()


def locked_october(path: Path, key: bytes, *others: tuple[str, str]) -> Path:
    """A database file, written with ``key``, with October judged and SNV's month locked;
    then each ``(state, unit)`` of ``others`` brought to its state."""
    from tests.monitor.engine_helpers import OFFICE_TOML, parse_policy

    with Store(path, zone=ZONE, now=lambda: NOW, create=True, key=key) as store:
        judged_october(store, parse_policy(OFFICE_TOML))
        bring_to(store, "locked", "SNV")
        for state, unit in others:
            bring_to(store, state, unit)
    return path


def verify_findings(path: Path, key: bytes) -> list[tuple[str, str]]:
    """What ``monitor verify`` finds in the file: (where, problem) pairs."""
    with Store(path, zone=ZONE, key=key) as store:
        return [(f.where, f.problem) for f in store.verify_integrity().findings]
