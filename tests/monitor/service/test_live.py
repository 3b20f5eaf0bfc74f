"""Live collection: supervised readers' punches and status end up in the database."""

from __future__ import annotations

import threading

from drivers.base import DeviceSettings
from drivers.simulators.rfid import CardReaderSimulator
from monitor.config import DeviceConfig
from monitor.service.live import Heard, LiveCollector
from tests.drivers.serial_helpers import GatedWait, eventually


def test_punches_and_status_reach_the_store(store, clock, tmp_path):
    link = tmp_path / "usb-reader"
    device = DeviceConfig(DeviceSettings(id="the-1", protocol="rfid", port=str(link), baudrate=9600, name="Cổng chính"))
    heard: list[Heard] = []
    arrived = threading.Event()
    gate = GatedWait()

    def on_punch(item: Heard) -> None:
        heard.append(item)
        arrived.set()

    def status() -> tuple[str, str]:
        row = store.device_row("the-1")
        return (row["status"], row["status_reason"]) if row else (None, None)

    with CardReaderSimulator(link=link, interval=0) as sim:
        collector = LiveCollector(store, now=clock, on_punch=on_punch, wait=gate)
        try:
            collector.add(device)
            assert eventually(lambda: status()[0] == "online")
            assert status()[1] == f"listening on {sim.pty.path}"
            sim.card("0003887558", hold=3)
            assert arrived.wait(5)
            sim.unplug()
            assert eventually(lambda: status()[0] == "offline")
            assert "lost the port" in status()[1]
            gate.wait_for_calls(1)
            sim.replug()
            gate.release()
            assert eventually(lambda: status()[0] == "online")
        finally:
            gate.close()
            collector.stop()
    assert status() == ("offline", "the collector stopped listening")
    assert [(h.device_id, h.punch.user_id, h.new, h.enrolled) for h in heard] == [("the-1", "0003887558", True, False)]
    row = store.device_row("the-1")
    assert (row["name"], row["protocol"], row["port"]) == ("Cổng chính", "rfid", str(link))
    stored = store.query("SELECT device_user_id, punched_at, source FROM punches")
    assert stored == [{"device_user_id": "0003887558", "punched_at": "2026-11-26T09:00:00+07:00", "source": "device"}]
