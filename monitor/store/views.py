"""Small read queries the web pages need beside the reports: people's titles, the
person search, and a unit's day by day trend for its chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from monitor.store.base import StoreBase


def _in(values: Sequence[str]) -> str:
    return f"({','.join('?' * len(values))})"


class ViewStore(StoreBase):
    def employee_titles(self, codes: Sequence[str]) -> dict[str, str]:
        """employee code → title (job title), for the codes that have one."""
        found: dict[str, str] = {}
        for start in range(0, len(codes), 900):
            chunk = codes[start:start + 900]
            found.update(self.db.conn.execute(
                f"SELECT code, title FROM employees WHERE code IN {_in(chunk)} AND title IS NOT NULL", chunk))
        return found

    def search_employees(self, text: str, unit_codes: Sequence[str] | None, *, limit: int = 50) -> list[dict[str, Any]]:
        """Employees whose code or name contains ``text`` (any case), in ``unit_codes``
        (all when ``None``): code, full_name, unit_code, title, active."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = ("SELECT code, full_name, unit_code, title, active FROM employees"
               " WHERE (code LIKE ? ESCAPE '\\' OR full_name LIKE ? ESCAPE '\\')")
        params: list[Any] = [pattern, pattern]
        if unit_codes is not None:
            sql += f" AND unit_code IN {_in(unit_codes)}"
            params.extend(unit_codes)
        return self.query(sql + " ORDER BY active DESC, full_name, code LIMIT ?", (*params, limit))

    def day_trend(self, unit_codes: Sequence[str], day_from: date, day_to: date) -> list[dict[str, Any]]:
        """Per day in the span, over the units: late count, late minutes, unexcused
        absences (half days 0.5), and people required."""
        return self.query(
            "SELECT day, SUM(late_count > 0) AS late, SUM(late_minutes) AS late_minutes,"
            " SUM(absent_fraction) AS absent, SUM(status IN ('present','absent','partial_absent','leave','pending')) AS required"
            f" FROM day_results WHERE day BETWEEN ? AND ? AND unit_code IN {_in(unit_codes)} GROUP BY day ORDER BY day",
            (day_from.isoformat(), day_to.isoformat(), *unit_codes),
        )
