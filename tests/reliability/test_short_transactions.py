"""Evaluation batches are judged outside the write lock: a mark made meanwhile survives,
an interrupted run resumes to the same result, and verify never cries wolf mid-write."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

from drivers.base import Punch
from monitor.config import Config
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE

POLICY = Config(path=None).policy


def office(store: Store, people: int = 12, days: int = 40) -> None:
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
    store.upsert_employees([{"code": f"NV{n:03d}", "full_name": f"Người {n}", "unit_code": "SNV", "hired_on": "2026-01-01"}
                            for n in range(people)], actor="t")
    store.upsert_enrollments([{"device_id": "*", "device_user_id": str(n), "employee_code": f"NV{n:03d}"}
                              for n in range(people)], actor="t")
    start = FIXED_NOW.date() - timedelta(days=days)
    punches = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for n in range(people):
            arrival = datetime(day.year, day.month, day.day, 7, 20 + (n * 7 + offset) % 25)
            punches += [Punch(str(n), arrival), Punch(str(n), arrival + timedelta(hours=9, minutes=n % 40))]
    store.add_punches("gate", punches, source="device")


def results(store: Store) -> list[tuple]:
    return [tuple(row.values()) for row in store.query(
        "SELECT employee_code, day, status, arrival, departure, late_minutes, early_minutes, symbol"
        " FROM day_results ORDER BY employee_code, day")]


def test_a_mark_made_while_a_batch_is_judged_is_not_cleared(store: Store) -> None:
    office(store, people=1, days=2)
    day = "2026-11-25"
    assert ("NV000", day) in store.dirty_marks_of(["NV000"])
    watermark = store.dirty_watermark()  # the batch's snapshot ...
    marks = store.dirty_marks_of(["NV000"])
    # ... then, while it is judged, a late punch of that day arrives, and one of a new day
    store.add_punches("gate", [Punch("0", datetime(2026, 11, 25, 12, 0)), Punch("0", datetime(2026, 11, 26, 7, 0))],
                      source="device")
    with store.write():
        store.clear_answered_marks(marks, watermark)
    assert store.dirty_marks_of(["NV000"]) == [("NV000", "2026-11-25"), ("NV000", "2026-11-26")]


def test_an_interrupted_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    whole = Store(tmp_path / "whole.db", zone=ZONE, now=lambda: FIXED_NOW, create=True)
    cut = Store(tmp_path / "cut.db", zone=ZONE, now=lambda: FIXED_NOW, create=True)
    try:
        for store in (whole, cut):
            office(store)
        Evaluation(whole, POLICY, FIXED_NOW, batch_days=30).run()
        asked = []
        summary = Evaluation(cut, POLICY, FIXED_NOW, batch_days=30).run(stop=lambda: asked.append(1) or len(asked) > 3)
        assert summary.interrupted and 0 < len(results(cut)) < len(results(whole))
        resumed = Evaluation(cut, POLICY, FIXED_NOW, batch_days=30).run()
        assert not resumed.interrupted
        assert results(cut) == results(whole)
        assert Evaluation(cut, POLICY, FIXED_NOW).run().judged == 12  # only today, still provisional
        assert cut.dirty_marks_of([f"NV{n:03d}" for n in range(12)]) == []
    finally:
        whole.close()
        cut.close()


def test_verify_during_writes_never_cries_wolf(store: Store, db_path: Path) -> None:
    office(store, people=3, days=3)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        with Store(db_path, zone=ZONE, now=lambda: FIXED_NOW) as other:
            moment = datetime(2026, 11, 26, 8, 0)
            while not stop.is_set():
                try:
                    moment += timedelta(seconds=1)
                    other.add_punches("gate", [Punch("1", moment)], source="device")
                    with other.write():
                        other.audit("t", "test", "device", "gate", None, {"at": moment.isoformat()})
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        reports = [store.verify_integrity() for _ in range(25)]
    finally:
        stop.set()
        thread.join(10)
    assert errors == []
    assert [r.findings for r in reports if not r.ok] == []
    assert reports[-1].punches > reports[0].punches  # the writer did write meanwhile


def test_evaluation_batches_are_bounded(store: Store) -> None:
    office(store, people=12, days=40)
    store.longest_write = 0.0
    writes_before = store.write_count
    summary = Evaluation(store, POLICY, FIXED_NOW, batch_days=100).run()
    assert summary.judged == 12 * 41  # from the oldest punch's day to today
    # one short write per batch of about 100 employee-days (one person's 41 are never split): 3 people a batch
    assert store.write_count - writes_before >= 4


def test_a_failed_batch_write_stops_the_run_and_the_next_run_resumes(tmp_path: Path) -> None:
    """The write runs on a writer thread: its StorageError ends the run in the caller,
    the batches written before it stay, none after it is written, and a later run
    resumes to the same result as one uninterrupted run."""
    import sqlite3

    import pytest

    from monitor.errors import StorageError

    whole = Store(tmp_path / "whole.db", zone=ZONE, now=lambda: FIXED_NOW, create=True)
    cut = Store(tmp_path / "cut.db", zone=ZONE, now=lambda: FIXED_NOW, create=True)
    other = None
    try:
        for store in (whole, cut):
            office(store)
        Evaluation(whole, POLICY, FIXED_NOW, batch_days=30).run()
        cut.db.conn.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 30 s
        other = sqlite3.connect(tmp_path / "cut.db", isolation_level=None)
        handed_over = []

        def lock_after_two(count: int) -> None:
            handed_over.append(count)
            if len(handed_over) == 2:
                # another process takes the write lock: the batches from here on cannot commit
                other.execute("BEGIN IMMEDIATE")

        with pytest.raises(StorageError, match="is locked by another process"):
            Evaluation(cut, POLICY, FIXED_NOW, batch_days=30).run(progress=lock_after_two)
        other.execute("ROLLBACK")
        written = sorted({row[0] for row in results(cut)})
        marked = sorted(cut.judged_marks())
        assert written == marked and len(written) <= 2  # whole batches of one person, in order, up to the lock
        assert written == [f"NV{n:03d}" for n in range(len(written))]
        cut.db.conn.execute("PRAGMA busy_timeout = 30000")
        assert not Evaluation(cut, POLICY, FIXED_NOW, batch_days=30).run().interrupted
        assert results(cut) == results(whole)
    finally:
        if other is not None:
            other.close()
        whole.close()
        cut.close()
