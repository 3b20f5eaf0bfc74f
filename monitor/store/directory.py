"""Units, employees, enrollments and web users; every change is audited."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from monitor.errors import NotFound, Refused
from monitor.store.base import StoreBase

ROLES = ("admin", "hr", "manager", "timekeeper", "staff")  # staff: one employee's own days and requests
UNIT_FIELDS = ("name", "parent_code", "schedule", "active")
EMPLOYEE_FIELDS = ("full_name", "unit_code", "title", "grade", "active", "hired_on", "left_on", "schedule", "email")


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    attached_punches: int = 0


_decoy: list[str] = []


def _decoy_hash() -> str:
    """A hash of a random password made with the same method as real ones, once per process."""
    if not _decoy:
        import secrets

        _decoy.append(generate_password_hash(secrets.token_hex(16)))
    return _decoy[0]


class DirectoryStore(StoreBase):
    # --- units ------------------------------------------------------------------------

    def upsert_units(self, units: Iterable[Mapping[str, Any]], *, actor: str, reason: str | None = None) -> UpsertResult:
        """Add or update units by code (a tree through ``parent_code``); one transaction."""
        result = UpsertResult()
        units = _parents_first(list(units))
        with self.write():
            for unit in units:
                self._upsert("units", "code", unit, UNIT_FIELDS, actor, reason, result)
            self._check_unit_tree()
        return result

    def _check_unit_tree(self) -> None:
        parents = {row[0]: row[1] for row in self.db.conn.execute("SELECT code, parent_code FROM units")}
        for code, parent in parents.items():
            if parent and parent not in parents:
                raise Refused(f"unit {code}: parent unit {parent!r} does not exist (import it first or in the same file)")
        for code in parents:
            seen = {code}
            parent = parents[code]
            while parent:
                if parent in seen:
                    raise Refused(f"unit {code}: its parent chain loops back to {parent} (a unit cannot be its own ancestor)")
                seen.add(parent)
                parent = parents.get(parent)

    def units(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM units ORDER BY code")

    def unit(self, code: str) -> dict[str, Any]:
        return self.one("SELECT * FROM units WHERE code = ?", (code,), f"no unit {code!r} (import units first, or check the code)")

    def unit_and_below(self, code: str) -> list[str]:
        """A unit's code and every unit below it, at any depth."""
        self.unit(code)
        return [
            row[0]
            for row in self.db.conn.execute(
                "WITH RECURSIVE tree(code) AS (SELECT ? UNION SELECT u.code FROM units u JOIN tree t ON u.parent_code = t.code)"
                " SELECT code FROM tree",
                (code,),
            )
        ]

    # --- employees --------------------------------------------------------------------

    def upsert_employees(
        self, employees: Iterable[Mapping[str, Any]], *, actor: str, reason: str | None = None
    ) -> UpsertResult:
        result = UpsertResult()
        employees = list(employees)
        units = {row[0] for row in self.db.conn.execute("SELECT code FROM units")}
        with self.write():
            for employee in employees:
                if employee.get("unit_code") not in units:
                    raise Refused(
                        f"employee {employee.get('code')}: unit {employee.get('unit_code')!r} does not exist (import units first)"
                    )
                self._upsert("employees", "code", employee, EMPLOYEE_FIELDS, actor, reason, result)
        return result

    def employees(self, unit_codes: Iterable[str] | None = None, *, active_only: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT * FROM employees"
        clauses: list[str] = []
        params: list[Any] = []
        if unit_codes is not None:
            codes = list(unit_codes)
            clauses.append(f"unit_code IN ({','.join('?' * len(codes))})")
            params.extend(codes)
        if active_only:
            clauses.append("active = 1")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return self.query(sql + " ORDER BY unit_code, code", params)

    def employee(self, code: str) -> dict[str, Any]:
        return self.one(
            "SELECT * FROM employees WHERE code = ?", (code,), f"no employee {code!r} (import employees first, or check the code)"
        )

    # --- enrollments ------------------------------------------------------------------

    def upsert_enrollments(
        self, enrollments: Iterable[Mapping[str, Any]], *, actor: str, reason: str | None = None
    ) -> UpsertResult:
        """Map device user ids (or cards, or fingerprint pages) to employees.

        Punches already stored for a newly mapped id get its employee at once.
        """
        result = UpsertResult()
        enrollments = list(enrollments)
        known = {row[0] for row in self.db.conn.execute("SELECT code FROM employees")}
        with self.write():
            for item in enrollments:
                code = item["employee_code"]
                if code not in known:
                    raise Refused(
                        f"enrollment {item['device_id']}/{item['device_user_id']}: employee {code!r} does not exist"
                    )
                key = f"{item['device_id']}/{item['device_user_id']}"
                before = self.query(
                    "SELECT employee_code, kind FROM enrollments WHERE device_id = ? AND device_user_id = ?",
                    (item["device_id"], item["device_user_id"]),
                )
                after = {"employee_code": code, "kind": item.get("kind", "user")}
                if before and before[0] == after:
                    result.unchanged += 1
                    continue
                self.db.conn.execute(
                    "INSERT INTO enrollments(device_id, device_user_id, employee_code, kind, updated_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT(device_id, device_user_id) DO UPDATE SET employee_code = excluded.employee_code,"
                    " kind = excluded.kind, updated_at = excluded.updated_at",
                    (item["device_id"], item["device_user_id"], code, after["kind"], self.now_text()),
                )
                self.audit(actor, "update" if before else "add", "enrollment", key, before[0] if before else None, after, reason)
                if before:
                    result.updated += 1
                else:
                    result.added += 1
                result.attached_punches += self.attach_unknown(item["device_id"], item["device_user_id"], code)  # type: ignore[attr-defined]
        return result

    def remove_enrollment(self, device_id: str, device_user_id: str, *, actor: str, reason: str) -> None:
        with self.write():
            before = self.query(
                "SELECT employee_code, kind FROM enrollments WHERE device_id = ? AND device_user_id = ?",
                (device_id, device_user_id),
            )
            if not before:
                raise NotFound(f"no enrollment {device_id}/{device_user_id}")
            self.db.conn.execute(
                "DELETE FROM enrollments WHERE device_id = ? AND device_user_id = ?", (device_id, device_user_id)
            )
            self.audit(actor, "remove", "enrollment", f"{device_id}/{device_user_id}", before[0], None, reason)

    def enrollments(self, employee_code: str | None = None) -> list[dict[str, Any]]:
        if employee_code:
            return self.query("SELECT * FROM enrollments WHERE employee_code = ? ORDER BY device_id", (employee_code,))
        return self.query("SELECT * FROM enrollments ORDER BY device_id, device_user_id")

    # --- the shared upsert ------------------------------------------------------------

    def _upsert(
        self,
        table: str,
        key_column: str,
        values: Mapping[str, Any],
        fields: tuple[str, ...],
        actor: str,
        reason: str | None,
        result: UpsertResult,
    ) -> None:
        key = values[key_column]
        conn = self.db.conn
        existing = self.query(f"SELECT * FROM {table} WHERE {key_column} = ?", (key,))
        new = {name: values[name] for name in fields if name in values}
        if existing:
            old = {name: existing[0][name] for name in new}
            if old == new:
                result.unchanged += 1
                return
            sets = ", ".join(f"{name} = ?" for name in new)
            conn.execute(
                f"UPDATE {table} SET {sets}, updated_at = ? WHERE {key_column} = ?",
                (*new.values(), self.now_text(), key),
            )
            changed_before = {k: v for k, v in old.items() if new[k] != v}
            changed_after = {k: new[k] for k in changed_before}
            self.audit(actor, "update", table[:-1], key, changed_before, changed_after, reason)
            result.updated += 1
        else:
            columns = [key_column, *new, "updated_at"]
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                (key, *new.values(), self.now_text()),
            )
            self.audit(actor, "add", table[:-1], key, None, new, reason)
            result.added += 1

    # --- web users --------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        *,
        role: str,
        units: Iterable[str] = (),
        full_name: str | None = None,
        actor: str,
        replace: bool = False,
        employee_code: str | None = None,
        must_change_password: bool = False,
    ) -> None:
        """Add (or with ``replace`` overwrite) a web user. ``employee_code`` links the
        account to one employee: required for ``staff``, optional for managers (so that
        their own requests go to the unit above)."""
        if role not in ROLES:
            raise Refused(f"role {role!r} is not one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise Refused("the password must have at least 8 characters")
        units = sorted(set(units))
        for unit in units:
            self.unit(unit)
        if role in ("manager", "timekeeper") and not units:
            raise Refused(f"a {role} needs at least one unit (--unit CODE)")
        if role == "staff" and not employee_code:
            raise Refused("a staff account belongs to one employee (--employee CODE)")
        if role == "staff" and units:
            raise Refused("a staff account sees only its own employee's days: give --employee, not --unit")
        if employee_code:
            self.employee(employee_code)
        now = self.now_text()
        with self.write():
            existing = self.query("SELECT username, role, units, employee_code FROM users WHERE username = ?", (username,))
            if existing and not replace:
                raise Refused(f"user {username!r} already exists")
            self.db.conn.execute(
                "INSERT INTO users(username, full_name, password_hash, role, units, active, created_at, updated_at,"
                " employee_code, must_change_password)"
                " VALUES (?,?,?,?,?,1,?,?,?,?) ON CONFLICT(username) DO UPDATE SET full_name = excluded.full_name,"
                " password_hash = excluded.password_hash, role = excluded.role, units = excluded.units,"
                " active = 1, updated_at = excluded.updated_at, employee_code = excluded.employee_code,"
                " must_change_password = excluded.must_change_password",
                (username, full_name, generate_password_hash(password), role, json.dumps(units), now, now,
                 employee_code, int(must_change_password)),
            )
            after = {"role": role, "units": units, "full_name": full_name, "employee_code": employee_code}
            self.audit(actor, "update" if existing else "add", "user", username, existing[0] if existing else None, after)
            if existing:
                # a replaced account (new password, role or units) starts with no live session
                self.end_user_sessions(username, actor=actor, reason="user replaced")  # type: ignore[attr-defined]

    def change_password(self, username: str, old_password: str, new_password: str, *,
                        keep_session: str | None = None) -> None:
        """A user's own password change: clears "must change at first login" and ends
        their other sessions (``keep_session``: the token of the one they are using)."""
        if self.check_password(username, old_password) is None:
            raise Refused("the current password is wrong")
        if new_password == old_password:
            raise Refused("choose a password different from the current one")
        self.set_password(username, new_password, actor=username, keep_session=keep_session)  # type: ignore[attr-defined]

    def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """The user row when the password is right and the user active, else ``None``."""
        rows = self.query("SELECT * FROM users WHERE username = ? AND active = 1", (username,))
        if not rows:
            # check against a stored-once hash: one hash on both paths, so a wrong name
            # costs exactly as long as a wrong password (no user list by timing)
            check_password_hash(_decoy_hash(), password)
            return None
        if not check_password_hash(rows[0]["password_hash"], password):
            return None
        user = rows[0]
        user["units"] = json.loads(user["units"])
        return user

    def admin_count(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")

    def users(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT username, full_name, role, units, active, created_at, employee_code,"
                          " must_change_password FROM users ORDER BY username")
        for row in rows:
            row["units"] = json.loads(row["units"])
        return rows


def _parents_first(units: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The units in an order where each parent given in the same batch comes before its
    children (a file may list them in any order); a cycle is refused, named."""
    by_code = {unit["code"]: unit for unit in units}
    ordered: list[Mapping[str, Any]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 placed
    for start in by_code:
        path: list[str] = []
        code: str | None = start
        while code in by_code and state.get(code) != 2:
            if state.get(code) == 1:
                loop = path[path.index(code):] + [code]
                raise Refused(f"units {' → '.join(loop)} form a cycle: a unit cannot be its own ancestor")
            state[code] = 1
            path.append(code)
            code = by_code[code].get("parent_code")
        for placed in reversed(path):
            state[placed] = 2
            ordered.append(by_code[placed])
    return ordered
