"""A replugged reader is back as soon as its port reappears, not after the back-off."""

from __future__ import annotations

import queue
import threading

from drivers.simulators.rfid import CardReaderSimulator
from drivers.supervisor import OFFLINE, ONLINE, REPLUG_POLL, Supervisor
from tests.drivers.serial_helpers import settings


def test_a_replugged_reader_is_back_long_before_its_back_off_ends(tmp_path) -> None:
    link = tmp_path / "usb-reader"
    changes: queue.Queue = queue.Queue()
    with CardReaderSimulator(link=link, interval=0) as sim:
        # a back-off of a minute: only watching the port can bring it back within the test's 5 s
        supervisor = Supervisor(settings("rfid", str(link)), lambda punch: None, changes.put, first_delay=60.0, max_delay=60.0)
        supervisor.start()
        try:
            assert changes.get(timeout=5).status == ONLINE
            sim.unplug()
            lost = changes.get(timeout=5)
            assert (lost.status, lost.retry_in) == (OFFLINE, 60.0)
            # the scenario, not a synchronisation: the adapter stays out for a moment (the
            # issue's was 20 s), longer than one look for the port
            threading.Event().wait(REPLUG_POLL * 3)
            sim.replug()
            back = changes.get(timeout=5)
            assert back.status == ONLINE, back
        finally:
            supervisor.stop()
