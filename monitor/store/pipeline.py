"""What a bulk job needs to read on one connection while it writes on another.

The evaluation reads and judges the next batch while a writer thread commits the
previous one on the store's own connection (so its transactions, signatures and lock
measures stay the store's). A connection holds one transaction at a time, so the reads
take a second connection to the same file: :meth:`PipelineStore.reader`.

Rows are written with multi-row ``INSERT ... VALUES (...), (...)`` statements rather than
``executemany``: Python's sqlite3 gives up the GIL inside each ``sqlite3_step`` and must
take it back afterwards, once per row with ``executemany``. A writer thread that needs the
GIL back thousands of times a batch waits for the judging thread at every row; with a few
hundred rows a statement it waits a few times a batch, and SQLite's work on the rows
(the index maintenance, most of a write's cost) runs beside the judging.

Binding the values is Python work (about 0.1 µs a number, 0.25 µs a text, 0.6 µs a
``None`` in Python 3.11's sqlite3), and Python work on the writer thread competes with
the judging for the GIL. So a batch's rows are bound on the thread that judged them,
into a private in-memory database (:class:`RowStage`), and handed to the writer as that
database's image (``serialize``): the writer loads it into its ``staging`` schema
(:meth:`PipelineStore.staging`, ``deserialize``, a copy of a few hundred KiB) and moves
the rows with one ``INSERT ... SELECT``, all of it SQLite's work, without the GIL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any

from monitor.store.base import StoreBase

# Rows per statement, largest first: a batch of n rows takes at most a few statements of
# each size, every one prepared once and then taken from the statement cache.
ROWS_PER_STATEMENT = (512, 128, 32, 8, 2, 1)


# The reading connection's page cache (KiB).
READER_CACHE_KIB = 8 * 1024
# The schema a writer loads staged rows into (see PipelineStore.staging).
STAGING = "staging"


@lru_cache(maxsize=64)
def _values_statement(head: str, width: int, rows: int, repeat: tuple[int, ...], tail: str) -> str:
    """``head VALUES (?1, .. ?w, repeats), (...) tail`` for ``rows`` rows of ``width``
    parameters; each row also binds its own parameters at the 0-based ``repeat``
    positions again (the same value in two columns, bound once)."""
    groups = []
    for row in range(rows):
        base = row * width
        numbers = [base + n + 1 for n in range(width)] + [base + n + 1 for n in repeat]
        groups.append("(" + ", ".join(f"?{n}" for n in numbers) + ")")
    return f"{head} VALUES {', '.join(groups)}{tail}"


def insert_rows(conn: Any, head: str, rows: Sequence[tuple[Any, ...]], *, repeat: tuple[int, ...] = (),
                tail: str = "") -> None:
    """Insert ``rows`` (tuples of one width) with ``head`` (``INSERT ... INTO t (columns)``)
    in a few multi-row statements; ``repeat`` and ``tail`` as in :func:`_values_statement`."""
    if not rows:
        return
    width = len(rows[0])
    done = 0
    for size in ROWS_PER_STATEMENT:
        if len(rows) - done < size:
            continue
        sql = _values_statement(head, width, size, repeat, tail)
        while len(rows) - done >= size:
            conn.execute(sql, tuple(chain.from_iterable(rows[done:done + size])))
            done += size


class PipelineStore(StoreBase):
    @contextmanager
    def reader(self) -> Iterator[Any]:
        """A second store on the same file, for reading while this one writes (from
        another thread): the same methods, its own connection and snapshots."""
        second = type(self)(self.path, zone=self.zone, now=self._now, migrate=False, key=self.key)
        # its reads are index ranges read once (a batch's punches): a small page cache
        # does, and the job's memory stays bounded (the writer keeps the big one)
        second.db.conn.execute(f"PRAGMA cache_size = {-READER_CACHE_KIB}")
        try:
            yield second
        finally:
            second.close()

    @contextmanager
    def staging(self) -> Iterator[None]:
        """An empty in-memory schema ``staging`` on this connection for the job's length,
        for :meth:`load_staged`. Outside any transaction (ATTACH and DETACH need that)."""
        conn = self.db.conn
        conn.execute(f"ATTACH DATABASE ':memory:' AS {STAGING}")
        try:
            yield
        finally:
            conn.execute(f"DETACH DATABASE {STAGING}")

    def load_staged(self, image: bytes) -> None:
        """Replace the ``staging`` schema's content by a :class:`RowStage` image, before
        the transaction that reads it (a schema in a transaction cannot be replaced)."""
        self.db.conn.deserialize(image, name=STAGING)


class RowStage:
    """One table in a private in-memory database, filled on the thread that prepares a
    batch and handed over as an image for :meth:`PipelineStore.load_staged`.

    Nothing else sees it: no lock, no file; it lives as long as the job (``close``)."""

    def __init__(self, table: str, columns: Sequence[str]):
        self.table = table
        self.columns = tuple(columns)
        self._conn = sqlite3.connect(":memory:", isolation_level=None)
        # no declared types: values keep the type they were bound with, and the
        # destination's column affinity applies when they are moved there
        self._conn.execute(f"CREATE TABLE {table} ({', '.join(self.columns)})")

    def image(self, rows: Sequence[tuple[Any, ...]]) -> bytes:
        """The database holding exactly ``rows`` (in :attr:`columns` order), serialized;
        their order is the table's rowid order."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.execute(f"DELETE FROM {self.table}")
            insert_rows(conn, f"INSERT INTO {self.table} ({', '.join(self.columns)})", rows)
        except BaseException:
            conn.execute("ROLLBACK")  # no half-staged batch left for the next one to find
            raise
        conn.execute("COMMIT")
        return conn.serialize()

    def close(self) -> None:
        self._conn.close()
