"""Fingerprint modules: the worked vectors of protocols.md §3, and the driver against the
simulated module over a real pseudo-terminal through pyserial."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest

from drivers.base import DeviceRefused, DeviceTimeout, Disconnected, DriverError, FrameError
from drivers.fingerprint import FingerprintModule
from drivers.fingerprint.packets import (
    DELETE_CHAR,
    GEN_IMG,
    IMG2TZ,
    READ_SYS_PARA,
    SEARCH,
    VFY_PWD,
    Packet,
    PacketFramer,
    ack,
    command,
)
from drivers.simulators.fingerprint import FingerprintSimulator
from drivers.simulators.pty import PseudoTerminal
from drivers.simulators.rfid import CardReaderSimulator
from drivers.simulators.serial_sim import Faults
from tests.drivers.serial_helpers import Listener, ManualClock, settings

# --- worked vectors (protocols.md §3) -------------------------------------------------

VECTORS = [
    ("GenImg", command(GEN_IMG), "EF 01 FF FF FF FF 01 00 03 01 00 05"),
    ("ack OK", ack(0x00), "EF 01 FF FF FF FF 07 00 03 00 00 0A"),
    ("no finger", ack(0x02), "EF 01 FF FF FF FF 07 00 03 02 00 0C"),
    ("Img2Tz 1", command(IMG2TZ, b"\x01"), "EF 01 FF FF FF FF 01 00 04 02 01 00 08"),
    ("Search", command(SEARCH, struct.pack(">BHH", 1, 0, 0xA3)), "EF 01 FF FF FF FF 01 00 08 04 01 00 00 00 A3 00 B1"),
    ("found", ack(0x00, struct.pack(">HH", 5, 100)), "EF 01 FF FF FF FF 07 00 07 00 00 05 00 64 00 77"),
    ("not found", ack(0x09, bytes(4)), "EF 01 FF FF FF FF 07 00 07 09 00 00 00 00 00 17"),
    ("VfyPwd 0", command(VFY_PWD, bytes(4)), "EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B"),
    ("DeletChar 4", command(DELETE_CHAR, struct.pack(">HH", 4, 1)), "EF 01 FF FF FF FF 01 00 07 0C 00 04 00 01 00 19"),
    ("ReadSysPara", command(READ_SYS_PARA), "EF 01 FF FF FF FF 01 00 03 0F 00 13"),
    (
        "ReadSysPara reply",
        ack(0x00, bytes.fromhex("0000 0000 00C8 0003 FFFFFFFF 0002 0006")),
        "EF 01 FF FF FF FF 07 00 13 00 00 00 00 00 00 C8 00 03 FF FF FF FF 00 02 00 06 04 E9",
    ),
]


@pytest.mark.parametrize("packet, wire", [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_vectors_encode(packet: Packet, wire: str):
    assert packet.encode() == bytes.fromhex(wire)


@pytest.mark.parametrize("packet, wire", [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_vectors_decode(packet: Packet, wire: str):
    framer = PacketFramer()
    framer.feed(bytes.fromhex(wire))
    assert framer.next_frame() == packet


@pytest.mark.parametrize(
    "wire, problem",
    [
        ("EF 01 FF FF FF FF 07 00 07 00 00 05 00 64 00 78", "checksum"),
        ("EF 01 FF FF FF FF 05 00 03 00 00 08", "packet id"),
        ("EF 01 FF FF FF FF 07 00 01 00 00 08", "length"),
        ("EF 01 FF FF FF FF 07 04 00 00 00 08", "length"),
    ],
    ids=["bad checksum", "unknown packet id", "length too short", "length too long"],
)
def test_bad_packets_raise_frame_error(wire: str, problem: str):
    framer = PacketFramer()
    framer.feed(bytes.fromhex(wire))
    with pytest.raises(FrameError, match=problem):
        framer.next_frame()


# --- the driver against the simulator ---------------------------------------------------


@pytest.fixture
def module_sim():
    with FingerprintSimulator(enrolled=5, seed=7) as sim:
        yield sim


def open_module(sim: FingerprintSimulator, now=None, **options) -> FingerprintModule:
    options.setdefault("poll_interval", 0.005)
    module = FingerprintModule(settings("fingerprint", sim.path, **options), now=now or ManualClock())
    module.open()
    return module


def test_info_reads_system_parameters_and_template_count(module_sim):
    module = open_module(module_sim)
    try:
        info = module.info()
    finally:
        module.close()
    assert info.protocol == "fingerprint"
    assert info.user_count == 5
    assert info.extra["library_size"] == 200
    assert info.extra["security_level"] == 3
    assert info.extra["module_baudrate"] == 57600
    assert info.extra["address"] == "FFFFFFFF"


def test_wrong_password_is_refused_with_a_hint():
    with FingerprintSimulator(password=1234) as sim:
        with pytest.raises(DeviceRefused, match="refused the password") as caught:
            open_module(sim, password=99)
        assert "password" in caught.value.hint
        module = open_module(sim, password=1234)
        assert module.template_count() == 0
        module.close()


def test_identify_outcomes(module_sim):
    module = open_module(module_sim)
    try:
        assert module.identify().outcome == "no finger"
        module_sim.press("3")
        found = module.identify()
        assert (found.outcome, found.page) == ("found", 3)
        assert found.raw[:12] == bytes.fromhex("EF 01 FF FF FF FF 07 00 07 00 00 03")
        module_sim.press("unknown")
        assert module.identify().outcome == "unknown"
    finally:
        module.close()


def lift(sim: FingerprintSimulator) -> None:
    """Take the finger off and wait until the module has seen the empty sensor."""
    polls = sim.empty_polls
    sim.release()
    assert sim.wait_for(lambda: sim.empty_polls > polls)


def test_a_held_finger_is_one_punch_and_repeats_are_debounced(module_sim):
    clock = ManualClock()
    start = clock.now
    module = open_module(module_sim, now=clock)
    with Listener(module) as listener:
        module_sim.press("3")
        first = listener.get()
        # left on the sensor for several more captures: still one punch
        held = module_sim.captures
        assert module_sim.wait_for(lambda: module_sim.captures >= held + 5)
        lift(module_sim)

        # put back 10 s later: the same presentation
        clock.advance(10)
        seen = module_sim.captures
        module_sim.press("3")
        assert module_sim.wait_for(lambda: module_sim.captures >= seen + 2)  # searched, then polled for the lift
        lift(module_sim)

        # an unknown finger is counted, not punched
        seen = module_sim.captures
        module_sim.press("unknown")
        assert module_sim.wait_for(lambda: module_sim.captures >= seen + 2)
        lift(module_sim)

        # 31 s after it was last seen: a new punch; another finger at once: its own punch
        clock.advance(31)
        module_sim.press("3")
        second = listener.get()
        lift(module_sim)
        module_sim.press("4")
        third = listener.get()
        left = listener.stop()
    module.close()
    assert [(p.user_id, p.verify_mode) for p in (first, second, third)] == [("3", 1), ("3", 1), ("4", 1)]
    assert first.timestamp == start
    assert second.timestamp == third.timestamp == start + timedelta(seconds=41)
    assert left == []
    assert module.unrecognised == 1


def test_enroll_stores_two_matching_scans_in_the_first_free_page(module_sim):
    module = open_module(module_sim)
    prompts: list[str] = []
    try:
        module_sim.tap("lan")
        module_sim.tap("lan")
        page = module.enroll(prompts.append, timeout=5)
        assert page == 5
        assert module_sim.templates[5] == "lan"
        assert prompts == ["Place the finger on the sensor.", "Lift the finger.", "Place the same finger again."]
        module_sim.press("lan")
        assert module.identify().page == 5
        module_sim.release()
        assert [u.user_id for u in module.users()] == ["0", "1", "2", "3", "4", "5"]
        module.delete(5)
        assert 5 not in module_sim.templates
        assert module.template_count() == 5
    finally:
        module.close()


@pytest.mark.parametrize(
    "taps, page, message",
    [
        (["lan", "minh"], None, "two scans do not match"),
        (["2"], None, "already enrolled at page 2"),
        ([], 3, "page 3 already holds a template"),
        ([], 250, "outside the library"),
    ],
    ids=["different fingers", "finger already enrolled", "page taken", "page outside"],
)
def test_enroll_refusals(module_sim, taps, page, message):
    module = open_module(module_sim)
    try:
        for finger in taps:
            module_sim.tap(finger)
        with pytest.raises(DeviceRefused, match=message):
            module.enroll(page=page, timeout=5)
    finally:
        module.close()


def test_enroll_times_out_without_a_finger(module_sim):
    module = open_module(module_sim)
    try:
        with pytest.raises(DeviceTimeout, match="no usable finger image"):
            module.enroll(timeout=0.2)
    finally:
        module.close()


def test_full_library_is_refused():
    with FingerprintSimulator(enrolled=3, library=3) as sim:
        module = open_module(sim)
        try:
            with pytest.raises(DeviceRefused, match="library is full"):
                module.enroll(timeout=1)
        finally:
            module.close()


@pytest.mark.parametrize(
    "faults",
    [Faults(corrupt_every=2), Faults(truncate_every=3), Faults(garbage_every=2)],
    ids=["corrupt checksum", "truncated frame", "garbage between frames"],
)
def test_the_driver_asks_again_after_bad_replies(faults):
    with FingerprintSimulator(enrolled=5, seed=3, faults=faults) as sim:
        module = open_module(sim)
        try:
            assert module.info().user_count == 5
            sim.press("4")
            assert [module.identify().page for _ in range(4)] == [4, 4, 4, 4]
        finally:
            module.close()


def test_a_module_that_never_answers_times_out_with_a_hint():
    with PseudoTerminal() as silent:
        module = FingerprintModule(settings("fingerprint", silent.path, timeout=0.2))
        with pytest.raises(DeviceTimeout, match="no answer") as caught:
            module.open()
        assert "57600" in caught.value.hint


def test_unplugging_ends_listening_with_disconnected(module_sim):
    module = open_module(module_sim)
    with Listener(module) as listener:
        polls = module_sim.empty_polls
        assert module_sim.wait_for(lambda: module_sim.empty_polls > polls)
        module_sim.unplug()
        assert listener.done.wait(5)
        listener.stop(raise_error=False)
    module.close()
    assert isinstance(listener.error, Disconnected)
    assert "cable" in listener.error.hint


def test_probe_finds_a_module_and_ignores_other_ports(module_sim):
    found = FingerprintModule.probe(module_sim.path, timeout=0.5)
    assert found is not None and found.protocol == "fingerprint" and found.extra["echo"] is True
    with PseudoTerminal() as silent:
        assert FingerprintModule.probe(silent.path, timeout=0.1) is None
    with CardReaderSimulator() as reader:
        assert FingerprintModule.probe(reader.path, timeout=0.1) is None
    assert FingerprintModule.probe("/nonexistent/ttyUSB9", timeout=0.1) is None


def test_options_are_checked():
    with pytest.raises(DriverError, match="password must be"):
        FingerprintModule(settings("fingerprint", "loop://", password=-1))
    with pytest.raises(DriverError, match="unknown option"):
        FingerprintModule(settings("fingerprint", "loop://", pasword=1))

