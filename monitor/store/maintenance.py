"""Copies of the database (SQLite's online backup) and small records kept in ``meta``:
the collector's heartbeat and the last backup's result."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.errors import StorageError
from monitor.store.base import StoreBase, storage_error

HEARTBEAT_KEY = "collector_heartbeat"
LAST_BACKUP_KEY = "backup_last"
PAGES_PER_STEP = 4096  # ~16 MB at a time: writers get the lock between steps


def copy_database(source: Path, target: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """A consistent copy of ``source`` (opened read-only, its WAL included) into a new
    file ``target``, written to disk before this returns. Pages are copied in steps,
    so the collector and the site go on writing meanwhile."""
    if target.exists():
        raise StorageError(f"{target} already exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise storage_error(exc, source) from None
    try:
        dest = sqlite3.connect(partial)
        try:
            def step(status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            src.backup(dest, pages=PAGES_PER_STEP, progress=step)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise storage_error(exc, source if "malformed" in str(exc) else target) from None
    finally:
        src.close()
    with open(partial, "rb") as file:
        os.fsync(file.fileno())
    os.replace(partial, target)


class MaintenanceStore(StoreBase):
    def backup_to(self, target: Path, progress: Callable[[int, int], None] | None = None) -> int:
        """Copy this database to ``target`` (see :func:`copy_database`); its size in bytes."""
        copy_database(self.path, target, progress)
        return target.stat().st_size

    def record_backup(self, result: dict[str, Any]) -> None:
        """Keep the last backup's result (``at``, ``path``, ``ok``, ``error``) for the
        devices page and alerts."""
        with self.write():
            self.set_meta(LAST_BACKUP_KEY, json.dumps(result, ensure_ascii=False, sort_keys=True))

    def last_backup(self) -> dict[str, Any] | None:
        text = self.get_meta(LAST_BACKUP_KEY)
        return json.loads(text) if text else None

    def beat(self, state: dict[str, Any]) -> None:
        """The collector's heartbeat: it is alive, when, and what it does."""
        with self.write():
            self.set_meta(HEARTBEAT_KEY, json.dumps(state, sort_keys=True))

    def heartbeat(self) -> dict[str, Any] | None:
        text = self.get_meta(HEARTBEAT_KEY)
        return json.loads(text) if text else None
