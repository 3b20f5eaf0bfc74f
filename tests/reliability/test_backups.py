"""Backups taken while writers run, verified restores, the nightly rotation, and a
collector heartbeat that stops a dead collector's devices from showing "online"."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

from drivers.base import Punch
from monitor.service.backup import nightly_backup
from monitor.service.health import beat
from monitor.service.keys import load_key
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE


def keyed(path: Path) -> Store:
    return Store(path, zone=ZONE, now=lambda: FIXED_NOW, key=load_key(path.with_suffix(".key")))


def add(path: Path, count: int, start: datetime) -> None:
    with keyed(path) as store:
        store.add_punches("gate", [Punch(str(n % 50), start + timedelta(seconds=n)) for n in range(count)], source="device")


def test_backup_while_writing_then_restore_verifies(run, initialized: Path, tmp_path: Path) -> None:
    add(initialized, 5000, datetime(2026, 11, 2, 7, 0))
    stop = threading.Event()

    def writer() -> None:
        moment = datetime(2026, 11, 3, 7, 0)
        with keyed(initialized) as store:
            while not stop.is_set():
                moment += timedelta(seconds=1)
                store.add_punches("gate", [Punch("7", moment)], source="device")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = run("backup", tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Backup written to {tmp_path / 'copy.db'} (")
    with keyed(initialized) as store:
        assert store.last_backup() == {"at": "2026-11-26T09:00:00+07:00", "path": str(tmp_path / "copy.db"), "ok": True,
                                       "error": None}
    add(initialized, 10, datetime(2026, 11, 4, 7, 0))  # work after the backup: the restore undoes it
    restored = run("restore", tmp_path / "copy.db")
    assert restored.exit_code == 0, restored.stderr
    assert "verified; the replaced database is kept as " in restored.stdout
    verified = run("verify")
    assert verified.exit_code == 0, verified.stderr
    with keyed(initialized) as store:
        assert store.scalar("SELECT COUNT(*) FROM punches WHERE punched_at >= '2026-11-04'") == 0


def test_a_tampered_backup_is_not_restored(run, initialized: Path, tmp_path: Path) -> None:
    add(initialized, 20, datetime(2026, 11, 2, 7, 0))
    assert run("backup", tmp_path / "copy.db").exit_code == 0
    conn = sqlite3.connect(tmp_path / "copy.db")
    conn.execute("UPDATE punches SET punched_at = '2026-11-02T06:59:00+07:00' WHERE id = 3")
    conn.commit()
    conn.close()
    before = initialized.read_bytes()
    result = run("restore", tmp_path / "copy.db")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'copy.db'} does not verify, so it was not restored: row 3 ")
    assert initialized.read_bytes() == before


def test_restore_refuses_while_the_collector_runs(run, initialized: Path, tmp_path: Path) -> None:
    assert run("backup", tmp_path / "copy.db").exit_code == 0
    with keyed(initialized) as store:
        beat(store, FIXED_NOW, devices=0)
    result = run("restore", tmp_path / "copy.db")
    assert result.exit_code == 2 and "stop 'monitor run' and 'monitor serve' before restoring" in result.stderr


def test_nightly_backups_keep_the_newest(initialized: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    with keyed(initialized) as store:
        for night in range(4):
            result = nightly_backup(store, folder, 2, FIXED_NOW + timedelta(days=night))
    assert sorted(p.name for p in folder.iterdir()) == ["attendance-20261128-090000.db", "attendance-20261129-090000.db"]
    assert [p.name for p in result.pruned] == ["attendance-20261127-090000.db"]


def test_devices_status_says_when_the_collector_is_dead(run, initialized: Path, config_file: Path, clock) -> None:
    config_file.write_text(config_file.read_text() + '\n[[devices]]\nid = "the-1"\nprotocol = "rfid"\nport = "/dev/ttyUSB9"\n',
                           encoding="utf-8")
    with keyed(initialized) as store:
        store.set_device_status("the-1", "online", "listening on /dev/ttyUSB9")
        beat(store, FIXED_NOW, devices=1)
    alive = run("devices", "status")
    assert alive.stdout.splitlines() == ["collector: running (last heartbeat 0 s ago)",
                                         "the-1                online                 listening on /dev/ttyUSB9"]
    clock.now = FIXED_NOW + timedelta(minutes=5)  # no beat for five minutes
    dead = run("devices", "status").stdout.splitlines()
    assert dead[0] == "collector: not running: last heartbeat at 2026-11-26 09:00:00 (300 s ago); start 'monitor run'"
    assert dead[1].startswith("the-1                collector not running  not running: last heartbeat")
