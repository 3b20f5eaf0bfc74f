"""WAL checkpoints: SQLite's auto-checkpoint for ordinary writes; bulk jobs checkpoint
between their batches instead, and always once at the end, so the WAL is copied back
into the database file whichever process writes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

from drivers.base import Punch
from monitor.store import Store
from monitor.store.base import AUTO_CHECKPOINT_PAGES

# about 1,200 pages: more than the auto-checkpoint's 1,000, written in one transaction
BIG = "x" * 5_000_000


def auto_checkpoint(store: Store) -> int:
    return store.scalar("PRAGMA wal_autocheckpoint")


def test_an_ordinary_write_is_copied_back_by_the_auto_checkpoint(store: Store, db_path: Path) -> None:
    before = db_path.stat().st_size
    with store.write():
        store.set_meta("test:big", BIG)
    assert auto_checkpoint(store) == AUTO_CHECKPOINT_PAGES
    assert db_path.stat().st_size > before + len(BIG)  # the commit's checkpoint copied the pages into the file
    assert store.longest_checkpoint == 0  # not a bulk job: SQLite did it


def test_a_bulk_job_checkpoints_outside_its_transactions_and_at_its_end(store: Store, db_path: Path) -> None:
    store.bulk_checkpoint_seconds = math.inf  # only the final checkpoint
    before = db_path.stat().st_size
    with store.bulk():
        assert auto_checkpoint(store) == 0
        with store.write():
            store.set_meta("test:big", BIG)
        assert db_path.stat().st_size < before + len(BIG)  # still in the WAL: the commit did not copy it
    assert auto_checkpoint(store) == AUTO_CHECKPOINT_PAGES
    assert db_path.stat().st_size > before + len(BIG)
    assert store.longest_checkpoint > 0


def test_a_bulk_job_checkpoints_between_batches_when_due(store: Store, db_path: Path) -> None:
    store.bulk_checkpoint_seconds = 0  # after every batch
    before = db_path.stat().st_size
    with store.bulk():
        with store.write():
            store.set_meta("test:big", BIG)
        assert db_path.stat().st_size > before + len(BIG)


def test_a_failed_bulk_job_restores_the_auto_checkpoint(store: Store) -> None:
    try:
        with store.bulk():
            raise KeyError("a job that failed")
    except KeyError:
        pass
    assert auto_checkpoint(store) == AUTO_CHECKPOINT_PAGES


def test_a_big_import_runs_as_a_bulk_job_and_a_single_punch_does_not(store: Store, db_path: Path) -> None:
    store.add_punches("gate", [Punch("1", datetime(2026, 11, 2, 7, 30))], source="device")
    assert store.longest_checkpoint == 0  # a card reader's punch keeps SQLite's auto-checkpoint
    start = datetime(2026, 1, 1, 7, 0)
    many = [Punch(str(n % 50), start + timedelta(minutes=n)) for n in range(3 * store.BATCH)]
    before = db_path.stat().st_size
    assert store.add_punches("gate", many, source="file").new == len(many)
    assert store.longest_checkpoint > 0
    assert auto_checkpoint(store) == AUTO_CHECKPOINT_PAGES
    assert db_path.stat().st_size > before  # the import's pages were copied back at its end


def test_a_bulk_job_on_a_connection_that_deferred_its_checkpoints_leaves_them_deferred(store: Store,
                                                                                       db_path: Path) -> None:
    """The push receiver's connections leave checkpoints to a thread of their own: a big
    upload stored in several batches must neither checkpoint on the request's path nor
    switch SQLite's auto-checkpoint back on."""
    store.defer_checkpoints()
    store.bulk_checkpoint_seconds = 0  # a bulk job on its own would checkpoint after every batch
    before = db_path.stat().st_size
    with store.bulk():
        with store.write():
            store.set_meta("test:big", BIG)
    assert auto_checkpoint(store) == 0
    assert store.longest_checkpoint == 0 and db_path.stat().st_size < before + len(BIG)
    done = store.checkpoint()  # whoever deferred them takes them
    assert not done.busy and done.copied == done.wal_pages > 0
    assert db_path.stat().st_size > before + len(BIG)
