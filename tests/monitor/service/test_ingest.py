"""Pulling a simulated ZK clock into a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.base import Cursor, DeviceSettings, Disconnected, FrameError
from drivers.simulators.zk import Faults, VirtualClock, ZKSimulator
from monitor.config import DeviceConfig
from monitor.errors import InputFileError
from monitor.service.ingest import import_device_users, pull_device, read_user_map


@pytest.fixture
def simulate(clock, tmp_path: Path):
    """Start simulated ZK clocks that read the test clock; stopped at teardown."""
    started: list[ZKSimulator] = []

    def start(transport: str = "tcp", **options) -> ZKSimulator:
        options.setdefault("now", clock)
        options.setdefault("users", 6)
        options.setdefault("records", 200)
        link = str(tmp_path / f"ttyZK{len(started)}") if transport == "pty" else None
        simulator = ZKSimulator(VirtualClock(**options), transport=transport, link=link).start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def device_for(simulator: ZKSimulator, *, max_offset: int = 120, **options) -> DeviceConfig:
    settings = DeviceSettings(id="zk1", protocol="zkteco", port=simulator.url, timeout=0.5,
                              options={"chunk_size": 1024, **options})
    return DeviceConfig(settings=settings, unit="SNV", max_clock_offset_seconds=max_offset)


def pull(store, device, clock, **kwargs):
    return pull_device(store, device, now=clock, actor="tester", **kwargs)


@pytest.mark.parametrize("transport", ["tcp", "udp", "pty"])
def test_a_pull_stores_every_punch_once(store, clock, simulate, transport) -> None:
    simulator = simulate(transport)
    device = device_for(simulator)
    first = pull(store, device, clock)
    assert (first.new, first.existing, first.records_on_device) == (200, 0, 200)
    assert first.clock_offset == 0 and not first.clock_suspect and not first.log_shrank
    row = store.device_row("zk1")
    assert (row["status"], row["clock_offset_seconds"], row["model"]) == ("online", 0, simulator.clock.model)
    assert Cursor.from_dict(store.load_cursor("zk1")).record_count == 200
    stored = store.query("SELECT device_user_id, punched_at, state, raw, clock_suspect FROM punches ORDER BY id")
    log = sorted(simulator.clock.log, key=lambda p: (p.timestamp, p.user_id))
    assert [(r["device_user_id"], r["punched_at"][:19], r["state"], r["raw"]) for r in stored] == [
        (p.user_id, p.timestamp.isoformat(), p.state, p.raw.hex()) for p in log]
    assert {r["clock_suspect"] for r in stored} == {0}
    second = pull(store, device, clock)
    assert (second.new, second.existing) == (0, 0)
    assert store.punch_count() == 200
    assert store.verify_chain().ok


def test_a_clock_too_far_off_flags_every_punch(store, clock, simulate) -> None:
    simulator = simulate(clock_offset=-600)
    report = pull(store, device_for(simulator, max_offset=300), clock)
    assert report.clock_offset == -600 and report.clock_suspect
    assert store.scalar("SELECT COUNT(*) FROM punches WHERE clock_suspect = 1") == 200
    # stored as the device recorded them, not shifted
    first = min(simulator.clock.log, key=lambda p: (p.timestamp, p.user_id))
    assert store.scalar("SELECT MIN(punched_at) FROM punches").startswith(first.timestamp.isoformat())
    row = store.device_row("zk1")
    assert row["clock_offset_seconds"] == -600 and "-600 s" in row["status_reason"]


def test_a_broken_transfer_stores_nothing_and_the_next_pull_completes(store, clock, simulate) -> None:
    simulator = simulate(faults=Faults(disconnect_chunk=3))
    device = device_for(simulator)
    with pytest.raises(Disconnected):
        pull(store, device, clock)
    assert store.punch_count() == 0 and store.load_cursor("zk1") is None
    row = store.device_row("zk1")
    assert row["status"] == "offline" and "closed the connection" in row["status_reason"]
    assert simulator.clock.enabled
    report = pull(store, device, clock)
    assert report.new == 200 and store.device_row("zk1")["status"] == "online"


def test_a_damaged_transfer_is_an_error_status(store, clock, simulate) -> None:
    simulator = simulate(faults=Faults(corrupt_chunk=1, times=3))
    with pytest.raises(FrameError):
        pull(store, device_for(simulator), clock)
    assert store.punch_count() == 0
    assert store.device_row("zk1")["status"] == "error"


def test_a_lost_cursor_costs_a_download_not_a_duplicate(store, clock, simulate) -> None:
    simulator = simulate()
    device = device_for(simulator)
    pull(store, device, clock)
    store.save_cursor("zk1", Cursor().to_dict())  # as if the process died before saving it
    report = pull(store, device, clock)
    assert (report.new, report.existing) == (0, 200)


def test_a_cleared_device_log_is_reported(store, clock, simulate) -> None:
    simulator = simulate()
    device = device_for(simulator)
    pull(store, device, clock)
    simulator.clock.clear_log()
    simulator.clock.punch("1002")
    report = pull(store, device, clock)
    assert report.log_shrank and (report.new, report.existing) == (1, 0)


def test_clear_only_after_the_punches_are_stored(store, clock, simulate) -> None:
    simulator = simulate()
    device = device_for(simulator)
    report = pull(store, device, clock, clear=True)
    assert report.cleared and report.new == 200 and store.punch_count() == 200
    assert simulator.clock.log == []
    assert Cursor.from_dict(store.load_cursor("zk1")).record_count == 0
    assert store.audit_log("device", "zk1")[0]["action"] == "clear-log"
    simulator.clock.punch("1004")
    after = pull(store, device, clock)
    assert (after.new, after.log_shrank) == (1, False)


def seed_directory(store) -> None:
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="tester")
    store.upsert_employees(
        [
            {"code": "1001", "full_name": "Nguyễn Văn An", "unit_code": "SNV"},
            {"code": "1002", "full_name": "Trần Thị Bình", "unit_code": "SNV"},
            {"code": "NV-03", "full_name": "Lê Minh Cường", "unit_code": "SNV"},
        ],
        actor="tester",
    )


def test_importing_device_users_as_enrollments(store, clock, simulate) -> None:
    seed_directory(store)
    simulator = simulate()
    pull(store, device_for(simulator), clock)
    result = import_device_users(store, "zk1", simulator.clock.users, actor="tester", mapping={"1003": "NV-03"})
    assert (result.added, result.updated, result.unchanged) == (3, 0, 0)
    assert sorted(u.user_id for u in result.unknown) == ["1004", "1005", "1006"]
    held = sum(1 for p in simulator.clock.log if p.user_id in {"1001", "1002", "1003"})
    assert result.attached_punches == held
    assert store.scalar("SELECT COUNT(*) FROM punches WHERE employee_code = 'NV-03'") > 0
    again = import_device_users(store, "zk1", simulator.clock.users, actor="tester", mapping={"1003": "NV-03"})
    assert (again.added, again.unchanged) == (0, 3)


def test_user_map_files(tmp_path: Path) -> None:
    good = tmp_path / "map.csv"
    good.write_text("device_user_id,employee_code\n1003,NV-03\n1007, NV-07 \n", encoding="utf-8")
    assert read_user_map(good) == {"1003": "NV-03", "1007": "NV-07"}
    headless = tmp_path / "headless.csv"
    headless.write_text("1003,NV-03\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="must name the columns"):
        read_user_map(headless)
    twice = tmp_path / "twice.csv"
    twice.write_text("device_user_id,employee_code\n1003,NV-03\n1003,NV-04\n,NV-05\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="2 bad row") as error:
        read_user_map(twice)
    assert error.value.problems[0][0] == 3
