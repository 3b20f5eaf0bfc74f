"""A day's counts per unit, as the today page shows them and the morning digest sends them.

One function, so that the page and the e-mail cannot disagree: both call
:func:`day_summary` on the rows of :func:`monitor.reports.attendance.day_report`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from monitor.engine.day import ABSENCE_STATUSES, REQUIRED_STATUSES


SUMMARY_KEYS = ("staff", "required", "present", "late", "early", "absent", "partial_absent", "leave", "pending", "missing")


def is_exception(row: dict[str, Any]) -> bool:
    """A day row a manager should look at: absent, late, early, away or a missing punch."""
    return bool(
        row["status"] in ABSENCE_STATUSES or row["late_minutes"] or row["early_minutes"] or row["away_minutes"]
        or row["missing_in"] or row["missing_out"]
    )


def day_summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The counts of day rows in the inspection's categories (present, late, on leave,
    absent without leave, not in yet) and the rest of the today page's cards."""
    statuses = Counter(row["status"] for row in rows)
    return {
        "staff": len(rows),
        "required": sum(1 for r in rows if r["status"] in REQUIRED_STATUSES),
        "present": statuses["present"] + statuses["partial_absent"],
        "late": sum(1 for r in rows if r["late_minutes"]),
        "early": sum(1 for r in rows if r["early_minutes"]),
        "absent": statuses["absent"],
        "partial_absent": statuses["partial_absent"],
        "leave": statuses["leave"],
        "pending": statuses["pending"],
        "missing": sum(1 for r in rows if r["missing_in"] or r["missing_out"]),
    }
