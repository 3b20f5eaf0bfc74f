"""Writers take turns for the write lock: a writer that arrives while a bulk job's batch
holds the lock goes before the job's next batch (monitor.store.turnstile)."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from monitor.store import Store
from monitor.store.turnstile import SUFFIX, WriterTurnstile, fcntl
from tests.conftest import ZONE

pytestmark = pytest.mark.skipif(fcntl is None, reason="no flock on this system: no turnstile, as documented")
WAIT = 10  # seconds: a bound for a failing test, never reached when it passes


def _order(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT value FROM meta WHERE key LIKE 'turn:%' ORDER BY rowid")]
    finally:
        conn.close()


def _taken(path: Path) -> bool:
    """Whether some connection holds the database's turnstile now."""
    look = WriterTurnstile(path, patience=0)
    try:
        fd = look._open()
        if fd is not None and look._take(fd, 0):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        look.close()


def test_a_waiting_writer_goes_before_the_bulk_jobs_next_batch(tmp_path: Path) -> None:
    path = tmp_path / "attendance.db"
    Store(path, zone=ZONE, create=True).close()
    bulk, other = Store(path, zone=ZONE), Store(path, zone=ZONE)
    failure: list[BaseException] = []

    def other_writer() -> None:
        try:
            with other.write():  # arrives while batch 1 holds the lock
                other.set_meta("turn:other", "other")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(exc)

    thread = threading.Thread(target=other_writer)
    try:
        with bulk.write():
            bulk.set_meta("turn:1", "batch 1")
            thread.start()
            # the other writer has taken the turnstile and asks for the lock batch 1 holds
            waited = threading.Event()
            while not _taken(path):
                assert thread.is_alive() and not waited.wait(0.001), f"the other writer ended: {failure}"
        # batch 1 is committed; batch 2 waits at the turnstile until the other writer began
        with bulk.write():
            bulk.set_meta("turn:2", "batch 2")
    finally:
        thread.join(WAIT)
        bulk.close()
        other.close()
    assert failure == []
    assert _order(path) == ["batch 1", "other", "batch 2"]


def test_a_lock_held_elsewhere_ends_in_database_is_locked_at_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "attendance.db"
    Store(path, zone=ZONE, create=True).close()
    holder = sqlite3.connect(path, isolation_level=None)  # a writer outside the monitor: no turnstile
    conn = sqlite3.connect(path, isolation_level=None, timeout=7)
    turnstile = WriterTurnstile(path)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            turnstile.begin(conn, 0.05)
        assert not _taken(path)  # let go of after the failure
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 7000  # the connection's own, back
        holder.execute("COMMIT")
        turnstile.begin(conn, 0.05)
        assert conn.in_transaction
        conn.execute("COMMIT")
    finally:
        turnstile.close()
        conn.close()
        holder.close()


def test_nested_writes_and_reads_never_take_it(tmp_path: Path) -> None:
    path = tmp_path / "attendance.db"
    with Store(path, zone=ZONE, create=True) as store:
        holder = WriterTurnstile(path)
        with holder.turn():
            # another connection holds the turnstile: a read and a write inside an open
            # transaction of this one go on (only an outermost BEGIN takes turns)
            store.db.conn.execute("BEGIN IMMEDIATE")
            with store.write():
                store.set_meta("k", "v")
            store.db.conn.execute("COMMIT")
            assert store.get_meta("k") == "v"
        holder.close()


def test_a_holder_that_never_lets_go_costs_at_most_its_patience(tmp_path: Path) -> None:
    path = tmp_path / "attendance.db"
    Store(path, zone=ZONE, create=True).close()
    stuck = WriterTurnstile(path)
    patient = WriterTurnstile(path, patience=0.05)
    try:
        with stuck.turn():
            with patient.turn():  # gives up waiting and goes on without the turnstile
                entered = True
        assert entered
    finally:
        stuck.close()
        patient.close()


def test_no_turnstile_where_the_file_cannot_be_made(tmp_path: Path) -> None:
    # a folder that is a file: the lock file cannot be made (as in a read-only folder, for
    # any user, root included); writing goes on with SQLite's busy handler alone
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("", encoding="utf-8")
    turnstile = WriterTurnstile(not_a_folder / "attendance.db")
    with turnstile.turn():
        entered = True
    assert entered and not turnstile.path.exists()
    turnstile.close()


def test_the_lock_file_gets_the_databases_mode(tmp_path: Path) -> None:
    # a web server and a collector running as two users of one group both take turns
    path = tmp_path / "attendance.db"
    Store(path, zone=ZONE, create=True).close()
    path.chmod(0o660)
    with Store(path, zone=ZONE) as store, store.write():  # the first write makes the file
        store.set_meta("k", "v")
    assert stat.S_IMODE((tmp_path / f"attendance.db{SUFFIX}").stat().st_mode) == 0o660 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_wait_polls_often_at_first_then_every_millisecond(monkeypatch) -> None:
    """Most waits are for a short transaction, so the first steps are short; a wait
    behind a bulk batch goes on at a millisecond a step (less CPU burnt meanwhile)."""
    from monitor.store import turnstile

    class FakeTime:
        def __init__(self) -> None:
            self.now, self.sleeps = 100.0, []

        def monotonic(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.sleeps.append(seconds)
            self.now += seconds

    fake = FakeTime()
    monkeypatch.setattr(turnstile, "time", fake)
    started = fake.now
    while fake.now - started < 0.010:
        turnstile._pause(started)
    quick = [step for step in fake.sleeps if step == turnstile.QUICK_POLL_SECONDS]
    assert quick and fake.sleeps[: len(quick)] == quick  # the short steps come first, all together
    assert len(quick) == round(turnstile.QUICK_POLL_FOR_SECONDS / turnstile.QUICK_POLL_SECONDS)
    assert set(fake.sleeps[len(quick):]) == {turnstile.POLL_SECONDS}
