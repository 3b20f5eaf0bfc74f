"""A punch heard from a reader is on disk at once, whatever the database does; it moves
into the database when it can, once, and the reader says "degraded" meanwhile."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from drivers.base import DeviceSettings, Punch
from drivers.simulators.rfid import CardReaderSimulator
from monitor.config import Config, DeviceConfig, StorageConfig
from monitor.service.health import beat, device_health
from monitor.service.live import Heard, LiveCollector
from monitor.service.spool import DeviceSpool, spool_backlog
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.drivers.serial_helpers import eventually


def reader(tmp_path: Path) -> DeviceConfig:
    return DeviceConfig(DeviceSettings(id="the-1", protocol="rfid", port=str(tmp_path / "usb-reader"), baudrate=9600))


def stored(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT device_user_id, punched_at FROM punches ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_punch_heard_while_the_database_is_locked_waits_in_the_spool(store: Store, clock, tmp_path: Path) -> None:
    device = reader(tmp_path)
    spool = tmp_path / "spool"
    heard: list[Heard] = []
    arrived = threading.Event()
    beat(store, FIXED_NOW, devices=1)  # the collector is alive: the spool decides the status
    store.db.conn.execute("PRAGMA busy_timeout = 200")  # the drain gives up on a lock quickly and retries
    blocker = sqlite3.connect(store.path, isolation_level=None)
    config = Config(path=None, devices=(device,), storage=StorageConfig(database=store.path, spool_setting=spool))
    with CardReaderSimulator(link=Path(device.settings.port), interval=0) as sim:
        collector = LiveCollector(store, now=clock, spool=spool, on_punch=lambda h: (heard.append(h), arrived.set()))
        try:
            collector.add(device)
            assert eventually(lambda: (store.device_row("the-1") or {}).get("status") == "online")
            blocker.execute("BEGIN IMMEDIATE")  # a long writer holds the lock
            sim.card("0003887558", hold=1)
            assert eventually(lambda: spool_backlog(spool) == {"the-1": 1}, timeout=1.0), "not on disk within 1 s"
            health = device_health(store, config, FIXED_NOW)["the-1"]
            assert health["status"] == "degraded"
            assert health["status_reason"].startswith("storage: 1 punch(es) waiting in the spool")
            assert stored(store.path) == []
            blocker.execute("COMMIT")  # the lock is released: the drain moves it in
            assert arrived.wait(5)
            assert eventually(lambda: spool_backlog(spool) == {})
            assert eventually(lambda: store.device_row("the-1")["status"] == "online")
        finally:
            blocker.close()
            collector.stop()
    assert stored(store.path) == [("0003887558", "2026-11-26T09:00:00+07:00")]
    assert [(h.punch.user_id, h.new) for h in heard] == [("0003887558", True)]


def test_a_restart_replays_the_spool_once(store: Store, clock, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    left = DeviceSpool(spool, "the-1")  # what a killed collector left behind
    first = Punch("0001", datetime(2026, 11, 26, 7, 30, 1), raw=b"\x02x\x03")
    second = Punch("0002", datetime(2026, 11, 26, 7, 31, 2), raw="line")
    store.add_punches("the-1", [first], source="device")  # stored before the kill, spool not yet emptied
    left.append(first)
    left.append(second)
    left.close()
    with open(spool / "the-1.jsonl", "ab") as file:
        file.write(b'{"user":"00')  # the kill cut this line short
    heard: list[Heard] = []
    collector = LiveCollector(store, now=clock, spool=spool, on_punch=heard.append)
    try:
        collector.add(reader(tmp_path))  # no reader plugged in: the spool is replayed all the same
        assert eventually(lambda: spool_backlog(spool) == {})
    finally:
        collector.stop()
    rows = store.query("SELECT device_user_id, punched_at, raw FROM punches ORDER BY id")
    assert rows == [
        {"device_user_id": "0001", "punched_at": "2026-11-26T07:30:01+07:00", "raw": "027803"},
        {"device_user_id": "0002", "punched_at": "2026-11-26T07:31:02+07:00", "raw": "line"},
    ]
    assert [(h.punch.user_id, h.new) for h in heard] == [("0001", False), ("0002", True)]
