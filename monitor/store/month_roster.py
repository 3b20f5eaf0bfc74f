"""The names a locked month's timesheet was signed with (``month_roster``).

The day cells of a locked unit-month never change (its ``day_results`` rows are not
judged again), but the C01-HD also shows what the directory says: the unit's name, its
parent's name, and each person's full name and grade or title. Those are copied here in
the lock's transaction, so that renaming, promoting or moving someone (or renaming a
unit) after the lock leaves the signed document as it was. A reopen drops the copy; the
next lock takes a fresh one. A month locked before the table existed has no rows: its
timesheet reads the live directory, as it always did (nothing is back-filled, since the
names it was signed with are not known).

The copy is protected like the lock itself: the lock's audit row (part of the signed
audit chain) carries a digest of the rows, and ``monitor verify`` recomputes it for
every unit-month, so a frozen name edited with plain sqlite3 is reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.store.base import StoreBase
from monitor.store.month_close import month_span
from monitor.store.timesheets import GRADE_SHOWN

COLUMNS = ("unit_code", "month", "kind", "code", "name", "detail")


@dataclass(frozen=True)
class MonthRoster:
    """A locked unit-month's frozen names, as the timesheet shows them."""

    unit_name: str
    parent_name: str | None  # None: the unit is at the top (the sheet names the organisation)
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # employee code → (full name, grade shown)


def roster_digest(rows: Iterable[Sequence[Any]]) -> str:
    """SHA-256 over a unit-month's rows (:data:`COLUMNS`, ordered by kind and code)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(list(row), ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


class MonthRosterStore(StoreBase):
    def freeze_month_roster(self, unit_code: str, month: str) -> str:
        """Copy what the unit-month's timesheet shows of the directory; returns the copy's
        digest, for the lock's audit row. Call inside the lock's transaction.

        The people are those the timesheet lists: judged under the unit in the month."""
        first, last = month_span(month)
        with self.write():
            conn = self.db.conn
            conn.execute("DELETE FROM month_roster WHERE unit_code = ? AND month = ?", (unit_code, month))
            conn.execute(
                "INSERT INTO month_roster(unit_code, month, kind, code, name, detail)"
                " SELECT u.code, ?, 'unit', u.code, u.name, p.name FROM units u"
                " LEFT JOIN units p ON p.code = u.parent_code WHERE u.code = ?",
                (month, unit_code),
            )
            conn.execute(
                f"INSERT INTO month_roster(unit_code, month, kind, code, name, detail)"
                f" SELECT ?, ?, 'employee', e.code, e.full_name, {GRADE_SHOWN} FROM employees e"
                " WHERE e.code IN (SELECT employee_code FROM day_results"
                " WHERE unit_code = ? AND day BETWEEN ? AND ? AND provisional = 0)",
                (unit_code, month, unit_code, first, last),
            )
            return roster_digest(self._roster_rows(unit_code, month))

    def drop_month_roster(self, unit_code: str, month: str) -> str | None:
        """Forget the unit-month's frozen names (a reopen); the digest of what was
        dropped, for the reopen's audit row, or ``None`` when there was nothing."""
        with self.write():
            rows = self._roster_rows(unit_code, month)
            if not rows:
                return None
            self.db.conn.execute("DELETE FROM month_roster WHERE unit_code = ? AND month = ?", (unit_code, month))
        return roster_digest(rows)

    def month_rosters(self, month: str, unit_codes: Sequence[str]) -> dict[str, MonthRoster]:
        """unit code → its frozen names, for the units among ``unit_codes`` whose month is
        locked now and was locked with a roster (a lock older than the table has none)."""
        if not unit_codes:
            return {}
        rows = self.db.conn.execute(
            "SELECT r.unit_code, r.kind, r.code, r.name, r.detail FROM month_roster r"
            " JOIN month_close m ON m.unit_code = r.unit_code AND m.month = r.month AND m.state = 'locked'"
            f" WHERE r.month = ? AND r.unit_code IN ({','.join('?' * len(unit_codes))})",
            (month, *unit_codes),
        )
        units: dict[str, tuple[str, str | None]] = {}
        people: dict[str, dict[str, tuple[str, str]]] = {}
        for unit_code, kind, code, name, detail in rows:
            if kind == "unit":
                units[unit_code] = (name, detail)
            else:
                people.setdefault(unit_code, {})[code] = (name, detail or "")
        return {code: MonthRoster(name, parent, people.get(code, {})) for code, (name, parent) in units.items()}

    def month_roster_problems(self) -> list[str]:
        """What ``monitor verify`` reports about the frozen names: for every unit-month,
        the rows must match the digest its last lock noted in the audit trail, and there
        must be none where the last lock noted none (or a reopen came after it)."""
        expected: dict[tuple[str, str], str | None] = {}
        for key, action, after in self.db.conn.execute(
            "SELECT entity_key, action, after FROM audit WHERE entity = 'month' AND action IN ('lock', 'reopen')"
            " ORDER BY id"
        ):
            unit_code, _, month = key.partition("/")
            noted = json.loads(after).get("roster") if action == "lock" and after else None
            expected[(unit_code, month)] = noted if isinstance(noted, str) else None
        actual: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for row in self.db.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM month_roster ORDER BY unit_code, month, kind, code"
        ):
            actual.setdefault((row[0], row[1]), []).append(row)
        problems = []
        for unit_code, month in sorted(set(expected) | set(actual)):
            noted = expected.get((unit_code, month))
            rows = actual.get((unit_code, month))
            if rows is None and noted is None:
                continue
            where = f"the names frozen at the lock of {unit_code} {month}"
            if noted is None:
                problems.append(f"{where} are there, but no lock in the audit trail froze them: they were added by hand")
            elif rows is None:
                problems.append(f"{where} are gone (deleted by hand, not by a reopen)")
            elif roster_digest(rows) != noted:
                problems.append(f"{where} differ from what the lock recorded: a name or grade was edited by hand")
        return problems

    def _roster_rows(self, unit_code: str, month: str) -> list[tuple[Any, ...]]:
        return self.db.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM month_roster WHERE unit_code = ? AND month = ? ORDER BY kind, code",
            (unit_code, month),
        ).fetchall()
