"""Requests about judged days, their decisions, attached files' metadata and the manual
punches approved corrections add.

Rows are never deleted: a request moves pending → approved | rejected | withdrawn, and
an approval may be revoked; a manual punch is revoked, not removed. Every change is
audited by the caller's transaction (``entity`` ``request`` or ``manual_punch``). The
policy (who may do what, routing, the deadline) lives in ``monitor.service.requests``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from monitor.engine.requests import APPROVED, EXPLANATION, PENDING
from monitor.store.base import StoreBase
from monitor.store.results import PUNCH_DAY, PUNCH_SECONDS

REQUEST_FIELDS = (
    "employee_code", "kind", "day_from", "day_to", "part", "violation", "minutes", "category", "leave_kind",
    "claimed_in", "claimed_out", "reason", "document_no", "status", "approver_unit", "filed_by", "on_behalf",
)
# what a listing returns beside the request itself
_LISTED = "r.*, e.full_name, e.unit_code"


def _in(values: Sequence[Any]) -> str:
    return f"({','.join('?' * len(values))})"


class RequestStore(StoreBase):
    # --- requests -----------------------------------------------------------------------

    def add_request(self, values: Mapping[str, Any], *, actor: str) -> int:
        """Insert a request (call inside ``write()``); audited as ``file``."""
        row = {name: values.get(name) for name in REQUEST_FIELDS}
        row["filed_at"] = self.now_text()
        columns = list(row)
        cursor = self.db.conn.execute(
            f"INSERT INTO requests ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[name] for name in columns],
        )
        request_id = int(cursor.lastrowid or 0)
        after = {k: v for k, v in row.items() if v is not None and k != "filed_at"}
        self.audit(actor, "file", "request", str(request_id), None, after, row["reason"])
        return request_id

    def request(self, request_id: int) -> dict[str, Any]:
        """One request with the person's name and current unit, or :class:`NotFound`."""
        return self.one(
            f"SELECT {_LISTED} FROM requests r JOIN employees e ON e.code = r.employee_code WHERE r.id = ?",
            (request_id,),
            f"no request #{request_id} (list them with 'monitor requests list')",
        )

    def requests_where(
        self,
        *,
        employee_codes: Sequence[str] | None = None,
        unit_codes: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        approver_units: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
        search: str | None = None,
        ids: Sequence[int] | None = None,
        unrouted: bool = False,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Requests matching every filter given, newest first. ``unit_codes``: the
        person's current unit; ``search``: part of the person's code or name;
        ``unrouted``: only those no manager approves (HR decides them)."""
        clauses: list[str] = ["r.approver_unit IS NULL"] if unrouted else []
        params: list[Any] = []
        for column, values in (
            ("r.employee_code", employee_codes), ("e.unit_code", unit_codes), ("r.status", statuses),
            ("r.approver_unit", approver_units), ("r.kind", kinds), ("r.id", ids),
        ):
            if values is not None:
                if not values:
                    return []
                clauses.append(f"{column} IN {_in(values)}")
                params.extend(values)
        if day_from is not None:
            clauses.append("r.day_to >= ?")
            params.append(day_from.isoformat())
        if day_to is not None:
            clauses.append("r.day_from <= ?")
            params.append(day_to.isoformat())
        if search:
            clauses.append("(r.employee_code LIKE ? OR e.full_name LIKE ?)")
            params += [f"%{search}%", f"%{search}%"]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.query(
            f"SELECT {_LISTED} FROM requests r JOIN employees e ON e.code = r.employee_code {where}"
            " ORDER BY r.id DESC LIMIT ?",
            (*params, limit),
        )

    def pending_count(self, approver_units: Sequence[str] | None, *, unrouted: bool = False) -> int:
        """Pending requests routed to these units (``None``: all pending, or with
        ``unrouted`` those routed to no unit)."""
        if approver_units is None:
            extra = " AND approver_unit IS NULL" if unrouted else ""
            return int(self.scalar(f"SELECT COUNT(*) FROM requests WHERE status = ?{extra}", (PENDING,)) or 0)
        if not approver_units:
            return 0
        return int(self.scalar(
            f"SELECT COUNT(*) FROM requests WHERE status = ? AND approver_unit IN {_in(approver_units)}",
            (PENDING, *approver_units),
        ) or 0)

    def update_request(self, request_id: int, changes: Mapping[str, Any], *, actor: str, action: str,
                       reason: str | None) -> None:
        """Change a request's columns (call inside ``write()``), audited as ``action``."""
        before_row = self.request(request_id)
        before = {k: before_row[k] for k in changes}
        sets = ", ".join(f"{name} = ?" for name in changes)
        self.db.conn.execute(f"UPDATE requests SET {sets} WHERE id = ?", (*changes.values(), request_id))
        self.audit(actor, action, "request", str(request_id), before, dict(changes), reason)

    def requests_by_day(self, employee_codes: Sequence[str] | None, day_from: date, day_to: date
                        ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """(employee, day) → [{"id", "kind", "status"}] of the requests covering that day."""
        sql = ("SELECT id, employee_code, kind, status, day_from, day_to FROM requests"
               " WHERE day_to >= ? AND day_from <= ?")
        params: list[Any] = [day_from.isoformat(), day_to.isoformat()]
        if employee_codes is not None:
            if not employee_codes:
                return {}
            sql += f" AND employee_code IN {_in(employee_codes)}"
            params.extend(employee_codes)
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for request_id, code, kind, status, low, high in self.db.conn.execute(sql + " ORDER BY id", params):
            first = max(date.fromisoformat(low), day_from)
            last = min(date.fromisoformat(high), day_to)
            for n in range((last - first).days + 1):
                day = (first + timedelta(days=n)).isoformat()
                found.setdefault((code, day), []).append({"id": request_id, "kind": kind, "status": status})
        return found

    def approved_excuses(self, employee_codes: Sequence[str], day_from: date, day_to: date
                         ) -> list[tuple[str, str, str, str, int | None, str]]:
        """(employee, first day, last day, violation, minutes, category) of approved explanations."""
        return list(self.db.conn.execute(
            "SELECT employee_code, day_from, day_to, violation, minutes, category FROM requests"
            f" WHERE employee_code IN {_in(employee_codes)} AND kind = ? AND status = ?"
            " AND day_to >= ? AND day_from <= ? ORDER BY employee_code, id",
            (*employee_codes, EXPLANATION, APPROVED, day_from.isoformat(), day_to.isoformat()),
        ))

    # --- manual punches ---------------------------------------------------------------

    def add_manual_punch(self, employee_code: str, punched_at: str, direction: str, *, request_id: int, author: str,
                         approver: str, reason: str) -> int:
        """A punch a person vouched for (call inside ``write()``); the punch log is untouched."""
        values = {"employee_code": employee_code, "punched_at": punched_at, "direction": direction,
                  "request_id": request_id, "author": author, "approver": approver, "reason": reason}
        cursor = self.db.conn.execute(
            "INSERT INTO manual_punches(employee_code, punched_at, direction, request_id, author, approver, reason,"
            " created_at) VALUES (:employee_code, :punched_at, :direction, :request_id, :author, :approver, :reason, :at)",
            {**values, "at": self.now_text()},
        )
        punch_id = int(cursor.lastrowid or 0)
        self.audit(approver, "add", "manual_punch", str(punch_id), None, values, reason)
        return punch_id

    def revoke_manual_punches(self, request_id: int, *, actor: str, reason: str) -> int:
        """Revoke the manual punches a request added (call inside ``write()``)."""
        rows = self.query("SELECT * FROM manual_punches WHERE request_id = ? AND revoked_at IS NULL", (request_id,))
        for row in rows:
            self.db.conn.execute(
                "UPDATE manual_punches SET revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE id = ?",
                (actor, self.now_text(), reason, row["id"]),
            )
            before = {k: row[k] for k in ("employee_code", "punched_at", "direction", "request_id")}
            self.audit(actor, "revoke", "manual_punch", str(row["id"]), before, None, reason)
        return len(rows)

    def manual_punches_between(self, employee_code: str, day_from: date, day_to: date, *,
                               include_revoked: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT * FROM manual_punches WHERE employee_code = ? AND punched_at >= ? AND punched_at < ?"
        if not include_revoked:
            sql += " AND revoked_at IS NULL"
        return self.query(sql + " ORDER BY punched_at, id",
                          (employee_code, day_from.isoformat(), (day_to + timedelta(days=1)).isoformat()))

    def manual_punch_times(self, employee_codes: Sequence[str], day_from: date, day_to: date
                           ) -> Iterator[tuple[str, str, int, int]]:
        """Like :meth:`ResultStore.punch_times` for the active manual punches; their ids
        come negated, so a judged day's punch ids tell machine from manual."""
        return iter(self.db.conn.execute(
            f"SELECT employee_code, {PUNCH_DAY}, {PUNCH_SECONDS}, -id"
            f" FROM manual_punches WHERE employee_code IN {_in(employee_codes)} AND revoked_at IS NULL"
            " AND punched_at >= ? AND punched_at < ? ORDER BY employee_code, punched_at",
            (*employee_codes, day_from.isoformat(), (day_to + timedelta(days=1)).isoformat()),
        ))

    def day_punches(self, employee_code: str, day: date) -> list[dict[str, Any]]:
        """The raw punches of one person's local day, as the clocks delivered them."""
        return self.query(
            "SELECT id, device_id, device_user_id, punched_at, source, verify_mode, state, clock_suspect, received_at"
            " FROM punches WHERE employee_code = ? AND punched_at >= ? AND punched_at < ? ORDER BY punched_at, id",
            (employee_code, day.isoformat(), (day + timedelta(days=1)).isoformat()),
        )

    # --- attachments ----------------------------------------------------------------------

    def add_request_file(self, request_id: int, *, file_name: str, content_type: str, size: int, sha256: str,
                         actor: str) -> int:
        with self.write():
            cursor = self.db.conn.execute(
                "INSERT INTO request_files(request_id, file_name, content_type, size, sha256, added_by, added_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (request_id, file_name, content_type, size, sha256, actor, self.now_text()),
            )
            file_id = int(cursor.lastrowid or 0)
            self.audit(actor, "attach", "request", str(request_id), None,
                       {"file": file_id, "name": file_name, "sha256": sha256, "size": size}, None)
        return file_id

    def request_files(self, request_id: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM request_files WHERE request_id = ? ORDER BY id", (request_id,))

    def request_file(self, file_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM request_files WHERE id = ?", (file_id,), f"no attached file #{file_id}")

    # --- who manages what -------------------------------------------------------------

    def managers_by_unit(self) -> dict[str, list[str]]:
        """Unit code → user names of its active managers."""
        found: dict[str, list[str]] = {}
        for username, units in self.db.conn.execute(
                "SELECT username, units FROM users WHERE role = 'manager' AND active = 1 ORDER BY username"):
            for unit in json.loads(units):
                found.setdefault(unit, []).append(username)
        return found

    def usernames_of_employee(self, employee_code: str) -> list[str]:
        return [row[0] for row in self.db.conn.execute(
            "SELECT username FROM users WHERE employee_code = ? ORDER BY username", (employee_code,))]

    def mark_days_dirty(self, pairs: Iterable[tuple[str, date, date]]) -> None:
        """Mark (employee, first day, last day) spans for judging again (inside ``write()``)."""
        for code, first, last in pairs:
            self._mark_dirty(code, first, last)  # type: ignore[attr-defined]  # LeaveStore's, mixed into Store
