"""``monitor simulate fingerprint|rfid|lines|anviz`` and ``monitor devices
enroll|unenroll``, end to end: the CLI, a real SQLite file, simulators on real ptys."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from drivers.base import DeviceSettings
from drivers.rfid import CardReader
from drivers.simulators.fingerprint import FingerprintSimulator
from drivers.simulators.rfid import CardReaderSimulator
from monitor.cli import cli
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def office(initialized: Path, tmp_path: Path, config_file: Path):
    """A database with two employees, and a config with a fingerprint module, a card
    reader and an Anviz clock behind links in tmp_path (simulators start per test)."""
    with Store(initialized, create=False) as store:
        store.upsert_units([{"code": "VP", "name": "Văn phòng UBND"}], actor="setup")
        store.upsert_employees(
            [
                {"code": "NV001", "full_name": "Nguyễn Thị Lan", "unit_code": "VP"},
                {"code": "NV002", "full_name": "Trần Văn Minh", "unit_code": "VP"},
            ],
            actor="setup",
        )
    links = {name: tmp_path / name for name in ("fp", "rfid", "anviz")}
    config_file.write_text(
        config_file.read_text(encoding="utf-8")
        + f"""
[[devices]]
id = "fp-1"
protocol = "fingerprint"
port = "{links['fp']}"
timeout = 1.0
poll_interval = 0.005

[[devices]]
id = "the-1"
protocol = "rfid"
port = "{links['rfid']}"
card_format = "decimal"

[[devices]]
id = "anviz-1"
protocol = "anviz"
port = "{links['anviz']}"
""",
        encoding="utf-8",
    )
    return links, initialized


def enrollments(db: Path, code: str) -> list[tuple[str, str, str]]:
    with Store(db, create=False) as store:
        return [(e["device_id"], e["device_user_id"], e["kind"]) for e in store.enrollments(code)]


def audit(db: Path) -> list[tuple[str, str, str, str]]:
    with Store(db, create=False) as store:
        return [(a["actor"], a["action"], a["entity_key"], a["reason"]) for a in store.audit_log("enrollment")]


# --- enroll / unenroll -----------------------------------------------------------------------


def test_enroll_a_finger_then_unenroll_it(run, office):
    links, db = office
    with FingerprintSimulator(enrolled=5, link=links["fp"]) as sim:
        sim.tap("lan")
        sim.tap("lan")
        result = run("devices", "enroll", "fp-1", "--employee", "NV001", "--timeout", "5")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            "Place the finger on the sensor.",
            "Lift the finger.",
            "Place the same finger again.",
            "Enrolled NV001 (Nguyễn Thị Lan) on fp-1: page 5.",
        ]
        assert sim.templates[5] == "lan"
        assert enrollments(db, "NV001") == [("fp-1", "5", "page")]

        result = run("devices", "unenroll", "fp-1", "--employee", "NV001")
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "Unenrolled NV001 from fp-1 (page 5)."
        assert 5 not in sim.templates
    assert enrollments(db, "NV001") == []
    assert audit(db) == [
        ("tester", "remove", "fp-1/5", "template deleted from fp-1"),
        ("tester", "add", "fp-1/5", "enrolled on fp-1"),
    ]


def test_unenroll_asks_which_page_when_there_are_several(run, office):
    links, db = office
    with FingerprintSimulator(enrolled=0, link=links["fp"]) as sim:
        for finger in ("lan-left", "lan-left", "lan-right", "lan-right"):
            sim.tap(finger)
        assert run("devices", "enroll", "fp-1", "--employee", "NV001").exit_code == 0
        assert run("devices", "enroll", "fp-1", "--employee", "NV001").exit_code == 0
        result = run("devices", "unenroll", "fp-1", "--employee", "NV001")
        assert result.exit_code == 2
        assert "has 2 enrollments on fp-1 (0, 1): choose one with --page" in result.output
        assert run("devices", "unenroll", "fp-1", "--employee", "NV001", "--page", "1").exit_code == 0
        assert sorted(sim.templates) == [0]
    assert enrollments(db, "NV001") == [("fp-1", "0", "page")]


def test_enroll_a_card_by_its_printed_number(run, office):
    links, db = office
    result = run("devices", "enroll", "the-1", "--employee", "NV002", "--card", "059,20934")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Enrolled NV002 (Trần Văn Minh) on the-1: card 0003887558."
    assert enrollments(db, "NV002") == [("the-1", "0003887558", "card")]
    result = run("devices", "unenroll", "the-1", "--employee", "NV002", "--card", "0x003B51C6")
    assert result.exit_code == 0, result.output
    assert enrollments(db, "NV002") == []


def test_enroll_a_card_by_presenting_it(run, office):
    links, db = office
    with CardReaderSimulator(link=links["rfid"], interval=0) as sim:
        done = threading.Event()

        def hold_card() -> None:
            # a card held on the reader: a frame every 65 ms until the command is done
            while not done.is_set():
                sim.card("0009334109", hold=1)
                done.wait(0.065)

        holder = threading.Thread(target=hold_card)
        holder.start()
        try:
            result = run("devices", "enroll", "the-1", "--employee", "NV002", "--timeout", "5")
        finally:
            done.set()
            holder.join()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Enrolled NV002 (Trần Văn Minh) on the-1: card 0009334109."


@pytest.mark.parametrize(
    "args, message",
    [
        (["anviz-1", "--employee", "NV001"], "anviz-1 is a anviz device: enroll works with fingerprint modules and card readers"),
        (["fp-9", "--employee", "NV001"], "no device 'fp-9'"),
        (["the-1", "--employee", "NV404", "--card", "1"], "no employee 'NV404'"),
        (["the-1", "--employee", "NV001", "--card", "not-a-card"], "is not a card number"),
        (["fp-1", "--employee", "NV001"], "does not exist (check the cable and run 'monitor devices scan'"),
    ],
    ids=["clock keeps its own users", "unknown device", "unknown employee", "bad card number", "module unplugged"],
)
def test_enroll_errors_are_one_line(run, office, args, message):
    result = run("devices", "enroll", *args, "--timeout", "1")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_wrong_module_password_is_one_clear_line(run, office):
    links, db = office
    with FingerprintSimulator(password=4321, link=links["fp"]):
        result = run("devices", "enroll", "fp-1", "--employee", "NV001")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: fp-1: the fingerprint module refused the password "
        "(set 'password' under this device in the config (modules ship with 0))"
    )


# --- simulate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "protocol, options, commands, expected",
    [
        ("fingerprint", ["--enrolled", "3"], "press 2\nenrolled\nrelease\n", ["finger 2 on the sensor (page 2)", "3 template(s): 0=0, 1=1, 2=2", "sensor empty"]),
        ("rfid", ["--variant", "binary", "--hold", "1"], "card 0003887558\n", ["card 0003887558 (059,20934, 003B51C6) presented"]),
        ("lines", ["--format", "decimal", "--encoding", "utf-8"], "card 059,20934\nline Trần Văn Minh 42\n", ["sent '0003887558'", "sent 'Trần Văn Minh 42'"]),
        ("lines", [], "line Trần\n", ["error: 'Trần' cannot be written in ascii (start the simulator with --encoding utf-8)"]),
        ("anviz", ["--device-id", "4", "--device-id", "5"], "punch 42 5\n", ["user 42 punched on clock 5 at"]),
    ],
)
def test_simulators_run_stdin_commands(tmp_path, protocol, options, commands, expected):
    link = tmp_path / f"{protocol}-sim"
    runner = CliRunner()
    result = runner.invoke(cli, ["simulate", protocol, "--link", str(link), *options], input=commands + "quit\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == str(link) and len(lines) == 1 + len(expected)
    for line, wanted in zip(lines[1:], expected):
        assert line.startswith(wanted)
    assert not os.path.lexists(link)  # stopped and cleaned up


def test_simulator_option_errors(tmp_path):
    result = CliRunner().invoke(cli, ["simulate", "fingerprint", "--enrolled", "300"])
    assert result.exit_code == 2 and "--enrolled must be 0-200" in result.output


@pytest.mark.parametrize("protocol", ["fingerprint", "rfid", "lines", "anviz"])
def test_every_simulate_command_has_help(protocol):
    result = CliRunner().invoke(cli, ["simulate", protocol, "--help"])
    assert result.exit_code == 0 and "--seed" in result.output and "--corrupt-every" in result.output


@pytest.mark.parametrize("command", ["enroll", "unenroll"])
def test_every_devices_command_has_help(command):
    result = CliRunner().invoke(cli, ["devices", command, "--help"])
    assert result.exit_code == 0 and "--employee" in result.output


def test_a_simulator_process_feeds_a_real_driver(tmp_path):
    """``monitor simulate rfid`` in its own process, driven through its stdin, read by the
    driver through pyserial: what IT staff do to rehearse a setup."""
    link = tmp_path / "reader"
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "simulate", "rfid", "--pty", "--link", str(link), "--hold", "2"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == str(link)
        reader = CardReader(DeviceSettings(id="the-1", protocol="rfid", port=str(link), baudrate=9600))
        reader.open()
        try:
            stop = threading.Event()
            watchdog = threading.Timer(10, stop.set)
            watchdog.start()
            process.stdin.write("card 0003887558\n")
            process.stdin.flush()
            punch = next(reader.listen(stop), None)
            watchdog.cancel()
        finally:
            reader.close()
        assert punch is not None and punch.user_id == "0003887558"
        assert process.stdout.readline().startswith("card 0003887558")
        process.terminate()  # 'kill PID' ends it cleanly: the link is removed
        assert process.wait(10) == 0
        assert not os.path.lexists(link)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()
        process.stdout.close()
        process.stderr.close()


def test_the_example_config_documents_valid_reader_entries():
    """The commented [[devices]] examples for the serial readers in config.example.toml,
    uncommented, pass config validation and build their drivers."""
    import re

    from drivers.base import open_driver
    from monitor.config import parse_config

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    readers = text[text.index("# Serial readers") : text.index("# --- The web site")]
    entries = [line[2:] for line in readers.splitlines() if re.match(r"# (\[\[devices\]\]|\w+ = )", line)]
    config = parse_config('[site]\nname = "x"\n' + "\n".join(entries))
    assert {d.protocol for d in config.devices} == {"fingerprint", "rfid", "lines", "anviz"}
    for device in config.devices:
        assert set(device.settings.options) == set(open_driver(device.settings).options)


# --- collect ---------------------------------------------------------------------------------


def test_collect_stores_reader_punches_as_they_happen(run, office):
    links, db = office
    with Store(db, create=False) as store:
        store.upsert_enrollments([{"device_id": "fp-1", "device_user_id": "2", "employee_code": "NV001", "kind": "page"}], actor="setup")
    with FingerprintSimulator(enrolled=3, link=links["fp"]) as fingers, CardReaderSimulator(link=links["rfid"], interval=0) as cards:
        done = threading.Event()

        def people_arrive() -> None:
            with Store(db, create=False) as watcher:
                while not done.is_set():
                    states = {d["id"]: d["status"] for d in watcher.device_rows()}
                    if states.get("fp-1") == "online" and states.get("the-1") == "online":
                        break
                    done.wait(0.01)
            fingers.press("2")
            while not done.is_set():  # a card held on the reader until the command ends
                cards.card("0003887558", hold=1)
                done.wait(0.065)

        arrivals = threading.Thread(target=people_arrive)
        arrivals.start()
        try:
            result = run("devices", "collect", "--count", "2", "--seconds", "20")
        finally:
            done.set()
            arrivals.join()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sorted(line.split("  ", 1)[1] for line in lines[:2]) == [
        "fp-1  2  stored",
        "the-1  0003887558  stored  (nobody enrolled for it)",
    ]
    assert lines[-1] == "2 new punch(es) stored from 2 device(s)."
    assert "fp-1 online on /dev/pts/" in result.stderr and "the-1 online on /dev/pts/" in result.stderr
    with Store(db, create=False) as store:
        stored = store.query("SELECT device_id, device_user_id, employee_code, source FROM punches ORDER BY device_id")
        states = {d["id"]: (d["status"], d["status_reason"]) for d in store.device_rows()}
    assert stored == [
        {"device_id": "fp-1", "device_user_id": "2", "employee_code": "NV001", "source": "device"},
        {"device_id": "the-1", "device_user_id": "0003887558", "employee_code": None, "source": "device"},
    ]
    assert states["fp-1"] == states["the-1"] == ("offline", "the collector stopped listening")


@pytest.mark.parametrize(
    "args, message",
    [(["anviz-1"], "anviz-1 keeps its own records: store them with 'monitor devices pull anviz-1'"), (["nope"], "no device 'nope'")],
    ids=["a clock", "unknown device"],
)
def test_collect_refuses(run, office, args, message):
    result = run("devices", "collect", *args, "--seconds", "1")
    assert result.exit_code == 2 and message in result.output


def test_collect_without_readers(run, initialized):
    result = run("devices", "collect", "--seconds", "1")
    assert result.exit_code == 2 and "no fingerprint, rfid or lines device is configured" in result.output


def test_simulated_clocks_keep_the_site_time(run, tmp_path):
    result = run("simulate", "anviz", "--link", tmp_path / "clock", "--clock-offset", "-30", input="punch 42\nquit\n")
    assert result.exit_code == 0, result.output
    # the test clock is 2026-11-26 09:00 in Asia/Ho_Chi_Minh, whatever the machine's zone
    assert "user 42 punched on clock 1 at 2026-11-26 08:59:30" in result.stdout
