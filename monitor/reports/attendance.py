"""Reports over judged days: a day, a month per employee, one employee's month.

Rows are plain dicts with the stable keys documented in ``docs/reports.md`` (the JSON
output is exactly these dicts). A unit always includes the units below it. Counts are
compared with the ``[rules]`` thresholds and reported as named flags; the tool never
assigns a discipline level (Decree 112/2020 and 172/2025 grade breaches by harm, not by
counts, and procedure needs written notices).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from monitor.engine.policy import OfficePolicy
from monitor.reports.period import Month
from monitor.store import Store

DAY_KEYS = (
    "employee", "name", "unit", "date", "status", "arrival", "departure", "late_minutes", "early_minutes",
    "worked_minutes", "away_minutes", "missing_in", "missing_out", "symbol", "leave", "holiday", "provisional",
    # requests (issue 9): what approved explanations excuse, the symbol after them, a
    # manual punch judged, and the day's requests with their status
    "excused_late_minutes", "excused_early_minutes", "excused_away_minutes", "excused_missing", "excused_absence",
    "approved_symbol", "corrected", "requests",
)
MONTH_KEYS = (
    "employee", "name", "unit", "month", "required_days", "present_days", "late_count", "late_minutes",
    "early_count", "early_minutes", "away_minutes", "absent_days", "missing_punches", "leave_days", "flags",
    # after approved explanations (the keys above are as measured), and corrected days
    "late_count_after", "late_minutes_after", "early_count_after", "early_minutes_after", "away_minutes_after",
    "absent_days_after", "missing_punches_after", "corrected_days",
)
# the counts of month_list (what a page of a month's people sorts and totals)
MONTH_LIST_KEYS = ("required_days", "present_days", "late_count", "late_minutes", "early_count", "absent_days",
                   "missing_punches", "late_count_after", "absent_days_after")
# rule name → the month-row key it compares: the counts after approved explanations
# (absent_days_per_year uses the year to date)
RULE_COUNTS = {
    "late_count_per_month": "late_count_after",
    "late_minutes_per_month": "late_minutes_after",
    "early_count_per_month": "early_count_after",
    "early_minutes_per_month": "early_minutes_after",
    "away_minutes_per_month": "away_minutes_after",
    "missing_punches_per_month": "missing_punches_after",
    "absent_days_per_month": "absent_days_after",
    "absent_days_per_year": "absent_days_year",
}


def _number(value: float | None) -> float | int:
    """Day counts: whole numbers as ints, halves kept (20.5)."""
    value = round(value or 0, 2)
    return int(value) if value == int(value) else value


def _units(store: Store, unit: str | None) -> list[str] | None:
    return store.unit_and_below(unit) if unit else None


def day_row(row: dict[str, Any], requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A ``day_results`` row (with ``full_name``) as a report row; ``requests``: the
    day's requests as ``{"id", "kind", "status"}``."""
    return {
        "employee": row["employee_code"],
        "name": row["full_name"],
        "unit": row["unit_code"],
        "date": row["day"],
        "status": row["status"],
        "arrival": row["arrival"],
        "departure": row["departure"],
        "late_minutes": row["late_minutes"],
        "early_minutes": row["early_minutes"],
        "worked_minutes": row["worked_minutes"],
        "away_minutes": row["away_minutes"],
        "missing_in": row["missing_in"],
        "missing_out": row["missing_out"],
        "symbol": row["symbol"],
        "leave": row["leave_kind"],
        "holiday": row["holiday"],
        "provisional": bool(row["provisional"]),
        "excused_late_minutes": row["excused_late_minutes"],
        "excused_early_minutes": row["excused_early_minutes"],
        "excused_away_minutes": row["excused_away_minutes"],
        "excused_missing": row["excused_missing"],
        "excused_absence": _number(row["excused_absent_fraction"]),
        "approved_symbol": row["symbol"] if row["approved_symbol"] is None else row["approved_symbol"],
        "corrected": bool(row["corrected"]),
        "requests": requests or [],
    }


def _scope(store: Store, unit: str | None, unit_codes: Sequence[str] | None) -> list[str] | None:
    """The unit codes to ask the store for: ``unit`` and below, narrowed to
    ``unit_codes`` when given (what a manager may see), so the query selects them."""
    codes = _units(store, unit)
    if unit_codes is None:
        return codes
    allowed = set(unit_codes)
    return sorted(allowed if codes is None else allowed.intersection(codes))


def day_report(store: Store, day: date, unit: str | None = None, *,
               unit_codes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Everyone judged on ``day`` in ``unit`` and below (all units when ``None``), only
    in ``unit_codes`` when given."""
    requests = store.requests_by_day(None, day, day)
    rows = store.day_results_between(day, day, unit_codes=_scope(store, unit, unit_codes), lean=True)
    return [day_row(row, requests.get((row["employee_code"], row["day"]))) for row in rows]


def month_report(store: Store, policy: OfficePolicy, month: Month, unit: str | None = None,
                 employee: str | None = None, *, unit_codes: Sequence[str] | None = None,
                 employee_codes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Per employee: the month's counts, leave days by kind, and warning flags (only in
    ``unit_codes`` when given; only the people of ``employee_codes``, a page's worth,
    when given)."""
    counts = month_counts(store, month, unit, employee, unit_codes=unit_codes, employee_codes=employee_codes)
    return month_details(store, policy, month, counts)


def month_list(store: Store, month: Month, *, unit_codes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Everyone's month as a list a page sorts, searches and totals: ``employee``,
    ``name``, ``unit``, ``month`` and the :data:`MONTH_LIST_KEYS` counts, as the month
    report has them. Half the report's sums: a province's month in half the time; the
    page asks :func:`month_report` for the hundred rows it shows."""
    label = str(month)
    rows = []
    for total in store.month_totals(month.first, month.last, unit_codes=unit_codes, lean=True):
        late_count, absent_days = int(total["late_count"] or 0), total["absent_days"] or 0
        rows.append({
            "employee": total["employee_code"],
            "name": total["full_name"],
            "unit": total["unit_code"],
            "month": label,
            "required_days": int(total["required_days"] or 0),
            "present_days": _number(total["present_days"]),
            "late_count": late_count,
            "late_minutes": int(total["late_minutes"] or 0),
            "early_count": int(total["early_count"] or 0),
            "absent_days": _number(absent_days),
            "missing_punches": int(total["missing_punches"] or 0),
            "late_count_after": late_count - int(total["excused_late_count"] or 0),
            "absent_days_after": _number(absent_days - (total["excused_absent_days"] or 0)),
        })
    return rows


def month_counts(store: Store, month: Month, unit: str | None = None, employee: str | None = None, *,
                 unit_codes: Sequence[str] | None = None, employee_codes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The month rows with their counts only: ``leave_days`` and ``flags`` are left
    empty for :func:`month_details` to fill."""
    scope = _scope(store, unit, unit_codes)
    label = str(month)
    rows = []
    for total in store.month_totals(month.first, month.last, unit_codes=scope, employee_code=employee,
                                    employee_codes=employee_codes):
        late_count, late_minutes = int(total["late_count"] or 0), int(total["late_minutes"] or 0)
        early_count, early_minutes = int(total["early_count"] or 0), int(total["early_minutes"] or 0)
        away_minutes, absent_days = int(total["away_minutes"] or 0), total["absent_days"] or 0
        missing = int(total["missing_punches"] or 0)
        rows.append({
            "employee": total["employee_code"],
            "name": total["full_name"],
            "unit": total["unit_code"],
            "month": label,
            "required_days": int(total["required_days"] or 0),
            "present_days": _number(total["present_days"]),
            "late_count": late_count,
            "late_minutes": late_minutes,
            "early_count": early_count,
            "early_minutes": early_minutes,
            "away_minutes": away_minutes,
            "absent_days": _number(absent_days),
            "missing_punches": missing,
            "leave_days": {},
            "flags": [],
            # after approved explanations (the counts above are as measured)
            "late_count_after": late_count - int(total["excused_late_count"] or 0),
            "late_minutes_after": late_minutes - int(total["excused_late_minutes"] or 0),
            "early_count_after": early_count - int(total["excused_early_count"] or 0),
            "early_minutes_after": early_minutes - int(total["excused_early_minutes"] or 0),
            "away_minutes_after": away_minutes - int(total["excused_away_minutes"] or 0),
            "absent_days_after": _number(absent_days - (total["excused_absent_days"] or 0)),
            "missing_punches_after": missing - int(total["excused_missing"] or 0),
            "corrected_days": int(total["corrected_days"] or 0),
        })
    return rows


def month_details(store: Store, policy: OfficePolicy, month: Month, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in the ``leave_days`` and ``flags`` of :func:`month_counts` rows (in place;
    returned for convenience): two queries per 900 people, whatever the month's size."""
    codes = [row["employee"] for row in rows]
    leave = _leave_days(store, codes, month)
    year_absent = store.absent_days(codes, date(month.year, 1, 1), month.last) if "absent_days_per_year" in policy.rules.thresholds else {}
    for row in rows:
        code = row["employee"]
        row["leave_days"] = {kind: _number(days) for kind, days in sorted(leave.get(code, {}).items())}
        counts = {**row, "absent_days_year": _number(year_absent.get(code, 0))}
        row["flags"] = [
            {"rule": rule, "value": counts[RULE_COUNTS[rule]], "threshold": _number(threshold)}
            for rule, threshold in policy.rules.thresholds.items()
            if counts[RULE_COUNTS[rule]] >= threshold
        ]
    return rows


def _leave_days(store: Store, codes: list[str], month: Month) -> dict[str, dict[str, float]]:
    """employee → kind → days (half days count 0.5) on required days."""
    found: dict[str, dict[str, float]] = {}
    for row in store.leave_fractions(codes, month.first, month.last):
        kinds = found.setdefault(row["employee_code"], {})
        if "," not in row["leave_kind"]:
            kinds[row["leave_kind"]] = kinds.get(row["leave_kind"], 0) + row["leave_fraction"]
            continue
        # two kinds on one day (P in the morning, Ô in the afternoon): count per session
        sessions = json.loads(row["detail"] or "{}").get("sessions", [])
        for session in sessions:
            if "leave" in session:
                kinds[session["leave"]] = kinds.get(session["leave"], 0) + 1 / len(sessions)
    return found


def employee_report(store: Store, policy: OfficePolicy, employee: str, month: Month) -> dict[str, Any]:
    """One person's month: ``{"employee": <month row>, "days": [<day rows>]}``."""
    record = store.employee(employee)
    requests = store.requests_by_day([employee], month.first, month.last)
    days = [day_row(row, requests.get((row["employee_code"], row["day"])))
            for row in store.day_results_between(month.first, month.last, employee_code=employee, lean=True)]
    totals = month_report(store, policy, month, employee=employee)
    summary = totals[0] if totals else {
        "employee": employee, "name": record["full_name"], "unit": record["unit_code"], "month": str(month),
        "required_days": 0, "present_days": 0, "late_count": 0, "late_minutes": 0, "early_count": 0,
        "early_minutes": 0, "away_minutes": 0, "absent_days": 0, "missing_punches": 0, "leave_days": {}, "flags": [],
        "late_count_after": 0, "late_minutes_after": 0, "early_count_after": 0, "early_minutes_after": 0,
        "away_minutes_after": 0, "absent_days_after": 0, "missing_punches_after": 0, "corrected_days": 0,
    }
    return {"employee": summary, "days": days}
