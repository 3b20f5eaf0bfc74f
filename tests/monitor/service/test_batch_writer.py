"""The evaluation's writer thread: batches written in order, the first failure raised in
the job's thread and nothing written after it, the switch interval restored."""

from __future__ import annotations

import sys
import threading

import pytest

from monitor.errors import StorageError
from monitor.service.batch_writer import SWITCH_INTERVAL, BatchWriter


def test_batches_are_written_in_the_order_given() -> None:
    written: list[int] = []
    threads: set[str] = set()

    def write(batch: int) -> None:
        written.append(batch)
        threads.add(threading.current_thread().name)

    with BatchWriter(write, depth=2, name="writer-under-test") as writer:
        for batch in range(50):
            writer.put(batch)
    assert written == list(range(50))
    assert threads == {"writer-under-test"}


def test_a_failed_write_is_raised_in_the_job_and_nothing_is_written_after_it() -> None:
    written: list[int] = []
    failed = threading.Event()

    def write(batch: int) -> None:
        if batch == 3:
            failed.set()
            raise StorageError("the disk holding the database is full")
        written.append(batch)

    with pytest.raises(StorageError, match="is full"):
        with BatchWriter(write, depth=1) as writer:
            for batch in range(100):
                writer.put(batch)
                if batch == 3:
                    assert failed.wait(10)
    assert written == [0, 1, 2]


def test_the_jobs_own_error_goes_on_after_the_batches_handed_over_are_written() -> None:
    written: list[int] = []
    with pytest.raises(ValueError, match="judging failed"):
        with BatchWriter(written.append, depth=2) as writer:
            writer.put(1)
            writer.put(2)
            raise ValueError("judging failed")
    assert written == [1, 2]


def test_the_switch_interval_is_short_while_a_writer_runs_and_restored_after() -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []
    with BatchWriter(lambda batch: seen.append(sys.getswitchinterval())) as outer:
        with BatchWriter(lambda batch: None) as inner:
            inner.put(0)
        outer.put(0)  # the inner writer ended; the outer one still runs
    assert seen == [min(before, SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before
