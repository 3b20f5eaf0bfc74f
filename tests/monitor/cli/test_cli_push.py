"""``monitor receive``, ``monitor devices push-list|accept|reject|backfill|info|reboot|sync-time``
for push clocks, and ``monitor simulate adms`` against a real receiver process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from drivers.simulators.adms import PushClock, PushDevice
from monitor.config import load_config
from monitor.service.push_receiver import ReceiverServer
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.push_helpers import request

ROOT = Path(__file__).resolve().parents[3]
SN = "CQZ7230100001"


@pytest.fixture
def push_setup(run, initialized: Path, config_file: Path, clock):
    """An initialized database with a unit, and a config with [push] on 127.0.0.1."""
    config_file.write_text(config_file.read_text(encoding="utf-8") + '\n[push]\nhost = "127.0.0.1"\ndelay = 1\n',
                           encoding="utf-8")
    with Store(initialized, zone=ZONE) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="test")
    server = ReceiverServer(load_config(config_file), now=clock, port=0).start()
    device = PushDevice(SN, users=3, records=12, seed=2, now=lambda: datetime(2026, 11, 26, 9, 0))
    push = PushClock(server.url, device, timeout=2.0)
    assert push.init() and push.upload_pending() == 12
    yield push
    server.stop()


def test_a_waiting_clock_is_listed_accepted_and_asked(run, push_setup: PushClock) -> None:
    result = run("devices", "push-list")
    assert result.exit_code == 0 and result.output.startswith(f"{SN:<20} waiting") and "holds 1 upload(s)" in result.output
    result = run("devices", "accept", SN, "--id", "sanh", "--unit", "SNV", "--comm-key", "k1", "--reason", "máy sảnh")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        f"Accepted {SN} as sanh in SNV.",
        "Stored what it sent while waiting (1 upload(s)): 12 new punch(es), 0 already stored, 0 operation(s), 0 line(s) refused.",
    ]
    assert "3 device user id(s) have no employee yet: 1001, 1002, 1003" in result.output
    for args, expected in [
        (("devices", "backfill", "sanh", "--from", "2026-11-01", "--to", "2026-11-25"), "posts its punches of 2026-11-01..2026-11-25"),
        (("devices", "info", "sanh"), "describes itself"),
        (("devices", "reboot", "sanh"), "restarts"),
        (("devices", "sync-time", "sanh"), "sets its clock to the server's"),
    ]:
        result = run(*args)
        assert result.exit_code == 0 and expected in result.output, result.output
    push_setup.device.comkey = "k1"
    results = push_setup.heartbeat()
    assert [r.cmd for r in results] == ["DATA", "INFO", "SET OPTION", "REBOOT"]
    assert all(r.ok for r in results)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("devices", "accept", "NOPE", "--id", "x", "--unit", "SNV"), "Error: no clock with serial number NOPE",
                     id="unknown-sn"),
        pytest.param(("devices", "accept", SN, "--id", "x", "--unit", "NOPE"), "Error: no unit 'NOPE'", id="unknown-unit"),
        pytest.param(("devices", "reject", SN, "--reason", " "), "Error: say why the clock is rejected", id="no-reason"),
        pytest.param(("devices", "backfill", "sanh", "--from", "2026-11-01", "--to", "2026-11-02"),
                     "Error: no accepted push clock 'sanh'", id="not-accepted"),
        pytest.param(("devices", "info", "gate"), "Error: no accepted push clock 'gate'", id="info-unknown"),
    ],
)
def test_bad_input_is_one_clear_line(run, push_setup: PushClock, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith(message), result.stderr


def test_a_backfill_period_is_checked(run, push_setup: PushClock) -> None:
    assert run("devices", "accept", SN, "--id", "sanh", "--unit", "SNV").exit_code == 0
    result = run("devices", "backfill", "sanh", "--from", "2026-11-02", "--to", "2026-11-01")
    assert result.exit_code == 2 and result.stderr.strip() == "Error: --to 2026-11-01 is before --from 2026-11-02"


def test_reject_discards_what_it_held(run, push_setup: PushClock, initialized: Path) -> None:
    result = run("devices", "reject", SN, "--reason", "máy lạ")
    assert result.exit_code == 0 and result.output.strip() == f"Rejected {SN}; 1 held upload(s) discarded."
    assert "rejected" in run("devices", "push-list", "--state", "rejected").output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_receive_and_simulate_as_processes(initialized: Path, config_file: Path, tmp_path: Path) -> None:
    """``monitor receive`` and ``monitor simulate adms`` as users start them; SIGTERM ends both cleanly."""
    config_file.write_text(config_file.read_text(encoding="utf-8") + '\n[push]\nhost = "127.0.0.1"\ndelay = 1\n',
                           encoding="utf-8")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MONITOR_DATABASE", None)
    base = [sys.executable, "-m", "monitor", "--config", str(config_file)]
    log = tmp_path / "receive.log"
    with log.open("wb") as out:
        receiver = subprocess.Popen([*base, "receive", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    simulator = None
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, text, _ = request(f"http://127.0.0.1:{port}", "GET", "/iclock/ping?SN=PROBE")
                break
            except OSError:
                assert receiver.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)  # polling a subprocess's port; there is no event to wait on
        assert (status, text) == (200, "OK")
        simulator = subprocess.Popen([*base, "simulate", "adms", "--server", f"http://127.0.0.1:{port}", "--sn", SN,
                                      "--records", "25", "--punch-every", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        lines = []
        for line in simulator.stdout:  # the simulator reports each step as it happens
            lines.append(line)
            if line.startswith("uploaded 25 record(s)"):
                break
        assert any(line.startswith("init: Delay=1 s") for line in lines), lines
        with Store(initialized, zone=ZONE) as store:
            row = store.push_device(SN)
            assert row["state"] == "waiting" and store.held_push_uploads(SN)
    finally:
        for process in (simulator, receiver):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        if simulator is not None:
            simulator.communicate(timeout=20)
        assert receiver.wait(timeout=20) == 0, log.read_text()
    output = log.read_text()
    assert "Receiving push clocks on http://127.0.0.1:" in output
    # at exit the receiver says how long its handler took, by kind of request
    summary = output[output.index("push receiver, time in the handler:"):].splitlines()
    assert any(line.split()[:2] == ["ping", "1"] for line in summary), summary
    assert any(line.split()[:3] == ["upload", "ATTLOG", "1"] for line in summary), summary
