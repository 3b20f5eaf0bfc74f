"""The push receiver's upload workers (monitor.service.push_workers): real spawned
processes and pipes; jobs from tests/monitor/service/worker_jobs.py."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
import time
from multiprocessing import Pipe
from pathlib import Path

import pytest

from monitor.service.push_workers import (
    Collect,
    UploadWorkers,
    Waiting,
    WorkerLost,
    next_job,
    serve,
)
from tests.monitor.service import worker_jobs as jobs

WAIT = 30.0  # a spawned worker imports the monitor: seconds on a slow machine


@pytest.fixture
def workers():
    started: list[UploadWorkers] = []

    def start(count: int = 1, slots: int = 4, initializer=jobs.set_up, initargs=("set up",)) -> UploadWorkers:
        pool = UploadWorkers(count, slots, initializer, initargs)
        started.append(pool)
        return pool.start()

    yield start
    for pool in started:
        pool.stop()


def test_a_job_runs_in_a_worker_set_up_once(workers) -> None:
    pool = workers()
    assert pool.run(jobs.add, 2, 3) == 5
    tag, pid = pool.run(jobs.tag_and_pid)
    assert tag == "set up"
    assert pid != os.getpid() and pool.pids() == [pid]


def test_two_workers_share_the_slots(workers) -> None:
    pool = workers(count=2, slots=4)
    assert len(pool.pids()) == 2
    # a new pool hands its slots out in turns across the workers: two jobs in a row go to
    # both (once threads have given slots back, the order is theirs)
    assert {pool.run(jobs.tag_and_pid)[1] for _ in range(2)} == set(pool.pids())
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(pool.run(jobs.tag_and_pid)[1])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 4 and set(results) <= set(pool.pids())


def test_what_a_job_logs_is_logged_here(workers, caplog: pytest.LogCaptureFixture) -> None:
    pool = workers()
    with caplog.at_level(logging.INFO, logger="tests.worker_jobs"):
        assert pool.run(jobs.warn, "a refused line") == "warned"
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name == "tests.worker_jobs"]
    assert messages == [("tests.worker_jobs", "WARNING", "from the worker: a refused line")]


def test_a_job_that_fails_is_raised_here_and_the_worker_goes_on(workers) -> None:
    pool = workers()
    pid = pool.pids()
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pool.run(jobs.divide, 1, 0)
    with pytest.raises(RuntimeError, match="cannot be sent back"):
        pool.run(jobs.unpicklable)
    assert pool.run(jobs.divide, 6, 3) == 2.0
    assert pool.pids() == pid and pool.restarts == 0


def test_a_worker_that_cannot_start_says_why(workers) -> None:
    with pytest.raises(WorkerLost, match="could not start: ValueError: no database here"):
        workers(initializer=jobs.refuse_to_start, initargs=("no database here",))


def test_a_worker_killed_during_a_job_loses_that_job_only(workers, tmp_path: Path) -> None:
    pool = workers()
    started = tmp_path / "started"
    outcome: list[object] = []

    def long_job() -> None:
        try:
            outcome.append(pool.run(jobs.hold, str(started), WAIT))
        except WorkerLost as exc:
            outcome.append(exc)

    thread = threading.Thread(target=long_job)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not started.exists():
        assert time.monotonic() < deadline, "the job never started"
        threading.Event().wait(0.01)
    victim = int(started.read_text(encoding="utf-8"))
    os.kill(victim, signal.SIGKILL)
    thread.join(WAIT)
    assert len(outcome) == 1 and isinstance(outcome[0], WorkerLost)
    assert "nothing of it was kept" in str(outcome[0])
    assert pool.run(jobs.add, 1, 1) == 2  # new workers took over
    assert pool.restarts == 1 and victim not in pool.pids()


def test_a_worker_found_dead_before_a_job_is_replaced_for_that_job(workers) -> None:
    pool = workers()
    (victim,) = pool.pids()
    os.kill(victim, signal.SIGKILL)
    pool._generation.processes[0].join(WAIT)  # dead, and nobody has noticed yet
    assert pool.run(jobs.add, 20, 22) == 42
    assert pool.restarts == 1


def test_stopped_workers_end_and_take_no_job(workers) -> None:
    pool = workers(count=2)
    processes = list(pool._generation.processes)
    pool.stop()
    assert all(not process.is_alive() for process in processes)
    assert pool.pids() == []
    with pytest.raises(WorkerLost, match="stopping"):
        pool.run(jobs.add, 1, 2)


def _entry(urgent: bool, arrival: int) -> Waiting:
    return Waiting(urgent, arrival, None, jobs.record, (f"{arrival}",))  # type: ignore[arg-type]


@pytest.mark.parametrize(("waiting", "first"), [
    ([(False, 1)], 1),
    ([(False, 1), (False, 2)], 1),
    ([(False, 1), (True, 2)], 2),
    ([(True, 3), (False, 1), (True, 2)], 2),
], ids=["alone", "oldest batch first", "a realtime punch before a batch", "the oldest urgent one"])
def test_the_next_job(waiting: list[tuple[bool, int]], first: int) -> None:
    entries = [_entry(urgent, arrival) for urgent, arrival in waiting]
    chosen = next_job(entries)
    assert chosen.arrival == first and chosen not in entries and len(entries) == len(waiting) - 1


def test_a_worker_runs_an_urgent_job_before_the_batches_that_came_first() -> None:
    """serve() in a thread of this process, its three pipes filled before it starts."""
    jobs.done.clear()
    ours, theirs = zip(*(Pipe() for _ in range(3)))
    for end, (urgent, name) in zip(ours, [(False, "batch 1"), (False, "batch 2"), (True, "realtime")]):
        end.send_bytes(pickle.dumps((urgent, jobs.record, (name,))))
    worker = threading.Thread(target=serve, args=(list(theirs), Collect()))
    worker.start()
    answers = [pickle.loads(end.recv_bytes())[:2] for end in ours]
    for end in ours:
        end.close()
    worker.join(WAIT)
    assert not worker.is_alive()  # every pipe closed: the worker ended
    assert answers == [(True, "batch 1"), (True, "batch 2"), (True, "realtime")]
    assert jobs.done == ["realtime", "batch 1", "batch 2"]


@pytest.mark.parametrize("other", [True, False], ids=["another job waits", "alone"])
def test_a_long_job_learns_that_another_waits(other: bool) -> None:
    """serve() in a thread of this process: a job of many steps stops after its first
    when another job came in meanwhile, and goes on to its end when none did."""
    jobs.done.clear()
    ours, theirs = zip(*(Pipe() for _ in range(2)))
    ours[0].send_bytes(pickle.dumps((False, jobs.steps_until_asked, (1000,))))
    if other:
        ours[1].send_bytes(pickle.dumps((False, jobs.record, ("the other",))))
    worker = threading.Thread(target=serve, args=(list(theirs), Collect()))
    worker.start()
    steps = pickle.loads(ours[0].recv_bytes())[:2]
    if other:
        assert pickle.loads(ours[1].recv_bytes())[:2] == (True, "the other")
    for end in ours:
        end.close()
    worker.join(WAIT)
    assert not worker.is_alive()
    assert steps == (True, 1 if other else 1000)
    assert jobs.done == (["the other"] if other else [])
