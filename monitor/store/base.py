"""The connection, transactions, clock and audit trail shared by every store part."""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from monitor.engine.clock import in_zone
from monitor.errors import NotFound, StorageError
from monitor.store.audit_subject import audit_subject
from monitor.store.schema import migrations

# Bulk work (a million-punch import, a province's month) allocates millions of
# short-lived values and makes no reference cycles: the cyclic collector would only
# rescan them, about a tenth of the time. It is a process-wide setting and the collector
# and the site run threads beside such work, so it is made rarer, never switched off,
# and restored when the last bulk job in the process ends.
_BULK_THRESHOLD = 200_000
_bulk_lock = threading.Lock()
_bulk_jobs = 0
_saved_thresholds: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while bulk work runs (see above)."""
    global _bulk_jobs, _saved_thresholds
    with _bulk_lock:
        if _bulk_jobs == 0:
            _saved_thresholds = gc.get_threshold()
            gc.set_threshold(_BULK_THRESHOLD, *_saved_thresholds[1:])
        _bulk_jobs += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_jobs -= 1
            if _bulk_jobs == 0:
                gc.set_threshold(*_saved_thresholds)


class StoreBase:
    """One SQLite file in WAL mode, opened through sqlite-utils."""

    def __init__(
        self,
        path: str | Path,
        *,
        zone: ZoneInfo | str = "Asia/Ho_Chi_Minh",
        now: Callable[[], datetime] | None = None,
        create: bool = False,
        migrate: bool = True,
    ):
        self.path = Path(path)
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        # an injected clock keeps received-at and audit times deterministic in tests
        self._now = now or (lambda: datetime.now(self.zone))
        if not create and not self.path.exists():
            raise StorageError(
                f"no database at {self.path}: run 'monitor init' first (or check [storage] database in the config)"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            self.db = Database(conn)
            self.db.enable_wal()
            # WAL + NORMAL is durable across application crashes (the OS keeps the WAL);
            # a bigger page cache keeps the punch indexes in memory during big imports
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA foreign_keys = ON")
            if create:
                migrations.apply(self.db)
            elif migrate and migrations.pending(self.db):
                # later versions add migrations; applying them is safe and idempotent
                migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def secret(self, name: str) -> str:
        """A random secret kept in the database (e.g. the web session key), made on first use.

        Kept here rather than in config.toml so no secret is ever committed or mailed
        around with a config file.
        """
        import secrets

        key = f"secret:{name}"
        value = self.get_meta(key)
        if value is None:
            with self.write():
                value = self.get_meta(key)
                if value is None:
                    value = secrets.token_hex(32)
                    self.set_meta(key, value)
        return value

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- time -------------------------------------------------------------------------

    def now(self) -> datetime:
        """The current time, aware, in the site's zone."""
        return in_zone(self._now(), self.zone)

    def now_text(self) -> str:
        return self.now().isoformat(timespec="seconds")

    # --- transactions -----------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front, so a
        read-then-append (the punch hash chain) cannot interleave with another process;
        nested calls become savepoints."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"the database {self.path} is locked by another process: {exc}") from None
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # --- small helpers ----------------------------------------------------------------

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Any, missing: str) -> dict[str, Any]:
        """The single row a query names, or :class:`NotFound` with ``missing`` as the message."""
        rows = self.query(sql, params)
        if not rows:
            raise NotFound(missing)
        return rows[0]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.db.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def get_meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        self.db.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- audit ------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        entity: str,
        key: str,
        before: Any = None,
        after: Any = None,
        reason: str | None = None,
    ) -> None:
        """Record who changed what, when and why; call inside the change's transaction.

        The employee and unit the change concerns are recorded too (for the audit page's
        filters), read from the entity and the values or looked up."""
        employee, unit = audit_subject(self.db.conn, entity, key, before, after)
        self.db.conn.execute(
            "INSERT INTO audit(at, actor, action, entity, entity_key, before, after, reason, employee_code, unit_code)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                self.now_text(),
                actor,
                action,
                entity,
                key,
                None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
                None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
                reason,
                employee,
                unit,
            ),
        )

    def audit_log(self, entity: str | None = None, key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        clauses, params = [], []
        if entity:
            clauses.append("entity = ?")
            params.append(entity)
        if key:
            clauses.append("entity_key = ?")
            params.append(key)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.query(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit))
