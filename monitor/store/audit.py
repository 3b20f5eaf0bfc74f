"""Reading the audit trail: filtered, newest first, a page at a time (the audit page)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from monitor.store.base import StoreBase


class AuditStore(StoreBase):
    def audit_entries(
        self,
        *,
        actor: str | None = None,
        entity: str | None = None,
        action: str | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
        employee: str | None = None,
        unit_codes: Sequence[str] | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Audit rows matching every filter given, newest first, and how many match in all.

        ``day_from``/``day_to`` are local dates, both included (``at`` is local ISO text
        with the site's offset, so text comparison orders it). ``limit=None``: every row."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("actor", actor), ("entity", entity), ("action", action), ("employee_code", employee)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if day_from is not None:
            clauses.append("at >= ?")
            params.append(day_from.isoformat())
        if day_to is not None:
            clauses.append("at < ?")
            params.append((day_to + timedelta(days=1)).isoformat())
        if unit_codes is not None:
            codes = list(unit_codes)
            clauses.append(f"unit_code IN ({','.join('?' * len(codes))})")
            params.extend(codes)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = int(self.scalar(f"SELECT COUNT(*) FROM audit{where}", params) or 0)
        rows = self.query(f"SELECT * FROM audit{where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                          (*params, -1 if limit is None else limit, offset))
        return rows, total

    def audit_choices(self) -> dict[str, list[str]]:
        """The actors, entities and actions present in the trail (for the filters' lists)."""
        return {column: [row[0] for row in self.db.conn.execute(f"SELECT DISTINCT {column} FROM audit ORDER BY 1")]
                for column in ("actor", "entity", "action")}
