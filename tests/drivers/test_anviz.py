"""Anviz TC_B clocks: the vectors of protocols.md §5, and the driver against simulated
clocks (one, or three on one RS485 line) over a real pseudo-terminal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drivers.anviz import AnvizClock
from drivers.anviz import bus as anviz_bus
from drivers.anviz.frames import (
    DOWNLOAD,
    GET_TIME,
    AnvizFrame,
    AnvizFramer,
    decode_counts,
    decode_records,
    decode_time,
    encode_counts,
    encode_record,
    encode_time,
    reply,
    request,
)
from drivers.base import DeviceTimeout, DriverError, FrameError
from drivers.simulators.anviz import AnvizSimulator
from drivers.simulators.pty import PseudoTerminal
from drivers.simulators.serial_sim import Faults
from tests.drivers.serial_helpers import Listener, ManualClock, settings

NOW = datetime(2026, 11, 26, 8, 0, 0)

# --- vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wire, device_id, command, data",
    [
        ("A5 00 00 00 01 38 00 00 28 CA", 1, GET_TIME, b""),
        ("A5 00 00 00 01 40 00 02 01 19 56 EA", 1, DOWNLOAD, bytes([1, 25])),
    ],
    ids=["get time, device 1", "download all records"],
)
def test_request_vectors(wire, device_id, command, data):
    assert request(device_id, command, data) == bytes.fromhex(wire)
    framer = AnvizFramer()
    framer.feed(bytes.fromhex(wire))
    assert framer.next_frame() == AnvizFrame(device_id, command, data)


def test_reply_round_trip_carries_the_return_code():
    wire = reply(7, GET_TIME, encode_time(NOW), ret=0)
    assert wire[5:7] == bytes([0xB8, 0x00])
    framer = AnvizFramer()
    framer.feed(wire)
    frame = framer.next_frame()
    assert (frame.device_id, frame.command, frame.ret, decode_time(frame.data)) == (7, 0xB8, 0, NOW)


@pytest.mark.parametrize(
    "wire, problem",
    [("A5 00 00 00 01 38 00 00 28 CB", "CRC"), ("A5 00 00 00 01 40 7F FF", "length")],
    ids=["bad CRC", "length out of range"],
)
def test_bad_frames(wire, problem):
    framer = AnvizFramer()
    framer.feed(bytes.fromhex(wire))
    with pytest.raises(FrameError, match=problem):
        framer.next_frame()


def test_download_reply_records():
    records = [encode_record(123, 845_000_000, 0, 0x81, 5), encode_record(0xFF_FFFF_FFFF, 1, 3, 1, 0)]
    [first, second] = decode_records(bytes([2]) + b"".join(records))
    assert (first.user_code, first.seconds, first.backup_code, first.state, first.work_type) == (123, 845_000_000, 0, 1, 5)
    assert first.record_type == 0x81 and len(first.raw) == 14
    assert second.user_code == 0xFF_FFFF_FFFF and second.backup_code == 3
    assert first.timestamp(datetime(2000, 1, 2)) == datetime(2000, 1, 2) + timedelta(seconds=845_000_000)
    with pytest.raises(FrameError, match="says 3 records"):
        decode_records(bytes([3]) + b"".join(records))


def test_counts_and_time_fields():
    assert decode_counts(encode_counts(1, 2, 3, 4, 70000, 6)) == {
        "users": 1, "fingerprints": 2, "passwords": 3, "cards": 4, "records": 70000, "new_records": 6,
    }
    assert encode_time(datetime(2026, 1, 2, 3, 4, 5)) == bytes([26, 1, 2, 3, 4, 5])
    with pytest.raises(FrameError, match="not a date"):
        decode_time(bytes([26, 13, 1, 0, 0, 0]))


# --- one clock ----------------------------------------------------------------------------


@pytest.fixture
def one_clock():
    clock = ManualClock(NOW)
    with AnvizSimulator(device_ids=(1,), records=60, seed=4, now=clock) as sim:
        yield sim, clock


def open_clock(port: str, device_id: int = 1, now=None, **options) -> AnvizClock:
    options.setdefault("poll_interval", 0.01)
    clock = AnvizClock(settings("anviz", port, name=f"anviz-{device_id}", device_id=device_id, **options), now=now or ManualClock(NOW))
    clock.open()
    return clock


def test_read_and_set_the_clock(one_clock):
    sim, host = one_clock
    sim.clocks[1].offset = timedelta(minutes=-3)
    clock = open_clock(sim.path)
    try:
        assert clock.read_clock() == NOW - timedelta(minutes=3)
        clock.set_clock(NOW)
        assert clock.read_clock() == NOW
        info = clock.info()
    finally:
        clock.close()
    assert (info.protocol, info.record_count, info.user_count, info.extra["new_records"]) == ("anviz", 60, 20, 60)


def test_first_pull_takes_the_whole_log_then_only_new_records(one_clock):
    sim, host = one_clock
    clock = open_clock(sim.path)
    progress: list[tuple[int, int]] = []
    try:
        first = clock.fetch(None, lambda done, total: progress.append((done, total)))
        assert len(first.punches) == 60 and first.records_on_device == 60
        assert progress == [(25, 60), (50, 60), (60, 60)]
        assert first.punches == sorted(first.punches, key=lambda p: p.timestamp)
        # backup codes 0 (FP1) and 3 (card) in the common numbering: 1 fingerprint, 2 card
        assert {p.verify_mode for p in first.punches} == {1, 2}

        host.advance(60)
        sim.punch(4242, state=1)
        second = clock.fetch(first.cursor)
        assert [(p.user_id, p.timestamp, p.state, p.verify_mode) for p in second.punches] == [
            ("4242", NOW + timedelta(seconds=60), 1, 1)
        ]
        # the first pull was committed: its 60 new flags are cleared now, not before
        assert sum(r.new for r in sim.clocks[1].records) == 1

        third = clock.fetch(second.cursor)
        assert third.punches == [] and not third.log_shrank
        assert sum(r.new for r in sim.clocks[1].records) == 0
        assert third.cursor.last_timestamp == NOW + timedelta(seconds=60)
    finally:
        clock.close()


def test_a_pull_whose_punches_were_not_committed_is_delivered_again(one_clock):
    sim, host = one_clock
    clock = open_clock(sim.path)
    try:
        first = clock.fetch(None)
        sim.punch(7)
        lost = clock.fetch(first.cursor)  # the collector crashed before storing this
        again = clock.fetch(first.cursor)
        assert [p.user_id for p in lost.punches] == [p.user_id for p in again.punches] == ["7"]
    finally:
        clock.close()


def test_flags_cleared_by_someone_else_are_not_cleared_again(one_clock):
    sim, host = one_clock
    clock = open_clock(sim.path)
    try:
        first = clock.fetch(None)
        for record in sim.clocks[1].records:
            record.new = False  # another program downloaded and cleared the flags
        sim.punch(8)
        sim.punch(9)
        second = clock.fetch(first.cursor)
        # the head of the new list is not what we returned last time: nothing is cleared
        assert [p.user_id for p in second.punches] == ["8", "9"]
        assert sum(r.new for r in sim.clocks[1].records) == 2
    finally:
        clock.close()


def test_a_cleared_log_is_reported(one_clock):
    sim, host = one_clock
    clock = open_clock(sim.path)
    try:
        first = clock.fetch(None)
        clock.clear_log()
        assert sim.clocks[1].records == []
        second = clock.fetch(first.cursor)
        assert second.log_shrank and second.punches == [] and second.records_on_device == 0
    finally:
        clock.close()


def test_the_epoch_option_moves_record_times(one_clock):
    sim, host = one_clock
    sim.punch(11)
    default = open_clock(sim.path)
    records = default.fetch(None).punches
    default.close()
    shifted = open_clock(sim.path, epoch="2000-01-01T00:00:00")
    moved = shifted.fetch(None).punches
    shifted.close()
    assert records[-1].timestamp == NOW
    assert moved[-1].timestamp == NOW - timedelta(days=1)


def test_listening_reports_new_punches_and_leaves_them_to_the_pull(one_clock):
    sim, host = one_clock
    clock = open_clock(sim.path)
    first = clock.fetch(None)  # its 60 records stay flagged new until the next pull
    before = sim.requests
    with Listener(clock) as listener:
        # the baseline: a record count and 3 batches of the 60 records waiting
        assert sim.wait_for(lambda: sim.requests >= before + 4)
        sim.punch(501)
        sim.punch(502)
        assert [listener.get().user_id, listener.get().user_id] == ["501", "502"]
        sim.punch(503)
        assert listener.get().user_id == "503"
        assert listener.stop() == []
    assert sum(r.new for r in sim.clocks[1].records) == 63  # listening cleared nothing
    pulled = clock.fetch(first.cursor)
    clock.close()
    assert [p.user_id for p in pulled.punches] == ["501", "502", "503"]


@pytest.mark.parametrize(
    "faults",
    # 120 records are a record-count request and 5 batches: frame 6 is the last batch
    [Faults(corrupt_every=6), Faults(truncate_every=6), Faults(garbage_every=2)],
    ids=["corrupt CRC", "truncated frame", "garbage between frames"],
)
def test_a_download_survives_bad_frames(faults):
    with AnvizSimulator(device_ids=(1,), records=120, seed=9, faults=faults, now=ManualClock(NOW)) as sim:
        clock = open_clock(sim.path)
        try:
            punches = clock.fetch(None).punches
        finally:
            clock.close()
    assert len(punches) == 120
    assert len({p.raw for p in punches}) == 120


def test_a_line_too_noisy_for_a_whole_transfer_fails_cleanly():
    # every 3rd frame spoiled: no 5-batch transfer can finish, and "next" cannot be asked twice
    with AnvizSimulator(device_ids=(1,), records=120, seed=9, faults=Faults(corrupt_every=3), now=ManualClock(NOW)) as sim:
        clock = open_clock(sim.path)
        try:
            with pytest.raises(FrameError, match="garbled replies from clock 1") as caught:
                clock.fetch(None)
        finally:
            clock.close()
    assert "wiring" in caught.value.hint
    assert all(r.new for r in sim.clocks[1].records)


def test_a_wrong_device_id_times_out_with_a_hint(one_clock):
    sim, host = one_clock
    with pytest.raises(DeviceTimeout, match="clock 9 does not answer") as caught:
        open_clock(sim.path, device_id=9, timeout=0.2)
    assert "device_id" in caught.value.hint
    assert anviz_bus.bus_key(sim.path) not in anviz_bus._buses  # the failed open released the port


def test_probe(one_clock):
    sim, host = one_clock
    found = AnvizClock.probe(sim.path, timeout=0.5)
    assert found is not None and found.extra == {"device_id": 1, "clock": "2026-11-26 08:00:00"}
    with PseudoTerminal() as silent:
        assert AnvizClock.probe(silent.path, timeout=0.1) is None


def test_bad_options():
    with pytest.raises(DriverError, match="epoch = 'yesterday'"):
        AnvizClock(settings("anviz", "loop://", epoch="yesterday"))
    with pytest.raises(DriverError, match="without a UTC offset"):
        AnvizClock(settings("anviz", "loop://", epoch="2000-01-02T00:00:00+07:00"))


# --- three clocks on one RS485 line ---------------------------------------------------------------


@pytest.fixture
def bus_of_three(tmp_path):
    # behind a stable link, like /dev/serial/by-id/..., so a replugged adapter is found again
    with AnvizSimulator(device_ids=(1, 2, 3), records=30, seed=12, now=ManualClock(NOW), link=tmp_path / "rs485") as sim:
        clocks = [open_clock(sim.path, device_id) for device_id in (1, 2, 3)]
        yield sim, clocks
        for clock in clocks:
            clock.close()


def test_three_clocks_share_one_port(bus_of_three):
    sim, clocks = bus_of_three
    assert clocks[0]._bus is clocks[1]._bus is clocks[2]._bus
    assert anviz_bus._buses[anviz_bus.bus_key(sim.path)].users == 3
    pulled = {clock.device_id: clock.fetch(None).punches for clock in clocks}
    for device_id, punches in pulled.items():
        assert [p.raw for p in punches] == [r.raw for r in sim.clocks[device_id].records]
    assert pulled[1] != pulled[2] != pulled[3]


def test_three_clocks_listened_to_at_once_get_their_own_punches(bus_of_three):
    sim, clocks = bus_of_three
    before = sim.requests
    listeners = [Listener(clock).__enter__() for clock in clocks]
    try:
        # each listener's baseline: a record count and 2 batches of its 30 waiting records
        assert sim.wait_for(lambda: sim.requests >= before + 3 * 3)
        for round_ in range(3):
            for device_id in (1, 2, 3):
                sim.punch(device_id * 100 + round_, device_id)
        got = {clock.device_id: sorted(listener.get().user_id for _ in range(3)) for clock, listener in zip(clocks, listeners)}
    finally:
        for listener in listeners:
            listener.stop()
    assert got == {1: ["100", "101", "102"], 2: ["200", "201", "202"], 3: ["300", "301", "302"]}


def test_the_last_clock_to_close_releases_the_port(bus_of_three):
    sim, clocks = bus_of_three
    key = anviz_bus.bus_key(sim.path)
    bus = clocks[0]._bus
    clocks[0].close()
    clocks[1].close()
    assert anviz_bus._buses[key] is bus and bus.link.port.is_open
    clocks[2].close()
    assert key not in anviz_bus._buses and not bus.link.port.is_open


def test_unplugging_the_bus_fails_every_clock_and_a_new_open_gets_a_fresh_port(bus_of_three):
    sim, clocks = bus_of_three
    sim.unplug()
    for clock in clocks:
        with pytest.raises(DriverError):
            clock.read_clock()
    sim.replug()
    for clock in clocks:
        clock.open()
    assert clocks[0]._bus is clocks[2]._bus and not clocks[0]._bus.broken
    assert [clock.read_clock() for clock in clocks] == [NOW, NOW, NOW]


def test_broadcast_probe_on_a_bus_names_a_clock(bus_of_three):
    sim, clocks = bus_of_three
    for clock in clocks:
        clock.close()
    found = AnvizClock.probe(sim.path, timeout=0.5)
    assert found is not None and found.extra["device_id"] in (1, 2, 3)


def test_simulator_commands(bus_of_three):
    sim, clocks = bus_of_three
    assert sim.execute("punch 77 2") == "user 77 punched on clock 2 at 2026-11-26 08:00:00"
    assert sim.execute("punch 77 9").startswith("error: no clock 9")
    assert "clock 2: 31 records (31 new)" in sim.execute("clocks")
