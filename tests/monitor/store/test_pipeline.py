"""Multi-row inserts write exactly the rows given, whatever their number; a reader is a
second connection that sees committed rows only."""

from __future__ import annotations

import pytest

from monitor.store import Store
from monitor.store.pipeline import ROWS_PER_STATEMENT, insert_rows
from monitor.store.results import STAGED_COLUMNS, STAGED_NULL, unstaged


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


def _plain_row(n: int) -> tuple:
    """A plain row in STAGED_COLUMNS order, with texts, numbers and NULLs (STAGED_NULL),
    each of the type its column stores."""
    values = {
        "departure": STAGED_NULL, "leave_kind": STAGED_NULL, "holiday": "0" if n == 1 else STAGED_NULL,
        "leave_fraction": 0.0, "employee_code": f"NV{n:05d}", "day": f"2026-10-{1 + n % 28:02d}", "unit_code": "U1", "schedule_id": "default",
        "status": "present" if n % 2 else "weekend", "arrival": "07:31:00" if n % 2 else STAGED_NULL, "late_minutes": n % 7,
        "absent_fraction": 0.5 if n % 5 == 0 else 0.0, "present_fraction": 1.0, "symbol": "+" if n % 2 else "",
        "punch_ids": f"{n}" if n % 2 else STAGED_NULL, "detail": '{"calendar": "Tết"}' if n % 3 == 0 else STAGED_NULL,
    }
    return tuple(values.get(column, 0) for column in STAGED_COLUMNS)  # the counts


def test_staged_rows_reach_the_table_as_bound(store: Store) -> None:
    first = [_plain_row(n) for n in range(700)]
    second = [_plain_row(n) for n in range(650, 1300)]  # overlaps: insert or replace
    with store.day_result_staging() as stage:
        for rows, at in ((first, "2026-11-01T08:00:00+07:00"), (second, "2026-11-02T08:00:00+07:00")):
            store.load_staged(stage.image(rows))  # replaces the previous image
            with store.write():
                store.save_staged_day_results(at)
    columns = ", ".join(STAGED_COLUMNS)
    got = store.db.conn.execute(
        f"SELECT {columns}, evaluated_at, approved_symbol FROM day_results ORDER BY employee_code, day").fetchall()
    expected = sorted([(*unstaged(row), "2026-11-01T08:00:00+07:00", row[18]) for row in first[:650]]
                      + [(*unstaged(row), "2026-11-02T08:00:00+07:00", row[18]) for row in second])
    assert got == expected
    # a NULL text comes back as NULL, a text "0" as itself
    assert store.db.conn.execute(
        "SELECT arrival, holiday, punch_ids FROM day_results WHERE employee_code IN ('NV00000', 'NV00001')"
        " ORDER BY employee_code").fetchall() == [(None, None, None), ("07:31:00", "0", "1")]
    # the staging schema lives as long as the job
    assert [row[1] for row in store.db.conn.execute("PRAGMA database_list")] == ["main"]
