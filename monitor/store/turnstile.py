"""Writers of several processes take turns for SQLite's write lock.

A writer that finds the write lock taken waits in SQLite's busy handler, which sleeps
(1, 2, 5 ... up to 100 ms a step) and tries again. A bulk job that commits batch after
batch takes the lock again the moment it let it go, so such a sleeper was seldom awake
in the gap: in ``benchmarks/bench_locks.py`` another writer (standing in for a web action
or a CLI command) waited 1.2 s during an evaluation in which no transaction held the lock
for more than 60 ms.

So every outermost write of the monitor first takes the turnstile, an exclusive
``flock`` on a file beside the database (``<database>-writers``), and lets it go as soon
as ``BEGIN IMMEDIATE`` has made the write lock its own (:meth:`WriterTurnstile.begin`). A
writer that arrives while a batch holds the lock takes the turnstile and asks for the
lock again and again, a fraction of a millisecond apart (not in the busy handler's long
sleeps: the lock would lie idle meanwhile, with the bulk job waiting at the turnstile);
the bulk job's next batch waits at the turnstile, so the waiting writer goes next. Its wait is the rest of one
transaction, not a lottery.

The turnstile is only ever held between two transactions of its holder, never inside
one, so it cannot deadlock with the write lock. Where ``flock`` does not exist (Windows)
or the file cannot be made (a read-only folder), there is no turnstile and the busy
handler alone decides, as before.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no turnstile
    fcntl = None  # type: ignore[assignment]

SUFFIX = "-writers"
# How often a writer looks again at a taken turnstile, or at a taken write lock once the
# turnstile is its own (seconds): often for the first few milliseconds, since most
# transactions it waits for are that short (a clock's contact, a realtime punch: well
# under a millisecond, so a 1 ms step made the wait twice as long as the transaction
# in bench_adms), then every millisecond (waiting behind a bulk batch of up to 100 ms,
# a step of 0.2 ms would burn 13 % of a core instead of 7 %).
QUICK_POLL_SECONDS = 0.0002
QUICK_POLL_FOR_SECONDS = 0.005
POLL_SECONDS = 0.001


def _pause(started: float) -> None:
    """Sleep one polling step of a wait that began at ``started`` (``time.monotonic``)."""
    time.sleep(QUICK_POLL_SECONDS if time.monotonic() - started < QUICK_POLL_FOR_SECONDS else POLL_SECONDS)


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "database is locked" in str(exc)


class WriterTurnstile:
    """The turnstile of one database, for one connection (``flock`` locks belong to an
    open file, so two connections of one process take turns like two processes)."""

    def __init__(self, database: str | Path, *, patience: float = 30.0):
        self.database = Path(database)
        self.path = Path(f"{database}{SUFFIX}")
        self.patience = patience
        self._fd: int | None = None
        self._unavailable = fcntl is None

    def begin(self, conn: sqlite3.Connection, timeout: float) -> None:
        """``BEGIN IMMEDIATE`` on ``conn`` in turn: the turnstile first, then the write
        lock, asked for again every polling step (:func:`_pause`), until ``timeout``
        seconds in all (then SQLite's "database is locked", as its busy timeout would give)."""
        started = time.monotonic()
        deadline = started + timeout
        fd = self._open()
        if fd is None or not self._take(fd, deadline):
            conn.execute("BEGIN IMMEDIATE")  # no turnstile: the busy handler decides
            return
        try:
            saved = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                while True:
                    try:
                        conn.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as exc:
                        if not _busy(exc) or time.monotonic() >= deadline:
                            raise
                    _pause(started)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(saved)}")
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turnstile for the block (meant to hold ``BEGIN IMMEDIATE`` alone)."""
        fd = self._open()
        if fd is None or not self._take(fd, time.monotonic() + self.patience):
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int | None:
        if self._fd is None and not self._unavailable:
            try:
                # whoever may write the database may take turns: the file gets its mode
                # (a web server and a collector running as two users share a group)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, self._mode())
            except OSError:
                self._unavailable = True  # a read-only folder: the busy handler alone, as before
        return self._fd

    def _mode(self) -> int:
        try:
            return stat.S_IMODE(self.database.stat().st_mode) & 0o666
        except OSError:
            return 0o600

    def _take(self, fd: int, deadline: float) -> bool:
        """Whether the turnstile is ours; ``False`` at ``deadline`` (a holder stopped in a
        debugger must not stop every writer for longer than the busy timeout)."""
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                _pause(started)
