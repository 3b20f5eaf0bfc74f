"""Multi-row inserts write exactly the rows given, whatever their number; a reader is a
second connection that sees committed rows only."""

from __future__ import annotations

import pytest

from monitor.store import Store
from monitor.store.pipeline import ROWS_PER_STATEMENT, insert_rows


@pytest.mark.parametrize("count", [0, 1, 2, 7, 8, 511, 512, 513, 1000, 2017], ids=lambda n: f"{n} rows")
def test_insert_rows_writes_every_row_once(store: Store, count: int) -> None:
    rows = [(f"NV{n:05d}", f"2026-10-{1 + n % 28:02d}", "late" if n % 3 else None) for n in range(count)]
    with store.write():
        store.db.conn.execute("CREATE TEMP TABLE seen (code TEXT, day TEXT, word TEXT, again TEXT)")
        insert_rows(store.db.conn, "INSERT INTO seen (code, day, word, again)", rows, repeat=(2,))
        got = store.db.conn.execute("SELECT code, day, word, again FROM seen ORDER BY code").fetchall()
    assert got == [(*row, row[2]) for row in rows]  # the repeated parameter lands in the extra column


def test_insert_rows_takes_a_tail_clause(store: Store) -> None:
    store.set_judged_through([("NV00001", "2026-10-01", "a")])
    marks = [(f"NV{n:05d}", "2026-10-31", "b") for n in range(ROWS_PER_STATEMENT[0] + 3)]
    store.set_judged_through(marks)  # an upsert: the existing mark is replaced, the others added
    assert store.judged_marks() == {code: (through, basis) for code, through, basis in marks}


def test_a_reader_is_a_second_connection(store: Store) -> None:
    with store.reader() as reader:
        assert reader.db.conn is not store.db.conn
        with store.write():
            store.set_meta("test:seen", "not yet")
            with reader.snapshot():
                assert reader.get_meta("test:seen") is None  # uncommitted on the other connection
        assert reader.get_meta("test:seen") == "not yet"
