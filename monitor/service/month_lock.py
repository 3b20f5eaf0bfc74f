"""Which of the days an evaluation plans fall in a locked month, and what to say about them.

A day is held by the lock of the unit it was judged under (its ``day_results`` row), or,
for a day never judged, by the lock of the person's current unit. Held days are not
judged again: their rows, and their dirty marks, stay as they are until the month is
reopened (a reopen marks the whole month dirty, so everything that changed meanwhile —
late punches, rules, enrollments — is applied then).

Only days in months that have a lock are looked up, one query per chunk of employees,
so an ordinary run (today and a few changed days) costs nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from monitor.store import Store

CHUNK = 900


class Planned(Protocol):
    """What the evaluation plans per employee (its ``_Employee``)."""

    code: str
    unit: str
    days: set[date]


@dataclass
class Held:
    """Days kept out of a run by locks, and the locks that kept them."""

    days: int = 0
    locks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        """'SNV 2026-10 (locked by hr on 2026-11-03 10:00), ...'."""
        return ", ".join(
            f"{unit} {month} (locked by {lock['username']} on {lock['at'][:16].replace('T', ' ')})"
            for (unit, month), lock in sorted(self.locks.items())
        )


def hold_locked_days(store: Store, employees: Iterable[Planned]) -> Held:
    """Remove from each employee's planned days those a lock holds; say which locks."""
    locks = store.locked_months()
    held = Held()
    if not locks:
        return held
    locked_months = {month for _unit, month in locks}
    candidates = [e for e in employees if any(f"{d.year:04d}-{d.month:02d}" in locked_months for d in e.days)]
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        days = [d for e in chunk for d in e.days]
        placements = store.day_placements([e.code for e in chunk], min(days), max(days))
        for employee in chunk:
            kept = set()
            for day in employee.days:
                month = f"{day.year:04d}-{day.month:02d}"
                if month not in locked_months:
                    continue
                placed = placements.get((employee.code, day.isoformat()))
                unit = placed[0] if placed else employee.unit
                lock = locks.get((unit, month))
                if lock is not None:
                    kept.add(day)
                    held.locks[(unit, month)] = lock
            employee.days -= kept
            held.days += len(kept)
    return held
