"""m010_web_speed: the start page counts a day from the day index alone, on a new
database and on one upgraded to it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlite_utils import Database

from monitor.store import Store
from monitor.store.schema import migrations
from tests.conftest import ZONE

COLUMNS = ["day", "unit_code", "status", "late_minutes", "early_minutes", "away_minutes", "missing_in", "missing_out"]


def _columns(store: Store) -> list[str]:
    return [row[2] for row in store.db.conn.execute("PRAGMA index_info(idx_day_results_day)")]


def test_the_day_counts_read_the_index_alone(directory: Store) -> None:
    executed: list[str] = []
    directory.db.conn.set_trace_callback(executed.append)  # the statement with its values bound
    try:
        directory.day_unit_counts(date(2026, 11, 25), None)
        directory.day_unit_counts(date(2026, 11, 25), ["SNV", "PTC"])
    finally:
        directory.db.conn.set_trace_callback(None)
    assert _columns(directory) == COLUMNS and len(executed) == 2
    for sql in executed:
        plan = " ".join(row[3] for row in directory.db.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "COVERING INDEX idx_day_results_day" in plan, plan


def test_an_older_database_gets_the_wider_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m010_web_speed")
    assert [row[2] for row in old.execute("PRAGMA index_info(idx_day_results_day)")] == ["day", "unit_code"]
    old.close()
    with Store(path, zone=ZONE) as store:  # opening applies the pending migration
        assert _columns(store) == COLUMNS
