"""Checkpoints of the write-ahead log, taken by a process's own thread rather than by
whichever write happens to cross SQLite's threshold.

By default the commit that makes the WAL pass 1,000 pages also copies it into the
database file and syncs the disk, inside that writer's transaction hand-over: on a busy
server one request in a few hundred then takes 100 ms or more, and everyone queued
behind it waits too. A process with many short writers (the push receiver) turns that
off on its connections and checkpoints from a thread of its own; a checkpoint runs
beside writers in WAL mode, so no writer waits for the disk.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from monitor.store.base import StoreBase, storage_error


class Checkpoint(NamedTuple):
    """What one checkpoint did (SQLite's own figures)."""

    busy: bool  # another checkpoint was running: this one did nothing
    wal_pages: int  # pages in the WAL
    copied: int  # pages copied into the database file (all of them: the WAL restarts at the next write)


class WalStore(StoreBase):
    """Checkpointing the WAL from a thread of one's own."""

    def defer_checkpoints(self) -> None:
        """This connection's commits no longer checkpoint (``wal_autocheckpoint = 0``):
        whoever calls this must call :meth:`checkpoint` regularly, or the WAL grows."""
        self.db.conn.execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> Checkpoint:
        """A ``PASSIVE`` checkpoint: copies what it can without waiting for readers or
        writers, so it never holds anyone up."""
        try:
            busy, pages, copied = self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.DatabaseError as exc:
            raise storage_error(exc, self.path) from None
        return Checkpoint(bool(busy), max(pages, 0), max(copied, 0))
