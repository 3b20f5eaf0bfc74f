"""The real ZK driver against the simulated clock over TCP, UDP and a pseudo-terminal."""

from __future__ import annotations

import os
import select
import threading
from datetime import datetime

import pytest

from drivers.base import (
    Cursor,
    DeviceRefused,
    DeviceSettings,
    DeviceTimeout,
    Disconnected,
    DriverError,
    PortUnavailable,
    driver_class,
)
from drivers.simulators.pty import PseudoTerminal
from drivers.simulators.zk import Faults
from drivers.zkteco import ZKTimeClock

TRANSPORTS = ["tcp", "udp", "pty"]


def test_registry_picks_the_zk_driver() -> None:
    assert driver_class("zkteco") is ZKTimeClock


@pytest.mark.parametrize("record_size", [8, 16, 40])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reads_everything_the_clock_holds(zk_sim, zk_settings, transport, record_size) -> None:
    sim = zk_sim(transport, record_size=record_size, records=150)
    clock = sim.clock
    with ZKTimeClock(zk_settings(sim)) as device:
        info = device.info()
        result = device.fetch()
        users = device.users()
        assert device.read_clock() == clock.time()
    assert (info.model, info.serial_number, info.firmware) == (clock.model, clock.serial_number, clock.firmware)
    assert (info.user_count, info.record_count) == (len(clock.users), 150)
    assert result.punches == clock.log  # user ids, times, verify, state, work code and raw bytes
    assert result.records_on_device == 150 and not result.log_shrank
    assert result.cursor == Cursor(150, clock.log[-1].timestamp, {"last_user": clock.log[-1].user_id})
    assert users == clock.users
    assert clock.enabled


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_polls_download_only_what_is_new(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport)
    clock = sim.clock
    with ZKTimeClock(zk_settings(sim)) as device:
        first = device.fetch()
        downloads = clock.downloads
        unchanged = device.fetch(first.cursor)
        assert unchanged.punches == [] and unchanged.cursor == first.cursor
        assert clock.downloads == downloads  # a count check, no download
        new = [clock.punch("1003", state=0), clock.punch("1005", state=1)]
        second = device.fetch(first.cursor)
    assert second.punches == new
    assert second.cursor.record_count == len(clock.log) and not second.log_shrank


def test_a_cleared_log_is_reported_not_taken_for_no_news(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp")
    clock = sim.clock
    with ZKTimeClock(zk_settings(sim)) as device:
        cursor = device.fetch().cursor
        clock.clear_log()
        after_clear = clock.punch("1002")
        result = device.fetch(cursor)
    assert result.log_shrank
    assert result.punches == [after_clear]
    assert result.cursor.record_count == 1


def test_a_log_cleared_and_refilled_past_the_cursor_is_reported(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp", records=3)
    clock = sim.clock
    with ZKTimeClock(zk_settings(sim)) as device:
        cursor = device.fetch().cursor
        clock.clear_log()
        refill = [clock.punch(user.user_id) for user in clock.users[:5]]
        result = device.fetch(cursor)
    assert result.log_shrank  # 5 records where 3 were, but not the same first 3
    assert result.punches == refill


def test_the_cleared_log_fault(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp", faults=Faults(cleared_log=True))
    with ZKTimeClock(zk_settings(sim)) as device:
        first = device.fetch()
        assert len(first.punches) == 120
        second = device.fetch(first.cursor)
    assert second.log_shrank and second.punches == [] and second.records_on_device == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_comm_key(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport, comm_key=246810)
    with ZKTimeClock(zk_settings(sim, comm_key=246810)) as device:
        assert len(device.fetch().punches) == 120
    with pytest.raises(DeviceRefused, match="refused the comm key") as wrong:
        ZKTimeClock(zk_settings(sim, comm_key=246811)).open()
    assert "comm_key" in str(wrong.value)
    with pytest.raises(DeviceRefused, match="none is configured"):
        ZKTimeClock(zk_settings(sim)).open()


def test_set_clock_and_clear_log_only_after_a_download(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp", clock_offset=-3600)
    clock = sim.clock
    with ZKTimeClock(zk_settings(sim)) as device:
        device.set_clock(datetime(2026, 11, 26, 9, 0, 0))
        assert clock.time() == datetime(2026, 11, 26, 9, 0, 0)
        with pytest.raises(DeviceRefused, match="not downloaded"):
            device.clear_log()
        device.fetch()
        clock.punch("1001")
        with pytest.raises(DeviceRefused, match="1 punch"):
            device.clear_log()  # it would be lost
        device.fetch()
        device.clear_log()
    assert clock.log == [] and clock.enabled


@pytest.mark.parametrize("record_size", [8, 16, 40])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_live_punches(zk_sim, zk_settings, transport, record_size) -> None:
    sim = zk_sim(transport, record_size=record_size)
    clock = sim.clock
    punched = []

    def punch_when_listening() -> None:
        assert clock.listening.wait(5)
        punched.append(clock.punch("1004", state=1, verify=2))
        punched.append(clock.punch("1002"))

    stop = threading.Event()
    seen = []
    with ZKTimeClock(zk_settings(sim)) as device:
        worker = threading.Thread(target=punch_when_listening)
        worker.start()
        for punch in device.listen(stop):
            seen.append(punch)
            if len(seen) == 2:
                stop.set()
        worker.join()
        assert device.fetch(Cursor(120, clock.log[119].timestamp)).punches == punched  # also in the log
    assert [(p.user_id, p.timestamp, p.verify_mode, p.state) for p in seen] == [
        (p.user_id, p.timestamp, p.verify_mode, p.state) for p in punched]
    assert not clock.listeners  # the driver unregistered when it stopped


def test_bare_serial_framing(zk_sim, zk_settings) -> None:
    sim = zk_sim("pty", framing="bare", records=20, users=3)
    with ZKTimeClock(zk_settings(sim)) as device:
        assert device.fetch().punches == sim.clock.log
        assert device.users() == sim.clock.users


def test_probe_finds_the_clock_and_only_it(zk_sim, tmp_path) -> None:
    sim = zk_sim("pty")
    info = ZKTimeClock.probe(sim.url, timeout=0.5)
    assert info is not None and info.serial_number == sim.clock.serial_number and info.extra["baudrate"] == 115200
    assert ZKTimeClock.probe(str(tmp_path / "missing"), timeout=0.1) is None
    with PseudoTerminal() as silent:
        assert ZKTimeClock.probe(silent.path, timeout=0.05) is None
    tcp = zk_sim("tcp", comm_key=5)
    assert "comm key" in ZKTimeClock.probe(tcp.url, timeout=0.5).extra["note"]


def test_a_silent_port_times_out_with_a_hint() -> None:
    with PseudoTerminal() as silent:
        settings = DeviceSettings(id="zk9", protocol="zkteco", port=silent.path, timeout=0.1)
        with pytest.raises(DeviceTimeout, match="no answer to CONNECT") as error:
            ZKTimeClock(settings).open()
    assert "baud rate" in str(error.value) and str(error.value).startswith("zk9: ")


def test_noise_on_the_line_suggests_the_baud_rate() -> None:
    """What a clock at another baud rate looks like: bytes, but no frames."""
    with PseudoTerminal() as line:
        stop = threading.Event()

        def babble() -> None:
            while not stop.is_set():
                if select.select([line.master], [], [], 0.05)[0]:
                    os.read(line.master, 1024)
                    line.write(bytes([0xF0, 0x0F, 0xFF]) * 7)

        worker = threading.Thread(target=babble)
        worker.start()
        try:
            settings = DeviceSettings(id="zk9", protocol="zkteco", port=line.path, timeout=0.2)
            with pytest.raises(DriverError, match="baud rate"):
                ZKTimeClock(settings).open()
        finally:
            stop.set()
            worker.join()


def test_network_errors_name_the_fix() -> None:
    with pytest.raises(PortUnavailable, match="unknown host"):
        ZKTimeClock(DeviceSettings(id="zk", protocol="zkteco", port="tcp://no-such-host.invalid:4370")).open()
    with pytest.raises(DriverError, match="names no host"):
        ZKTimeClock(DeviceSettings(id="zk", protocol="zkteco", port="tcp://:4370")).open()
    with pytest.raises(DriverError, match="unknown ZK serial framing"):
        ZKTimeClock(DeviceSettings(id="zk", protocol="zkteco", port="loop://", options={"framing": "rs485"})).open()


def test_refused_tcp_port_and_silent_udp_port(zk_sim) -> None:
    sim = zk_sim("tcp")
    url = sim.url
    sim.stop()
    with pytest.raises(PortUnavailable, match="refused the connection"):
        ZKTimeClock(DeviceSettings(id="zk", protocol="zkteco", port=url, timeout=0.2)).open()
    udp = zk_sim("udp")
    udp_url = udp.url
    udp.stop()
    with pytest.raises((Disconnected, DeviceTimeout)):
        ZKTimeClock(DeviceSettings(id="zk", protocol="zkteco", port=udp_url, timeout=0.2)).open()


def test_spy_capture_shows_the_framing(zk_sim, zk_settings, tmp_path) -> None:
    """docs/zkteco.md: how to confirm a real clock's serial framing with spy://."""
    sim = zk_sim("pty", records=10)
    capture = tmp_path / "capture.txt"
    settings = zk_settings(sim)
    spied = DeviceSettings(id=settings.id, protocol="zkteco", port=f"spy://{sim.url}?file={capture}",
                           timeout=settings.timeout, options=settings.options)
    device = ZKTimeClock(spied)
    with device:
        assert device.fetch().punches == sim.clock.log
    streams: dict[str, list[str]] = {"TX": [], "RX": []}
    for line in capture.read_text().splitlines():
        # "000000.012 RX   0000  50 50 82 7D ...   PP.}": 16 hex bytes from column 22
        label = line[11:15].strip()
        if label in streams:
            streams[label].extend(line[22:70].split())
    assert streams["TX"][:8] == ["50", "50", "82", "7D", "08", "00", "00", "00"]  # our CONNECT
    assert streams["RX"][:4] == ["50", "50", "82", "7D"]  # the clock's answer: TCP framing


@pytest.mark.serial
def test_a_real_clock_on_a_physical_port(serial_port) -> None:
    """Opt in with --serial-port=PORT: a ZK clock wired to this machine answers."""
    info = ZKTimeClock.probe(serial_port, timeout=1.0)
    assert info is not None, "no ZK clock answered: check wiring and baud rate, and see docs/zkteco.md on the framing"
