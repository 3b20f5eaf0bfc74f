"""The month's timesheet (Mẫu số C01-HD) in one read: a row per judged day, narrowed to
what a cell of the form needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from monitor.store.base import StoreBase


# the "Ngạch, bậc" column: the grade, else the job title (a lock freezes the same: month_roster)
GRADE_SHOWN = "COALESCE(NULLIF(e.grade, ''), NULLIF(e.title, ''), '')"


class TimesheetDay(NamedTuple):
    """One employee-day as the timesheet shows it."""

    unit_code: str
    employee_code: str
    full_name: str
    grade: str  # the grade, else the job title, else ""
    day: int  # day of the month
    status: str
    symbol: str | None  # after approved requests
    corrected: int  # 1: the day was judged with a manual punch from an approved correction


class TimesheetStore(StoreBase):
    def timesheet_days(self, day_from: date, day_to: date, unit_codes: Sequence[str]) -> list[TimesheetDay]:
        """The days of ``unit_codes`` in the span that are no longer provisional, with the
        employee's name and grade, ordered by unit, employee and day.

        A province's month is 300,000 rows: plain tuples of eight columns, with the symbol
        after approved requests and the day of the month worked out by SQLite, are a
        fraction of the cost of full result rows as dictionaries."""
        if not unit_codes:
            return []
        rows = self.db.conn.execute(
            f"SELECT r.unit_code, r.employee_code, e.full_name, {GRADE_SHOWN}, CAST(substr(r.day, 9, 2) AS INTEGER),"
            " r.status, COALESCE(r.approved_symbol, r.symbol), r.corrected"
            " FROM day_results r JOIN employees e ON e.code = r.employee_code"
            f" WHERE r.day BETWEEN ? AND ? AND r.provisional = 0 AND r.unit_code IN ({','.join('?' * len(unit_codes))})"
            " ORDER BY r.unit_code, r.employee_code, r.day",
            (day_from.isoformat(), day_to.isoformat(), *unit_codes),
        )
        return list(map(TimesheetDay._make, rows))
