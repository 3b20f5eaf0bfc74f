"""How the push receiver's threads share the writer, checkpoint the WAL and time
themselves: the WriterGate's order, the Checkpointer, HandlerTimes, and the receiver
answering a heartbeat while a backfill holds the writer (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.base import Punch
from monitor.service.push_receiver import ReceiverServer
from monitor.service.push_writer import Checkpointer, HandlerTimes, WriterGate
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.push_helpers import request
from tests.monitor.service.test_push_receiver import SN, accept, office, push_config  # noqa: F401 (office: a fixture)

WAIT = 5.0


def until(condition: Callable[[], bool]) -> None:
    """Wait (at most WAIT seconds) for another thread to reach a state it has no event for."""
    deadline = time.monotonic() + WAIT
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        pause.wait(0.005)


def waiter(gate: WriterGate, name: str, order: list[str], *, bulk: bool) -> threading.Thread:
    def run() -> None:
        with gate.hold(bulk=bulk):
            order.append(name)
    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_a_short_write_waiting_goes_before_a_bulk_one_that_waited_longer() -> None:
    gate, order = WriterGate(), []
    with gate.hold(bulk=True):
        bulk = waiter(gate, "bulk", order, bulk=True)
        until(lambda: bulk.is_alive())
        short = waiter(gate, "short", order, bulk=False)
        until(lambda: gate._short_waiting == 1)
        order.append("holder")
    for thread in (bulk, short):
        thread.join(WAIT)
    assert order == ["holder", "short", "bulk"]


def test_a_bulk_holder_lets_waiting_short_writes_in_between_its_transactions() -> None:
    gate, order = WriterGate(), []
    with gate.hold(bulk=True):
        order.append("batch 1")
        gate.let_short_writes_in()  # nobody waits: goes straight on
        short = waiter(gate, "short", order, bulk=False)
        until(lambda: gate._short_waiting == 1)
        gate.let_short_writes_in()
        order.append("batch 2")
    short.join(WAIT)
    assert order == ["batch 1", "short", "batch 2"]


def test_a_thread_holding_the_writer_may_ask_again() -> None:
    gate = WriterGate()
    with gate.hold(bulk=True):
        with gate.hold():  # a contact written inside an upload: no deadlock
            pass
    assert gate.writes == 1


def test_handler_times_by_kind() -> None:
    times = HandlerTimes(keep=3)
    for ms in (1, 2, 3, 4):
        times.record("heartbeat", ms / 1000)
    times.record("upload ATTLOG", 0.020)
    lines = times.summary().splitlines()
    assert lines[0] == "push receiver, time in the handler:"
    assert lines[1].split() == ["heartbeat", "3", "requests", "p50", "3.0", "ms", "p95", "3.0", "ms", "max", "4.0", "ms"]
    assert lines[2].split()[:3] == ["upload", "ATTLOG", "1"]
    assert lines[3].split()[:2] == ["all", "4"]
    assert HandlerTimes().summary() == "push receiver: no request handled"


def test_deferred_checkpoints_are_taken_by_the_checkpointer(db_path: Path) -> None:
    with Store(db_path, zone=ZONE, create=True) as writer:
        writer.defer_checkpoints()
        writer.add_punches("gate", [Punch(str(n), writer.now().replace(tzinfo=None, microsecond=0, second=n % 60, minute=n // 60))
                                    for n in range(600)], source="device")
        pending = writer.checkpoint()
        assert not pending.busy and pending.wal_pages > 0 and pending.copied == pending.wal_pages
        gate = WriterGate()
        with gate.hold():
            writer.set_meta("probe", "1")
        checkpointer = Checkpointer(lambda: Store(db_path, zone=ZONE), gate, interval=3600).start()
        checkpointer.stop()  # its last checkpoint copies what was written since
        done = writer.checkpoint()
        assert done.copied == done.wal_pages


def test_what_another_connection_wrote_is_checkpointed_too(db_path: Path) -> None:
    # the upload worker writes through its own connection, never through the gate
    with Store(db_path, zone=ZONE, create=True) as worker, Store(db_path, zone=ZONE) as own:
        worker.defer_checkpoints()
        checkpointer = Checkpointer(lambda: own, WriterGate(), interval=3600)
        checkpointer._checkpoint(own)  # a first look (its thread's, every interval)
        worker.add_punches("gate", [Punch(str(n), worker.now().replace(tzinfo=None, microsecond=0, second=n % 60,
                                                                         minute=n // 60)) for n in range(600)],
                           source="device")
        checkpointer._checkpoint(own)  # the next look: no write went through the gate, yet the database changed
        # the WAL was copied back whole, so the next write starts it afresh
        worker.set_meta("probe", "1")
        assert worker.checkpoint().wal_pages < 10


def test_a_heartbeat_is_answered_while_a_backfill_holds_the_writer(office: Store, db_path: Path, clock) -> None:
    # the receiver's own threads store the uploads (upload_workers = 0): the gate orders them
    server = ReceiverServer(push_config(db_path, "upload_workers = 0\n"), now=clock, port=0).start()
    try:
        assert request(server.url, "GET", f"/iclock/cdata?SN={SN}&options=all")[0] == 200
        accept(office)
        assert request(server.url, "GET", f"/iclock/getrequest?SN={SN}")[0] == 200  # contact written now
        replies: list[tuple[int, str]] = []
        with server.receiver.gate.hold(bulk=True):
            # nothing queued for the clock and its contact written a moment ago: no write to wait for
            status, text, _ = request(server.url, "GET", f"/iclock/getrequest?SN={SN}")
            replies.append((status, text))
            upload = threading.Thread(target=lambda: replies.append(request(
                server.url, "POST", f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1", "1001\t2025-10-14 07:52:03\t0\t1\n")[:2]))
            upload.start()
            until(lambda: server.receiver.gate._short_waiting == 1)  # the realtime punch waits for the writer
            assert len(replies) == 1
        upload.join(WAIT)
        assert replies == [(200, "OK"), (200, "OK")]
        assert office.scalar("SELECT COUNT(*) FROM punches WHERE device_id = 'sanh'") == 1
    finally:
        server.stop()
