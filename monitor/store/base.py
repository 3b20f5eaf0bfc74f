"""The connection, transactions, clock and audit trail shared by every store part."""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from monitor.engine.clock import in_zone
from monitor.errors import NotFound, StorageError
from monitor.store.audit_subject import audit_subject
from monitor.store.schema import migrations
from monitor.store.turnstile import WriterTurnstile
from monitor.store.seals import (
    AUDIT_HEAD,
    GENESIS,
    PROTECTED,
    PUNCH_HEAD,
    chain_hash,
    digest_key,
    head_value,
    signed,
    table_digest,
)

# Raised by SQLite for a damaged, full, read-only or locked database; the CLI and the
# web turn them into one clear line through :func:`storage_error`.
DatabaseFailure = sqlite3.DatabaseError


def storage_error(exc: sqlite3.Error, path: str | Path) -> StorageError:
    """One line saying what went wrong with the database file, where, and what to do."""
    text = str(exc)
    lowered = text.lower()
    if "full" in lowered:
        return StorageError(
            f"the disk holding the database {path} is full ({text}): nothing was written;"
            " free some space (old backups, logs) and try again"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StorageError(
            f"the database {path} is read-only for this user ({text}): the service user must be able to"
            " write the file and its folder (check their owner and permissions)"
        )
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return StorageError(
            f"the database {path} is damaged ({text}): stop 'monitor run' and 'monitor serve', keep a copy"
            " of the file, then put the last good backup back with 'monitor restore BACKUP'"
        )
    if "unable to open" in lowered:
        return StorageError(
            f"cannot open the database {path} ({text}): the file and its folder must exist and be readable and"
            " writable by the service user (a read-only disk?)"
        )
    if "locked" in lowered or "busy" in lowered:
        return StorageError(f"the database {path} is locked by another process ({text}): try again in a moment")
    if "i/o" in lowered:
        return StorageError(
            f"the disk holding the database {path} failed a read or write ({text}): check free space and"
            " the disk, then try again"
        )
    return StorageError(f"the database {path} refused the operation: {text}")

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


# How long a connection waits for another's lock before "database is locked" (seconds).
BUSY_TIMEOUT_SECONDS = 30

# SQLite's default: after a commit that leaves this many pages in the WAL, the committing
# connection copies them back into the database file (a PASSIVE checkpoint).
AUTO_CHECKPOINT_PAGES = 1000
# During a bulk job the WAL is checkpointed between batches at most this often (seconds):
# it bounds the WAL to about this long of the job's writing, and a page rewritten by
# several batches meanwhile is copied back once.
BULK_CHECKPOINT_SECONDS = 0.5


class Checkpoint(NamedTuple):
    """What one checkpoint did (SQLite's own figures)."""

    busy: bool  # another checkpoint was running: this one did nothing
    wal_pages: int  # pages in the WAL
    copied: int  # pages copied into the database file (all of them: the WAL restarts at the next write)


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
        key: bytes | None = None,
    ):
        self.path = Path(path)
        # the secret that signs chain heads and digests; kept outside the database
        self.key = key
        # the longest time this connection held the write lock, and how many writes it
        # made (the benchmark and the reliability tests read these)
        self.longest_write = 0.0
        self.last_write = 0.0
        self.write_count = 0
        # the longest checkpoint a bulk job ran between its batches (no lock held)
        self.longest_checkpoint = 0.0
        self.bulk_checkpoint_seconds = BULK_CHECKPOINT_SECONDS
        self._bulk_depth = 0
        self._last_checkpoint = 0.0
        self._checkpoints_deferred = False  # defer_checkpoints(): someone else takes them
        self._touched: set[str] = set()
        self._turnstile = WriterTurnstile(self.path)
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        # an injected clock keeps received-at and audit times deterministic in tests
        self._now = now or (lambda: datetime.now(self.zone))
        if not create and not self.path.exists():
            raise StorageError(
                f"no database at {self.path}: run 'monitor init' first (or check [storage] database in the config)"
            )
        if not create and self.path.stat().st_size == 0:
            # SQLite would take an empty file for a new, empty database and say "OK: 0 punches"
            raise StorageError(
                f"the database {self.path} is an empty file (0 bytes), not a database: put the last good backup"
                " back with 'monitor restore BACKUP', or move the file away and run 'monitor init'"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            self.db = Database(conn)
            self.db.enable_wal()
            # WAL + NORMAL is durable across application crashes (the OS keeps the WAL);
            # a bigger page cache keeps the punch indexes in memory during big imports
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA foreign_keys = ON")
            if create or (migrate and migrations.pending(self.db)):
                # later versions add migrations; applying them is safe and idempotent
                migrations.apply(self.db)
                if key is not None:
                    self._sign_unsigned()
        except sqlite3.DatabaseError as exc:
            if "conn" in locals():
                conn.close()
            raise storage_error(exc, self.path) from None

    def close(self) -> None:
        self.db.close()
        self._turnstile.close()

    def quick_check(self) -> None:
        """``PRAGMA quick_check``: raise :class:`StorageError` naming the first problem
        when the file is damaged (``run`` and ``serve`` refuse to start on it)."""
        try:
            rows = [row[0] for row in self.db.conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            raise storage_error(exc, self.path) from None
        if rows != ["ok"]:
            raise storage_error(sqlite3.DatabaseError(f"database disk image is malformed: {rows[0]}"), self.path)

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
        nested calls become savepoints.

        Keep it short: every other writer (a card reader's punch among them) waits while
        it is open. Before ``COMMIT`` the heads and digests the transaction changed are
        signed. A full, read-only or damaged database ends as :class:`StorageError`.

        ``longest_write`` measures ``BEGIN IMMEDIATE`` to the return of ``COMMIT``. When
        SQLite's auto-checkpoint falls due it runs inside that ``COMMIT`` call, but after
        the write lock is released (a PASSIVE checkpoint never blocks writers), so the
        measure then over-states the hold; inside :meth:`bulk` there is no auto-checkpoint
        and the measure is the hold itself."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        # the turnstile: a writer of another process waiting for the lock goes before
        # this connection's next transaction (see monitor.store.turnstile)
        try:
            self._turnstile.begin(conn, BUSY_TIMEOUT_SECONDS)
        except sqlite3.OperationalError as exc:
            raise storage_error(exc, self.path) from None
        started = time.perf_counter()
        self._touched = set()
        try:
            yield self.db
            self._seal()
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                raise storage_error(exc, self.path) from None
            raise
        finally:
            held = self.last_write = time.perf_counter() - started
            self.write_count += 1
            if held > self.longest_write:
                self.longest_write = held
        if (self._bulk_depth and not self._checkpoints_deferred
                and time.perf_counter() - self._last_checkpoint >= self.bulk_checkpoint_seconds):
            self.checkpoint()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Bulk work (an evaluation, an import, a pull): SQLite's auto-checkpoint is off on
        this connection, and the WAL is checkpointed after a batch's transaction instead,
        at most every ``bulk_checkpoint_seconds`` and once at the end.

        Why: the auto-checkpoint runs inside the ``COMMIT`` that makes it due, so a batch's
        commit took up to a second longer and the hold measure could not tell the lock
        from the copying. Run apart, each is timed on its own (``longest_write``,
        ``longest_checkpoint``). Every other connection (the web, a card reader, a CLI
        command) keeps the auto-checkpoint, so the WAL is always copied back, with or
        without a collector; a job killed here loses only its connection's setting."""
        conn = self.db.conn
        if self._bulk_depth == 0 and not self._checkpoints_deferred:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._last_checkpoint = time.perf_counter()
        self._bulk_depth += 1
        try:
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0 and not self._checkpoints_deferred:
                conn.execute(f"PRAGMA wal_autocheckpoint = {AUTO_CHECKPOINT_PAGES}")
        if self._bulk_depth == 0 and not self._checkpoints_deferred and not conn.in_transaction:
            self.checkpoint()  # the job's last batches (not after a failure: that error is the news)

    def defer_checkpoints(self) -> None:
        """This connection never checkpoints (``wal_autocheckpoint = 0``, and :meth:`bulk`
        takes none either): whoever calls this must call :meth:`checkpoint` regularly from
        elsewhere, or the WAL grows. The push receiver does, from a thread of its own, so
        no request pays for a disk sync."""
        self._checkpoints_deferred = True
        self.db.conn.execute("PRAGMA wal_autocheckpoint = 0")

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: it changes when another connection commits."""
        try:
            return int(self.db.conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise storage_error(exc, self.path) from None

    def checkpoint(self) -> Checkpoint:
        """A PASSIVE checkpoint, outside any transaction: copies what it can of the WAL
        back into the database file without waiting for (or blocking) other readers and
        writers."""
        started = time.perf_counter()
        try:
            busy, log, copied = self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.DatabaseError as exc:
            raise storage_error(exc, self.path) from None
        finally:
            self._last_checkpoint = time.perf_counter()
            self.longest_checkpoint = max(self.longest_checkpoint, self._last_checkpoint - started)
        return Checkpoint(bool(busy), max(log, 0), max(copied, 0))

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the same committed state (WAL
        keeps it while writers go on), so a check never mixes two moments."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")  # nothing was written: ending a read never fails

    def _sign_unsigned(self) -> None:
        """Sign the heads and digests a migration wrote (it runs without the key)."""
        with self.write():
            for name, text in self.db.conn.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?) OR key LIKE 'digest:%'", (PUNCH_HEAD, AUDIT_HEAD)
            ).fetchall():
                if "|" not in text:
                    self.set_meta(name, signed(self.key, name, text))

    def _seal(self) -> None:
        """Sign the audit head and refresh the digests of the tables changed (audited)
        in this transaction."""
        if not self._touched:
            return
        conn = self.db.conn
        row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None:
            self.set_meta(AUDIT_HEAD, signed(self.key, AUDIT_HEAD, head_value(row[0], row[1])))
        for entity in self._touched:
            if entity in PROTECTED:
                table, order = PROTECTED[entity]
                name = digest_key(table)
                self.set_meta(name, signed(self.key, name, table_digest(conn, table, order)))
        self._touched = set()

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

        The row joins the audit chain (its hash covers the previous row's), and the
        transaction's commit signs the new head. The employee and unit the change
        concerns are recorded beside it for the audit page's filters (read from the
        entity and the values, or looked up); being derived, they are not in the hash."""
        conn = self.db.conn
        last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        row_id, previous = (last[0] + 1, last[1] or GENESIS) if last else (1, GENESIS)
        row = (
            row_id,
            self.now_text(),
            actor,
            action,
            entity,
            key,
            None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
            reason,
        )
        employee, unit = audit_subject(conn, entity, key, before, after)
        conn.execute(
            "INSERT INTO audit(id, at, actor, action, entity, entity_key, before, after, reason, hash, employee_code,"
            " unit_code) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (*row, chain_hash(previous, row), employee, unit),
        )
        self._touched.add(entity)

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
