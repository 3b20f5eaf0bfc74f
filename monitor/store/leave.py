"""Leave and excuses: added and removed with author, time and reason, never edited.

Overlapping leave for the same person and part of the day is refused, naming the
record already there; so is any change touching a locked month, naming the lock. Every change marks the affected employee-days dirty so that the
next evaluation re-judges them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from monitor.engine.leave import PARTS
from monitor.errors import NotFound, Refused
from monitor.store.base import StoreBase


def describe_leave(row: dict[str, Any]) -> str:
    """'#12 (P, 2026-11-20..2026-11-21, full)'."""
    span = row["date_from"] if row["date_from"] == row["date_to"] else f"{row['date_from']}..{row['date_to']}"
    return f"#{row['id']} ({row['kind']}, {span}, {row['part']})"


class LeaveStore(StoreBase):
    def add_leave(
        self,
        employee_code: str,
        date_from: date,
        date_to: date,
        *,
        part: str,
        kind: str,
        reason: str,
        actor: str,
    ) -> int:
        """Record leave; returns its id. ``kind`` must already be a known code."""
        if part not in PARTS:
            raise Refused(f"part {part!r} is not one of {', '.join(PARTS)}")
        if date_to < date_from:
            raise Refused(f"the leave ends ({date_to}) before it starts ({date_from})")
        if not reason.strip():
            raise Refused("give a reason (it is kept in the audit trail)")
        with self.write():
            self._require_employee(employee_code)
            self.refuse_locked_days(employee_code, date_from, date_to)  # type: ignore[attr-defined]
            clash = self.overlapping_leave(employee_code, date_from, date_to, part)
            if clash is not None:
                low = max(date_from.isoformat(), clash["date_from"])
                high = min(date_to.isoformat(), clash["date_to"])
                span = low if low == high else f"{low}..{high}"
                raise Refused(
                    f"{employee_code}: leave {describe_leave(clash)} already covers {span};"
                    f" remove it first (monitor leave remove {clash['id']} --reason ...) or change the dates"
                )
            values = {
                "employee_code": employee_code,
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "part": part,
                "kind": kind,
                "reason": reason.strip(),
            }
            cursor = self.db.conn.execute(
                "INSERT INTO leave(employee_code, date_from, date_to, part, kind, reason, created_by, created_at)"
                " VALUES (:employee_code, :date_from, :date_to, :part, :kind, :reason, :actor, :at)",
                {**values, "actor": actor, "at": self.now_text()},
            )
            leave_id = int(cursor.lastrowid or 0)
            self.audit(actor, "add", "leave", str(leave_id), None, values, values["reason"])
            self._mark_dirty(employee_code, date_from, date_to)
        return leave_id

    def overlapping_leave(self, employee_code: str, date_from: date, date_to: date, part: str) -> dict[str, Any] | None:
        """The first active record of the same person overlapping the dates and part."""
        rows = self.query(
            "SELECT * FROM leave WHERE employee_code = ? AND removed_at IS NULL AND date_from <= ? AND date_to >= ?"
            " AND (part = 'full' OR ? = 'full' OR part = ?) ORDER BY date_from, id LIMIT 1",
            (employee_code, date_to.isoformat(), date_from.isoformat(), part, part),
        )
        return rows[0] if rows else None

    def same_leave(self, employee_code: str, date_from: date, date_to: date, part: str, kind: str) -> dict[str, Any] | None:
        """An active record with exactly these dates, part and kind (re-imports skip it)."""
        rows = self.query(
            "SELECT * FROM leave WHERE employee_code = ? AND removed_at IS NULL AND date_from = ? AND date_to = ?"
            " AND part = ? AND kind = ?",
            (employee_code, date_from.isoformat(), date_to.isoformat(), part, kind),
        )
        return rows[0] if rows else None

    def remove_leave(self, leave_id: int, *, reason: str, actor: str) -> dict[str, Any]:
        """Mark a record removed (it stays in the table and the audit trail)."""
        if not reason.strip():
            raise Refused("give a reason for removing the leave (it is kept in the audit trail)")
        with self.write():
            row = self.leave_record(leave_id)
            if row["removed_at"]:
                raise Refused(f"leave #{leave_id} was already removed on {row['removed_at']} by {row['removed_by']}")
            self.refuse_locked_days(  # type: ignore[attr-defined]
                row["employee_code"], date.fromisoformat(row["date_from"]), date.fromisoformat(row["date_to"]))
            self.db.conn.execute(
                "UPDATE leave SET removed_by = ?, removed_at = ?, removed_reason = ? WHERE id = ?",
                (actor, self.now_text(), reason.strip(), leave_id),
            )
            before = {k: row[k] for k in ("employee_code", "date_from", "date_to", "part", "kind", "reason")}
            self.audit(actor, "remove", "leave", str(leave_id), before, None, reason.strip())
            self._mark_dirty(row["employee_code"], date.fromisoformat(row["date_from"]), date.fromisoformat(row["date_to"]))
        return row

    def leave_record(self, leave_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM leave WHERE id = ?", (leave_id,), f"no leave #{leave_id} (list them with 'monitor leave list')")

    def leave_records(
        self,
        employee_codes: Iterable[str] | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
        *,
        include_removed: bool = False,
    ) -> list[dict[str, Any]]:
        """Leave records overlapping ``day_from``..``day_to``, oldest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if employee_codes is not None:
            codes = list(employee_codes)
            clauses.append(f"employee_code IN ({','.join('?' * len(codes))})")
            params.extend(codes)
        if day_from is not None:
            clauses.append("date_to >= ?")
            params.append(day_from.isoformat())
        if day_to is not None:
            clauses.append("date_from <= ?")
            params.append(day_to.isoformat())
        if not include_removed:
            clauses.append("removed_at IS NULL")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.query(f"SELECT * FROM leave{where} ORDER BY date_from, employee_code, id", params)

    def _require_employee(self, employee_code: str) -> None:
        if self.scalar("SELECT 1 FROM employees WHERE code = ?", (employee_code,)) is None:
            raise NotFound(f"no employee {employee_code!r} (import employees first, or check the code)")

    def _mark_dirty(self, employee_code: str, date_from: date, date_to: date) -> None:
        days = (date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO dirty_days(employee_code, day) VALUES (?, ?)",
            ((employee_code, day.isoformat()) for day in days),
        )
