"""The collector: pulls clocks, hears readers, carries out requests from the web."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.simulators.rfid import CardReaderSimulator
from drivers.simulators.zk import VirtualClock, ZKSimulator
from monitor.config import parse_config
from monitor.service.collector import Collector, plan
from monitor.store import Store
from tests.conftest import ZONE
from tests.drivers.serial_helpers import eventually


def make_config(tmp_path: Path, devices: str):
    text = f'[storage]\ndatabase = "{tmp_path / "c.db"}"\n\n{devices}'
    Store(tmp_path / "c.db", zone=ZONE, create=True).close()
    return parse_config(text, "config.toml", base=tmp_path)


@pytest.fixture
def zk(clock):
    with ZKSimulator(VirtualClock(users=4, records=60, now=clock, clock_offset=300)) as simulator:
        yield simulator


def test_plan_sorts_devices_by_how_they_are_collected(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        '[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "tcp://127.0.0.1:4370"\n\n'
        '[[devices]]\nid = "door"\nprotocol = "rfid"\nport = "/dev/ttyUSB0"\n\n'
        '[[devices]]\nid = "old"\nprotocol = "anviz"\nport = "/dev/ttyUSB1"\nenabled = false\n',
    )
    result = plan(config)
    assert [d.id for d in result.pulled] == ["gate"]
    assert [d.id for d in result.live] == ["door"]
    assert [(d.id, why) for d, why in result.skipped] == [("old", "disabled in the config")]


def test_run_once_pulls_and_a_second_run_adds_nothing(tmp_path: Path, clock, zk) -> None:
    config = make_config(tmp_path, f'[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "{zk.url}"\ntimeout = 1\n')
    collector = Collector(config, now=clock)
    collector.run_once()
    collector.run_once()
    with Store(tmp_path / "c.db", zone=ZONE) as store:
        assert store.punch_count() == 60
        row = store.device_row("gate")
        assert (row["status"], row["clock_offset_seconds"]) == ("online", 300)
        assert row["status_reason"] == "clock +300 s off the host"
        assert store.scalar("SELECT MIN(clock_suspect) FROM punches") == 1


def test_a_silent_device_is_recorded_offline_and_the_run_goes_on(tmp_path: Path, clock) -> None:
    config = make_config(tmp_path, '[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "tcp://127.0.0.1:9"\ntimeout = 0.3\n')
    Collector(config, now=clock).run_once()
    with Store(tmp_path / "c.db", zone=ZONE) as store:
        row = store.device_row("gate")
        assert row["status"] == "offline"
        assert "127.0.0.1:9" in row["status_reason"]


def test_a_time_sync_requested_on_the_web_is_carried_out(tmp_path: Path, clock, zk) -> None:
    config = make_config(tmp_path, f'[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "{zk.url}"\ntimeout = 1\n')
    with Store(tmp_path / "c.db", zone=ZONE, now=clock) as store:
        store.queue_device_command("gate", "sync-time", requested_by="admin")
    assert Collector(config, now=clock).run_commands() == 1
    with Store(tmp_path / "c.db", zone=ZONE) as store:
        (command,) = store.device_commands("gate")
        assert command["result"] == "done: offset +300 s before, +0 s after"
        assert store.device_row("gate")["clock_offset_seconds"] == 0
        entry = store.audit_log("device", "gate")[0]
        assert (entry["actor"], entry["action"]) == ("admin", "sync-time")
        assert store.pending_device_commands() == []


def test_live_readers_are_heard_and_stored(tmp_path: Path, clock) -> None:
    link = tmp_path / "reader"
    config = make_config(tmp_path, f'[[devices]]\nid = "door"\nprotocol = "rfid"\nport = "{link}"\n')
    with CardReaderSimulator(link=link, interval=0) as simulator:
        collector = Collector(config, now=clock)
        collector.start_live()
        try:
            with Store(tmp_path / "c.db", zone=ZONE) as store:
                assert eventually(lambda: (store.device_row("door") or {}).get("status") == "online")
                simulator.card("0003887558")
                assert eventually(lambda: store.punch_count() == 1)
                assert store.scalar("SELECT device_user_id FROM punches") == "0003887558"
        finally:
            collector.stop_live()


def test_monitor_run_once_from_the_command_line(run, initialized: Path, config_file: Path, zk) -> None:
    config_file.write_text(
        config_file.read_text(encoding="utf-8") + f'\n[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "{zk.url}"\n',
        encoding="utf-8",
    )
    result = run("run", "--once")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Pulled 1 device(s); 0 live reader(s) need 'monitor run' without --once.\n"
    with Store(initialized, zone=ZONE) as store:
        assert store.punch_count() == 60


def test_monitor_run_once_judges_what_it_pulled(run, initialized: Path, config_file: Path, zk) -> None:
    with Store(initialized, zone=ZONE) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
        store.upsert_employees([{"code": "NV1", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV", "hired_on": "2026-01-01"}], actor="t")
        user = zk.clock.log[0].user_id
        store.upsert_enrollments([{"device_id": "gate", "device_user_id": user, "employee_code": "NV1"}], actor="t")
    config_file.write_text(
        config_file.read_text(encoding="utf-8") + f'\n[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "{zk.url}"\n',
        encoding="utf-8",
    )
    assert run("run", "--once").exit_code == 0
    with Store(initialized, zone=ZONE) as store:
        punched_days = {r["day"] for r in store.query(
            "SELECT DISTINCT substr(punched_at, 1, 10) AS day FROM punches WHERE employee_code = 'NV1'")}
        judged = {r["day"]: r["status"] for r in store.query("SELECT day, status FROM day_results WHERE employee_code = 'NV1'")}
        assert punched_days and punched_days <= set(judged)
        statuses = {day: judged[day] for day in punched_days}
        # 24/11 is Vietnam Cultural Day (a holiday from 2026): punches that day are extra work
        assert statuses.pop("2026-11-24") == "holiday"
        assert set(statuses.values()) <= {"present", "partial_absent"}
