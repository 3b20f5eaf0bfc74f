"""Closing the month per unit (``month_close``, ``month_close_steps``), and the reads
that decide whether a month may close and whether a day may still change.

A unit's month with no row is open. Each step is appended to ``month_close_steps``
(never edited), so the history of locks survives a reopen. The state changes in the
same transaction as its step and its audit row, and only from the state the caller
saw: two people pressing "confirm" at once cannot both succeed. Each step's audit row
carries a digest of the step row, so ``monitor verify`` catches a signer's name, a date
or a state edited with plain sqlite3 (:meth:`MonthCloseStore.month_close_problems`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from monitor.errors import N_, Message, NotFound, Refused
from monitor.store.base import StoreBase

OPEN = "open"
LOCKED = "locked"


def step_seal(step_id: int, conn: sqlite3.Connection) -> str:
    """``id:sha256`` of a month close step row as it is stored now (every column)."""
    cursor = conn.execute("SELECT * FROM month_close_steps WHERE id = ?", (step_id,))
    row = cursor.fetchone()
    names = [column[0] for column in cursor.description or ()]
    text = json.dumps(dict(zip(names, row)) if row else None, ensure_ascii=False, sort_keys=True)
    return f"{step_id}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_span(month: str) -> tuple[str, str]:
    """First and last ISO day of a ``YYYY-MM`` month."""
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.isoformat(), (following - timedelta(days=1)).isoformat()


def _months(date_from: date, date_to: date) -> list[str]:
    months, day = [], date_from.replace(day=1)
    while day <= date_to:
        months.append(month_text(day))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


class MonthCloseStore(StoreBase):
    # --- state and history ------------------------------------------------------------

    def month_state(self, unit_code: str, month: str) -> str:
        return self.scalar("SELECT state FROM month_close WHERE unit_code = ? AND month = ?", (unit_code, month)) or OPEN

    def month_states(self, month: str) -> dict[str, str]:
        """unit code → state, for the units whose month ever left 'open'."""
        return dict(self.db.conn.execute("SELECT unit_code, state FROM month_close WHERE month = ?", (month,)))

    def month_steps(self, unit_code: str, month: str) -> list[dict[str, Any]]:
        """Every step of a unit's month, oldest first."""
        return self.query(
            "SELECT * FROM month_close_steps WHERE unit_code = ? AND month = ? ORDER BY id", (unit_code, month)
        )

    def record_month_step(
        self,
        unit_code: str,
        month: str,
        *,
        step: str,
        from_state: str,
        to_state: str,
        user: dict[str, Any],
        reason: str | None = None,
        with_chain_head: bool = False,
        roster: str | None = None,
    ) -> dict[str, Any]:
        """Move a unit's month from ``from_state`` to ``to_state`` and record who did it.

        Refused when the month is no longer in ``from_state`` (someone acted meanwhile).
        A lock records the punch log's chain head, so what arrived later is known.
        ``roster``: the digest of the names a lock froze (or a reopen dropped), noted in
        the step's audit row, where ``monitor verify`` checks the frozen rows against it.
        """
        with self.write():
            current = self.month_state(unit_code, month)
            if current != from_state:
                raise Refused(N_("%(unit)s %(month)s is %(current)s now, not %(expected)s: someone acted meanwhile;"
                                 " look again", unit=unit_code, month=month, current=Message(current),
                                 expected=Message(from_state)))
            head = (self.get_meta("chain_head") or "0:") if with_chain_head else None
            at = self.now_text()
            self.db.conn.execute(
                "INSERT INTO month_close(unit_code, month, state, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(unit_code, month) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (unit_code, month, to_state, at),
            )
            cursor = self.db.conn.execute(
                "INSERT INTO month_close_steps(unit_code, month, step, from_state, to_state, username, full_name, role,"
                " at, reason, chain_head) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (unit_code, month, step, from_state, to_state, user["username"], user.get("full_name"), user["role"],
                 at, reason, head),
            )
            step_id = int(cursor.lastrowid or 0)
            before: dict[str, Any] = {"state": from_state}
            after: dict[str, Any] = {"state": to_state, **({"chain_head": head} if head else {})}
            if roster:
                (after if to_state == LOCKED else before)["roster"] = roster
            # the step row as written (the timesheet prints its names and dates): verify
            # compares the row with this digest, and the month's state with the last step's
            after["step"] = step_seal(step_id, self.db.conn)
            self.audit(user["username"], step, "month", f"{unit_code}/{month}", before, after, reason)
        return self.one("SELECT * FROM month_close_steps WHERE id = ?", (step_id,), f"no step #{step_id}")

    # --- verify -----------------------------------------------------------------------

    def month_close_problems(self) -> list[str]:
        """What ``monitor verify`` reports about the month close: every unit-month's state
        must be the one its last audited step left, and every step row (who signed, when)
        must match the digest its audit row carries. Steps recorded before the digest
        existed (no ``step`` in their audit row) are checked for their state only."""
        states: dict[tuple[str, str], str] = {}
        seals: dict[int, str] = {}
        for key, after in self.db.conn.execute("SELECT entity_key, after FROM audit WHERE entity = 'month' ORDER BY id"):
            noted = json.loads(after) if after else {}
            unit_code, _, month = key.partition("/")
            if isinstance(noted.get("state"), str):
                states[(unit_code, month)] = noted["state"]
            step_id, _, digest = str(noted.get("step") or "").partition(":")
            if step_id.isdigit():
                seals[int(step_id)] = digest
        problems = []
        stored = dict(((unit, month), state) for unit, month, state in
                      self.db.conn.execute("SELECT unit_code, month, state FROM month_close"))
        for unit_code, month in sorted(set(states) | set(stored)):
            noted_state, state = states.get((unit_code, month)), stored.get((unit_code, month))
            where = f"the month close of {unit_code} {month}"
            if noted_state is None:
                problems.append(f"{where} is {state!r}, but no step in the audit trail put it there: it was set by hand")
            elif state is None:
                problems.append(f"{where} is gone, but the audit trail left it {noted_state!r}: it was deleted by hand")
            elif state != noted_state:
                problems.append(f"{where} is {state!r}, but its last step left it {noted_state!r}: it was changed by hand")
        first_sealed = min(seals, default=None)
        present = set()
        for (step_id,) in self.db.conn.execute("SELECT id FROM month_close_steps ORDER BY id"):
            present.add(step_id)
            if step_id in seals:
                if step_seal(step_id, self.db.conn).partition(":")[2] != seals[step_id]:
                    problems.append(f"month close step #{step_id} differs from what its audit row recorded:"
                                    " who signed, when or why was edited by hand")
            elif first_sealed is not None and step_id > first_sealed:
                problems.append(f"month close step #{step_id} has no audit row: it was added by hand")
        problems += [f"month close step #{step_id} is gone: it was deleted by hand"
                     for step_id in sorted(set(seals) - present)]
        return problems

    # --- locks ------------------------------------------------------------------------

    def locked_months(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(unit, month) → the step that locked it, for every month locked now."""
        rows = self.query(
            "SELECT s.* FROM month_close m JOIN month_close_steps s ON s.id = ("
            " SELECT MAX(id) FROM month_close_steps WHERE unit_code = m.unit_code AND month = m.month AND step = 'lock')"
            " WHERE m.state = 'locked'"
        )
        return {(row["unit_code"], row["month"]): row for row in rows}

    def locks_touching(self, employee_code: str, date_from: date, date_to: date) -> list[dict[str, Any]]:
        """The locks that hold any of an employee's days in the span: the month of the
        unit a day was judged under, or of their current unit for days not judged yet."""
        months = _months(date_from, date_to)
        employee = self.one(
            "SELECT unit_code FROM employees WHERE code = ?", (employee_code,),
            f"no employee {employee_code!r} (import employees first, or check the code)",
        )
        locks = self.locked_months()
        found = []
        for month in months:
            units = {employee["unit_code"]} | {
                row[0] for row in self.db.conn.execute(
                    "SELECT DISTINCT unit_code FROM day_results WHERE employee_code = ? AND day BETWEEN ? AND ?"
                    " AND day BETWEEN ? AND ?",
                    (employee_code, *month_span(month), date_from.isoformat(), date_to.isoformat()),
                )
            }
            found += [locks[(unit, month)] for unit in sorted(units) if (unit, month) in locks]
        return found

    def refuse_locked_days(self, employee_code: str, date_from: date, date_to: date) -> None:
        """Raise :class:`Refused` naming the lock when a change would touch a locked month."""
        locks = self.locks_touching(employee_code, date_from, date_to)
        if locks:
            lock = locks[0]
            raise Refused(N_(
                "%(code)s: %(month)s of unit %(unit)s is locked (by %(user)s on %(at)s); nothing in a locked month"
                " changes. Ask HR to reopen it first (monitor month reopen --month %(month)s --unit %(unit)s"
                " --reason ...)", code=employee_code, month=lock["month"], unit=lock["unit_code"],
                user=lock["username"], at=lock["at"][:16].replace("T", " ")))

    def delete_unlocked_results_outside(self, employee_code: str, first: date, last: date) -> int:
        """Forget an employee's results outside ``first``..``last``, except days in a
        month locked for the unit they were judged under (those never change)."""
        return self.db.conn.execute(
            "DELETE FROM day_results WHERE employee_code = ? AND (day < ? OR day > ?) AND NOT EXISTS ("
            " SELECT 1 FROM month_close m WHERE m.state = 'locked' AND m.unit_code = day_results.unit_code"
            " AND m.month = substr(day_results.day, 1, 7))",
            (employee_code, first.isoformat(), last.isoformat()),
        ).rowcount

    def reopen_marks(self, unit_code: str, month: str) -> int:
        """Mark every judged day of a unit's month dirty, so that the next evaluation
        applies whatever changed while it was locked (punches, leave, rules)."""
        first, last = month_span(month)
        return self.db.conn.execute(
            "INSERT OR IGNORE INTO dirty_days(employee_code, day) SELECT employee_code, day FROM day_results"
            " WHERE unit_code = ? AND day BETWEEN ? AND ?",
            (unit_code, first, last),
        ).rowcount

    # --- what is still pending before a month may be submitted ------------------------

    def unit_employee_codes(self, unit_code: str, month: str) -> list[str]:
        """People of the unit in the month: judged under it, or in it now."""
        first, last = month_span(month)
        return [row[0] for row in self.db.conn.execute(
            "SELECT DISTINCT employee_code FROM day_results WHERE unit_code = ? AND day BETWEEN ? AND ?"
            " UNION SELECT code FROM employees WHERE unit_code = ? AND active = 1"
            " AND (hired_on IS NULL OR hired_on <= ?) AND (left_on IS NULL OR left_on >= ?) ORDER BY 1",
            (unit_code, first, last, unit_code, last, first),
        )]

    def provisional_count(self, unit_code: str, month: str) -> int:
        first, last = month_span(month)
        return int(self.scalar(
            "SELECT COUNT(*) FROM day_results WHERE unit_code = ? AND day BETWEEN ? AND ? AND provisional = 1",
            (unit_code, first, last)) or 0)

    def not_judged_through(self, employee_codes: Sequence[str], through: date) -> list[str]:
        """Employees whose days are not judged up to ``through`` (or their leaving day)."""
        if not employee_codes:
            return []
        marks = ",".join("?" * len(employee_codes))
        return [row[0] for row in self.db.conn.execute(
            f"SELECT e.code FROM employees e LEFT JOIN judged_through j ON j.employee_code = e.code"
            f" WHERE e.code IN ({marks}) AND (j.through IS NULL OR j.through < MIN(?, COALESCE(e.left_on, ?)))"
            " ORDER BY e.code",
            (*employee_codes, through.isoformat(), through.isoformat()),
        )]

    def dirty_count(self, employee_codes: Sequence[str], month: str) -> int:
        """Employee-days of the month whose punches or leave changed since judged."""
        if not employee_codes:
            return 0
        first, last = month_span(month)
        marks = ",".join("?" * len(employee_codes))
        return int(self.scalar(
            f"SELECT COUNT(*) FROM dirty_days WHERE employee_code IN ({marks}) AND day BETWEEN ? AND ?",
            (*employee_codes, first, last)) or 0)

    def unknown_badge_punches(self, unit_codes: Sequence[str], month: str) -> list[dict[str, Any]]:
        """Punches of ids nobody is enrolled for, on the devices of these units, in the month."""
        first, last = month_span(month)
        marks = ",".join("?" * len(unit_codes))
        return self.query(
            "SELECT p.device_id, p.device_user_id, COUNT(*) AS punches FROM punches p JOIN devices d ON d.id = p.device_id"
            f" WHERE p.employee_code IS NULL AND d.unit_code IN ({marks}) AND p.punched_at >= ? AND p.punched_at < ?"
            " GROUP BY p.device_id, p.device_user_id ORDER BY p.device_id, p.device_user_id",
            (*unit_codes, first, last + "~"),
        )

    def punches_after_lock(self, unit_code: str, month: str, head_id: int) -> list[dict[str, Any]]:
        """Punches of the unit's people on days of the month, stored after the lock
        (row id beyond the chain head the lock recorded): kept, waiting for a reopen."""
        first, last = month_span(month)
        codes = self.unit_employee_codes(unit_code, month)
        if not codes:
            return []
        marks = ",".join("?" * len(codes))
        return self.query(
            "SELECT p.id, p.employee_code, e.full_name, p.device_id, p.punched_at, p.received_at FROM punches p"
            " JOIN employees e ON e.code = p.employee_code"
            f" WHERE p.id > ? AND p.employee_code IN ({marks}) AND p.punched_at >= ? AND p.punched_at < ?"
            " ORDER BY p.punched_at, p.id",
            (head_id, *codes, first, last + "~"),
        )

    def require_unit(self, unit_code: str) -> None:
        if self.scalar("SELECT 1 FROM units WHERE code = ?", (unit_code,)) is None:
            raise NotFound(f"no unit {unit_code!r} (import units first, or check the code)")
