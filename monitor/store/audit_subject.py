"""Whom an audit row concerns: the employee and the unit, for filtering the trail.

Every change goes through ``store.audit``; its callers name an entity and a key and give
before/after values. The employee and unit are read from those (the key of an employee,
unit or month; an ``employee_code``/``unit_code`` in the values), else looked up: an
employee's unit, a device's unit. The unit is the one at the time of the change.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def _first(payloads: list[dict[str, Any]], *names: str) -> str | None:
    for payload in payloads:
        for name in names:
            value = payload.get(name)
            if isinstance(value, str) and value:
                return value
    return None


def audit_subject(conn: sqlite3.Connection, entity: str, key: str, before: Any, after: Any) -> tuple[str | None, str | None]:
    """(employee code, unit code) an audit row concerns; either may be ``None``."""
    payloads = [p for p in (after, before) if isinstance(p, dict)]
    employee = key if entity == "employee" else _first(payloads, "employee_code", "employee")
    unit = _first(payloads, "unit_code", "unit")
    if entity == "unit":
        unit = key
    elif entity == "month":
        unit = key.split("/", 1)[0]
    elif entity == "request" and employee is None and key.isdigit():
        row = conn.execute("SELECT employee_code FROM requests WHERE id = ?", (int(key),)).fetchone()
        employee = row[0] if row else None
    elif entity == "device" and unit is None:
        row = conn.execute("SELECT unit_code FROM devices WHERE id = ?", (key,)).fetchone()
        unit = row[0] if row else None
    if unit is None and employee is not None:
        row = conn.execute("SELECT unit_code FROM employees WHERE code = ?", (employee,)).fetchone()
        unit = row[0] if row else None
    return employee, unit
