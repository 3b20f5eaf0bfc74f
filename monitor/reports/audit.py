"""The audit trail for people: each change with its before and after side by side.

Rows keep the stored keys (``id``, ``at``, ``actor``, ``action``, ``entity``,
``entity_key``, ``employee``, ``unit``, ``reason``) and add ``before``/``after`` as
values and ``changes``: one ``{"field", "before", "after"}`` per field that differs.
The CSV has the same columns, the changes as ``field: before → after`` joined by ``; ``,
and every cell guarded against formula injection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from monitor.reports.cells import safe_csv

CSV_KEYS = ("id", "at", "actor", "action", "entity", "entity_key", "employee", "unit", "changes", "reason", "before",
            "after")


def _value(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# Digests a month step's audit row carries for ``monitor verify`` (of the step row, of
# the names a lock froze): kept in before/after, not listed as changes a person made.
SEALS = frozenset({"step", "roster"})


def changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """The fields that differ between two recorded values (dicts field by field), but
    the :data:`SEALS`."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        return [{"field": name, "before": old.get(name), "after": new.get(name)}
                for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name) and name not in SEALS]
    return [] if before == after else [{"field": "", "before": before, "after": after}]


def audit_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored audit rows as the page, its JSON twin and its CSV show them."""
    found = []
    for row in rows:
        before, after = _value(row["before"]), _value(row["after"])
        found.append({
            "id": row["id"], "at": row["at"], "actor": row["actor"], "action": row["action"], "entity": row["entity"],
            "entity_key": row["entity_key"], "employee": row["employee_code"], "unit": row["unit_code"],
            "before": before, "after": after, "changes": changes(before, after), "reason": row["reason"],
        })
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def changes_text(row: dict[str, Any]) -> str:
    """'state: approved → locked; chain_head: ∅ → 12:ab…'."""
    return "; ".join(f"{c['field']}: {_shown(c['before'])} → {_shown(c['after'])}".lstrip(": ") for c in row["changes"])


def audit_csv(rows: list[dict[str, Any]]) -> str:
    """The CSV export (no BOM: the caller adds it for a download)."""
    def flat(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "changes": changes_text(row),
                "before": None if row["before"] is None else json.dumps(row["before"], ensure_ascii=False, sort_keys=True),
                "after": None if row["after"] is None else json.dumps(row["after"], ensure_ascii=False, sort_keys=True)}

    return safe_csv(CSV_KEYS, (flat(row) for row in rows))
