"""The supervisor: status callbacks, back-off, and resuming after an unplugged adapter
returns (under a new pseudo-terminal name behind the same stable link)."""

from __future__ import annotations

import os
import queue
import threading

import pytest

from drivers.base import DeviceSettings, Disconnected, DriverError, Punch
from drivers.simulators.fingerprint import FingerprintSimulator
from drivers.simulators.pty import PseudoTerminal
from drivers.simulators.rfid import CardReaderSimulator
from drivers.simulators.serial_sim import Faults
from drivers.supervisor import OFFLINE, ONLINE, STOPPED, StatusChange, Supervisor
from tests.drivers.serial_helpers import GatedWait, ManualClock, settings


class Recorder:
    """Collects status changes and punches, and lets the test wait for them."""

    def __init__(self) -> None:
        self.changes: list[StatusChange] = []
        self.punches: queue.Queue[Punch] = queue.Queue()
        self._changed = threading.Condition()

    def status(self, change: StatusChange) -> None:
        with self._changed:
            self.changes.append(change)
            self._changed.notify_all()

    def punch(self, punch: Punch) -> None:
        self.punches.put(punch)

    def wait_status(self, count: int) -> StatusChange:
        """The ``count``-th status change (1-based), once it has happened."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.changes) >= count, timeout=5), self.changes
            return self.changes[count - 1]


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def gate():
    gate = GatedWait()
    yield gate
    gate.close()


def supervise(device: DeviceSettings, recorder: Recorder, gate: GatedWait, **kwargs) -> Supervisor:
    supervisor = Supervisor(device, recorder.punch, recorder.status, wait=gate, now=ManualClock(), **kwargs)
    supervisor.start()
    return supervisor


def test_unplug_and_replug_under_a_new_name(tmp_path, recorder, gate):
    link = tmp_path / "by-id" / "usb-reader-if00"
    link.parent.mkdir()
    with CardReaderSimulator(link=link, interval=0) as sim:
        supervisor = supervise(settings("rfid", str(link)), recorder, gate)
        try:
            online = recorder.wait_status(1)
            first_port = sim.pty.path
            assert (online.status, online.port) == (ONLINE, first_port)
            sim.card("0003887558")
            assert recorder.punches.get(timeout=5).user_id == "0003887558"

            sim.unplug()
            lost = recorder.wait_status(2)
            assert (lost.status, lost.retry_in) == (OFFLINE, 1.0)
            assert lost.reason.startswith("lost the port ") and "(check the cable" in lost.reason

            # the adapter is still out: the next attempt finds no port, and says so
            squatter = PseudoTerminal()  # takes the freed number, so the adapter comes back under a new one
            gate.release()
            missing = recorder.wait_status(3)
            assert (missing.status, missing.retry_in) == (OFFLINE, 2.0)
            assert "does not exist" in missing.reason

            gate.wait_for_calls(2)
            sim.replug()
            gate.release()
            back = recorder.wait_status(4)
            assert back.status == ONLINE and back.port == sim.pty.path != first_port
            assert os.path.realpath(link) == back.port
            sim.card("0009334109")
            assert recorder.punches.get(timeout=5).user_id == "0009334109"

            # it worked again, so the back-off starts over
            sim.unplug()
            assert recorder.wait_status(5).retry_in == 1.0
            squatter.close()
        finally:
            gate.close()
            supervisor.stop()
    assert recorder.changes[-1].status == STOPPED
    assert not supervisor.running
    assert gate.delays[:3] == [1.0, 2.0, 1.0]


def test_a_simulator_that_closes_its_port_after_every_frame(tmp_path, recorder, gate):
    """The simulator's reopen fault: the port goes away after each frame and returns
    shortly after; every card still arrives once the supervisor reconnects."""
    faults = Faults(reopen_every=1, reopen_pause=0.05)
    with CardReaderSimulator(link=tmp_path / "flaky", interval=0, faults=faults) as sim:
        supervisor = supervise(settings("rfid", str(tmp_path / "flaky")), recorder, gate)
        try:
            for number, (online, offline) in enumerate(((1, 2), (3, 4), (5, 6)), start=1):
                assert recorder.wait_status(online).status == ONLINE
                sim.card(f"{number:010d}", hold=1)
                assert recorder.punches.get(timeout=5).user_id == f"{number:010d}"
                assert recorder.wait_status(offline).status == OFFLINE
                assert sim.wait_for(lambda: sim.plugged)
                gate.release()
        finally:
            gate.close()
            supervisor.stop()


def test_back_off_doubles_up_to_the_limit_and_reports_each_reason_once(recorder, gate):
    supervisor = supervise(settings("rfid", "hwgrep://^no-such-adapter$"), recorder, gate, first_delay=1, max_delay=5)
    try:
        for calls in range(1, 6):
            gate.wait_for_calls(calls)
            gate.release()
        gate.wait_for_calls(6)
    finally:
        gate.close()
        supervisor.stop()
    assert gate.delays[:6] == [1, 2, 4, 5, 5, 5]
    offline = [c for c in recorder.changes if c.status == OFFLINE]
    assert len(offline) == 1 and "no port matches" in offline[0].reason
    assert "VID:PID" in offline[0].reason


def test_a_failing_punch_callback_is_reported_and_listening_resumes(recorder, gate):
    with CardReaderSimulator(interval=0) as sim:
        calls = []

        def store_punch(punch: Punch) -> None:
            calls.append(punch.user_id)
            if len(calls) == 1:
                raise RuntimeError("database is locked")
            recorder.punch(punch)

        supervisor = Supervisor(settings("rfid", sim.path, repeat_seconds=0), store_punch, recorder.status, wait=gate)
        supervisor.start()
        try:
            assert recorder.wait_status(1).status == ONLINE
            sim.card("0000000001", hold=1)
            failed = recorder.wait_status(2)
            assert failed.status == OFFLINE and failed.reason == "RuntimeError: database is locked"
            gate.release()
            assert recorder.wait_status(3).status == ONLINE
            sim.card("0000000002", hold=1)
            assert recorder.punches.get(timeout=5).user_id == "0000000002"
        finally:
            gate.close()
            supervisor.stop()


def test_a_failing_status_callback_does_not_stop_supervision(gate):
    punches: queue.Queue[Punch] = queue.Queue()

    def broken_status(change: StatusChange) -> None:
        raise RuntimeError("status table missing")

    with FingerprintSimulator(enrolled=3) as sim:
        device = settings("fingerprint", sim.path, poll_interval=0.005)
        supervisor = Supervisor(device, punches.put, broken_status, wait=gate)
        supervisor.start()
        try:
            sim.press("2")
            assert punches.get(timeout=5).user_id == "2"
        finally:
            gate.close()
            supervisor.stop()


def test_settings_the_driver_refuses_are_reported_offline(recorder, gate):
    device = settings("rfid", "loop://", card_format="octal")
    supervisor = supervise(device, recorder, gate)
    try:
        change = recorder.wait_status(1)
    finally:
        gate.close()
        supervisor.stop()
    assert change.status == OFFLINE and "card_format" in change.reason


def test_stop_ends_a_default_back_off_at_once(recorder):
    # no injected wait: the back-off sleeps on the stop event itself
    supervisor = Supervisor(settings("rfid", "/nonexistent/ttyUSB7"), recorder.punch, recorder.status, first_delay=3600)
    supervisor.start()
    assert recorder.wait_status(1).status == OFFLINE
    supervisor.stop(timeout=2)
    assert not supervisor.running
    assert recorder.changes[-1].status == STOPPED


def test_driver_errors_are_the_reason_text():
    error = Disconnected("lost the port /dev/ttyUSB0", device="rfid-1", hint="check the cable")
    assert str(error) == "rfid-1: lost the port /dev/ttyUSB0 (check the cable)"
    assert isinstance(error, DriverError)
