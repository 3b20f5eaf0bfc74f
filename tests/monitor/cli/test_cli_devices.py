"""``monitor devices`` and ``monitor simulate zk`` end to end, against simulated clocks."""

from __future__ import annotations

import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from drivers.simulators.pty import PseudoTerminal
from drivers.simulators.zk import Faults, VirtualClock, ZKSimulator
from monitor.store import Store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def zk_device(clock, config_file: Path, tmp_path: Path):
    """``zk_device(transport, device_id="zk1", **clock options)``: a simulated clock,
    added to the test config as a [[devices]] entry."""
    started: list[ZKSimulator] = []

    def start(transport: str = "tcp", device_id: str = "zk1", extra: str = "", **options) -> ZKSimulator:
        options.setdefault("now", clock)
        options.setdefault("users", 6)
        options.setdefault("records", 300)
        link = str(tmp_path / f"tty{device_id}") if transport == "pty" else None
        simulator = ZKSimulator(VirtualClock(**options), transport=transport, link=link).start()
        started.append(simulator)
        with config_file.open("a", encoding="utf-8") as config:
            config.write(f'\n[[devices]]\nid = "{device_id}"\nprotocol = "zkteco"\nport = "{simulator.url}"\n'
                         f"timeout = 1.0\n{extra}\n")
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def test_every_command_has_help(run) -> None:
    for command in (["devices"], ["devices", "scan"], ["devices", "test"], ["devices", "pull"], ["devices", "listen"],
                    ["devices", "sync-time"], ["devices", "users"], ["simulate"], ["simulate", "zk"]):
        result = run(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_test_shows_the_clock(run, zk_device) -> None:
    simulator = zk_device("pty")
    result = run("devices", "test", "zk1")
    assert result.exit_code == 0, result.output
    for expected in (simulator.clock.model, simulator.clock.serial_number, "records        300 (capacity 200000)",
                     "users          6", "device clock   2026-11-26 09:00:00", "+0 s from the host clock", "OK"):
        assert expected in result.output


def test_test_warns_of_a_clock_too_far_off(run, zk_device) -> None:
    zk_device(clock_offset=-3600)
    result = run("devices", "test", "zk1")
    assert result.exit_code == 0
    assert "-3600 s from the host clock: more than the 120 s allowed" in result.output
    assert "monitor devices sync-time zk1" in result.output


def test_pull_twice(run, initialized, zk_device) -> None:
    zk_device("tcp")
    first = run("devices", "pull", "zk1")
    assert first.exit_code == 0, first.output
    assert "300 new, 0 already stored" in first.output
    assert "6 device user id(s) have no employee yet" in first.output
    second = run("devices", "pull", "zk1")
    assert second.exit_code == 0
    assert "0 new, 0 already stored" in second.output


def test_pull_flags_suspect_punches_and_clears_on_request(run, initialized, zk_device) -> None:
    simulator = zk_device("tcp", clock_offset=900)
    result = run("devices", "pull", "zk1", "--clear")
    assert result.exit_code == 0, result.output
    assert "Warning: the device clock is +900 s" in result.output
    assert "The log of zk1 was cleared." in result.output
    assert simulator.clock.log == []
    with Store(initialized, zone=ZONE) as store:
        assert store.scalar("SELECT COUNT(*) FROM punches WHERE clock_suspect = 1") == 300


def test_pull_reports_a_cleared_log(run, initialized, zk_device) -> None:
    zk_device("tcp", faults=Faults(cleared_log=True))
    assert "300 new" in run("devices", "pull", "zk1").output
    result = run("devices", "pull", "zk1")
    assert "was cleared or overwritten since the last pull" in result.output
    assert "0 new, 0 already stored" in result.output


def test_a_broken_pull_is_one_error_line_and_the_next_completes(run, initialized, zk_device) -> None:
    zk_device("tcp", faults=Faults(disconnect_chunk=1))
    broken = run("devices", "pull", "zk1")
    assert broken.exit_code == 2
    assert broken.output.startswith("Error: zk1: ") and "closed the connection" in broken.output
    assert "Traceback" not in broken.output
    assert "300 new, 0 already stored" in run("devices", "pull", "zk1").output


def test_listen_prints_live_punches(run, zk_device) -> None:
    simulator = zk_device("udp")

    def punch_when_listening() -> None:
        assert simulator.clock.listening.wait(5)
        simulator.clock.punch("1002", state=1, verify=2)

    worker = threading.Thread(target=punch_when_listening)
    worker.start()
    result = run("devices", "listen", "zk1", "--count", "1", "--seconds", "10")
    worker.join()
    assert result.exit_code == 0, result.output
    assert "2026-11-26 09:00:00  user 1002       check-out    card" in result.output


def test_sync_time_reports_before_and_after(run, initialized, zk_device, clock) -> None:
    simulator = zk_device("tcp", clock_offset=-125)
    result = run("devices", "sync-time", "zk1")
    assert result.exit_code == 0, result.output
    assert "before: -125 s" in result.output and "after:  +0 s" in result.output
    assert simulator.clock.time() == clock.now.replace(tzinfo=None)
    with Store(initialized, zone=ZONE) as store:
        assert store.device_row("zk1")["clock_offset_seconds"] == 0


def test_users_list_and_import(run, initialized, zk_device, tmp_path: Path) -> None:
    simulator = zk_device("tcp")
    listing = run("devices", "users", "zk1")
    assert listing.exit_code == 0 and "6 user(s) on zk1." in listing.output
    assert simulator.clock.users[0].name in listing.output
    with Store(initialized, zone=ZONE) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="tester")
        store.upsert_employees([{"code": "1001", "full_name": "Nguyễn Văn An", "unit_code": "SNV"},
                                {"code": "NV-02", "full_name": "Trần Thị Bình", "unit_code": "SNV"}], actor="tester")
    mapping = tmp_path / "map.csv"
    mapping.write_text("device_user_id,employee_code\n1002,NV-02\n", encoding="utf-8")
    result = run("devices", "users", "zk1", "--import", "--map", mapping)
    assert result.exit_code == 0, result.output
    assert "2 enrolled, 0 changed, 0 unchanged" in result.output
    assert "4 device user(s) match no employee code: 1003" in result.output
    with Store(initialized, zone=ZONE) as store:
        assert {(e["device_user_id"], e["employee_code"]) for e in store.enrollments()} == {("1001", "1001"), ("1002", "NV-02")}


def test_test_by_url_with_options(run, clock) -> None:
    with ZKSimulator(VirtualClock(now=clock, comm_key=77, records=10), transport="tcp") as simulator:
        good = run("devices", "test", "--url", simulator.url, "--protocol", "zkteco", "-o", "comm_key=77")
        assert good.exit_code == 0, good.output
        wrong = run("devices", "test", "--url", simulator.url, "--protocol", "zkteco", "-o", "comm_key=78")
        assert wrong.exit_code == 2 and "refused the comm key" in wrong.output
        bad = run("devices", "test", "--url", simulator.url, "--protocol", "zkteco", "-o", "speed=9")
        assert bad.exit_code == 2 and "comm_key, framing, chunk_size" in bad.output


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        pytest.param("/dev/no-such-tty", "does not exist (check the cable and run 'monitor devices scan'", id="wrong port"),
        pytest.param("tcp://127.0.0.1:9", "refused the connection", id="nothing there"),
    ],
)
def test_errors_say_what_to_do(run, port, expected) -> None:
    result = run("devices", "test", "--url", port, "--protocol", "zkteco", "--timeout", "0.2")
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_a_silent_port_is_no_answer(run) -> None:
    with PseudoTerminal() as silent:
        result = run("devices", "test", "--url", silent.path, "--protocol", "zkteco", "--timeout", "0.1")
    assert result.exit_code == 2
    assert "no answer to CONNECT" in result.output and "baud rate" in result.output


def test_unknown_device_and_missing_arguments(run) -> None:
    assert "no device 'zk7'" in run("devices", "pull", "zk7").output
    assert run("devices", "test").exit_code == 2


def test_scan_probes_given_ports(run, zk_device) -> None:
    simulator = zk_device("pty")
    result = run("devices", "scan", "--probe", "--port", simulator.url, "--timeout", "0.3")
    assert result.exit_code == 0, result.output
    assert f"{simulator.url}: zkteco ({simulator.clock.model}, {simulator.clock.serial_number}) at 115200 baud" in result.output


def test_simulate_zk_serves_until_quit(run) -> None:
    result = run("simulate", "zk", "--tcp", "127.0.0.1:0", "--records", "5", "--users", "3",
                 input="punch 1002 1\npunch\nclear\nquit\n")
    assert result.exit_code == 0, result.output
    assert "Simulated ZK clock at tcp://127.0.0.1:" in result.output and "5 records" in result.output
    assert "punch 1002 at 2026-11-26 09:00:00 state 1; 0 listener(s) told" in result.output
    assert "commands: punch USERID [STATE] | clear | quit" in result.output
    assert "log cleared" in result.output


def test_simulate_zk_on_a_pty_with_a_link(run, tmp_path: Path) -> None:
    link = tmp_path / "ttyZK"
    result = run("simulate", "zk", "--pty", "--link", link, "--record-size", "8", input="quit\n")
    assert result.exit_code == 0, result.output
    assert f'port = "{link}"' in result.output
    assert not link.exists()  # removed on the way out


def test_simulate_needs_one_transport(run) -> None:
    result = run("simulate", "zk", "--tcp", "127.0.0.1:0", "--pty")
    assert result.exit_code == 2 and "exactly one of" in result.output
