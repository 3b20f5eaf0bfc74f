"""Small read queries the web pages need beside the reports: people's titles, the
person search, and a unit's day by day trend for its chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from monitor.store.base import StoreBase


# a day row worth a manager's look (the same test as web.pages.is_exception)
EXCEPTION = ("(status IN ('absent','partial_absent') OR late_minutes > 0 OR early_minutes > 0"
             " OR away_minutes > 0 OR missing_in > 0 OR missing_out > 0)")


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
        # Counted per unit and day first, in the (unit, day) index's own order, then added
        # up per day: grouping a province's 300,000 rows by day at once sorts them all
        # (2.5 times slower).
        return self.query(
            "SELECT day, SUM(late) AS late, SUM(late_minutes) AS late_minutes, SUM(absent) AS absent,"
            " SUM(required) AS required FROM (SELECT unit_code, day, SUM(late_count > 0) AS late,"
            " SUM(late_minutes) AS late_minutes, SUM(absent_fraction) AS absent,"
            " SUM(status IN ('present','absent','partial_absent','leave','pending')) AS required"
            f" FROM day_results WHERE day BETWEEN ? AND ? AND unit_code IN {_in(unit_codes)} GROUP BY unit_code, day)"
            " GROUP BY day ORDER BY day",
            (day_from.isoformat(), day_to.isoformat(), *unit_codes),
        )

    def day_unit_counts(self, day: date, unit_codes: Sequence[str] | None) -> dict[str, dict[str, int]]:
        """unit → the day's counts of the people judged under it (the start page's
        summary, counted by SQLite instead of reading a province's rows): staff,
        required, present, late, early, absent, partial_absent, leave, pending, missing,
        and exceptions (people absent, late, early, away or missing a punch)."""
        sql = (
            "SELECT unit_code, COUNT(*) AS staff,"
            " SUM(status IN ('present','absent','partial_absent','leave','pending')) AS required,"
            " SUM(status IN ('present','partial_absent')) AS present, SUM(late_minutes > 0) AS late,"
            " SUM(early_minutes > 0) AS early, SUM(status = 'absent') AS absent,"
            " SUM(status = 'partial_absent') AS partial_absent, SUM(status = 'leave') AS leave,"
            " SUM(status = 'pending') AS pending, SUM(missing_in > 0 OR missing_out > 0) AS missing,"
            f" SUM({EXCEPTION}) AS exceptions"
            " FROM day_results WHERE day = ?"
        )
        params: list[Any] = [day.isoformat()]
        if unit_codes is not None:
            sql += f" AND unit_code IN {_in(unit_codes)}"
            params.extend(unit_codes)
        rows = self.query(sql + " GROUP BY unit_code", params)
        return {row.pop("unit_code"): {key: int(value or 0) for key, value in row.items()} for row in rows}

    def day_rows_where(self, day: date, unit_codes: Sequence[str] | None, which: str, *, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` result rows of the day (report columns and the name) that
        are ``exceptions`` (absent, late, early, away, missing a punch) or ``pending``."""
        from monitor.store.results import LEAN_COLUMNS

        # the columns named are day_results' only, so the condition reads the same joined
        conditions = {"exceptions": EXCEPTION, "pending": "r.status = 'pending'"}
        sql = (f"SELECT {', '.join('r.' + name for name in LEAN_COLUMNS)}, e.full_name FROM day_results r"
               f" JOIN employees e ON e.code = r.employee_code WHERE r.day = ? AND {conditions[which]}")
        params: list[Any] = [day.isoformat()]
        if unit_codes is not None:
            sql += f" AND r.unit_code IN {_in(unit_codes)}"
            params.extend(unit_codes)
        return self.query(sql + " ORDER BY r.unit_code, r.employee_code LIMIT ?", (*params, limit))
