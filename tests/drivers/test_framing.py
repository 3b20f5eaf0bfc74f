"""The shared framer rules and checksums, and one Hypothesis property pair per framer:
arbitrary bytes raise only FrameError, and a valid frame after garbage is decoded."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.anviz.frames import AnvizFrame, AnvizFramer
from drivers.base import FrameError
from drivers.cards import format_card
from drivers.fingerprint.packets import ACK, COMMAND, DATA, END_DATA, Packet, PacketFramer, ack, command
from drivers.framing import crc16_mcrf4xx, sum16, xor8
from drivers.lines import LineFormat, LineFramer
from drivers.rfid import CardFrame, CardFramer, ascii_frame, binary_frame
from tests.drivers.serial_helpers import drain

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- checksums ------------------------------------------------------------------------


def test_crc16_mcrf4xx_check_value():
    assert crc16_mcrf4xx(b"123456789") == 0x6F91


def test_crc16_mcrf4xx_of_nothing_is_its_initial_value():
    assert crc16_mcrf4xx(b"") == 0xFFFF


@pytest.mark.parametrize(
    "data, expected",
    [(bytes.fromhex("01 00 03 01"), 0x0005), (bytes.fromhex("07 00 07 00 00 05 00 64"), 0x0077), (b"\xff" * 300, (300 * 255) & 0xFFFF)],
    ids=["GenImg", "found", "wraps"],
)
def test_sum16(data, expected):
    assert sum16(data) == expected


def test_xor8_of_the_rdm6300_fixture():
    assert xor8(bytes.fromhex("67003B51C6")) == 0xCB


# --- the shared resynchronisation rules --------------------------------------------


FOUND = bytes.fromhex("EF 01 FF FF FF FF 07 00 07 00 00 05 00 64 00 77")


def test_noise_before_a_frame_is_skipped_and_counted():
    framer = PacketFramer()
    framer.feed(b"\x00\x13\x37" + FOUND)
    assert framer.next_frame() == ack(0, bytes.fromhex("0005 0064"))
    assert framer.skipped == 3


def test_a_frame_split_across_reads_is_joined():
    framer = PacketFramer()
    for byte in FOUND[:-1]:
        framer.feed(bytes([byte]))
        assert framer.next_frame() is None
    framer.feed(FOUND[-1:])
    assert framer.next_frame().params == bytes.fromhex("0005 0064")


def test_a_marker_split_across_reads_is_kept():
    framer = PacketFramer()
    framer.feed(b"\x55\x55\xef")
    assert framer.next_frame() is None
    framer.feed(FOUND[1:])
    assert framer.next_frame() is not None


def test_a_truncated_frame_followed_by_a_whole_one():
    framer = PacketFramer()
    framer.feed(FOUND[:10] + FOUND)
    frames, errors = drain(framer)
    assert [f.encode() for f in frames] == [FOUND]
    assert errors == 1


def test_a_partial_frame_is_given_up_when_the_line_goes_quiet():
    framer = PacketFramer()
    framer.feed(FOUND[:12])
    assert framer.next_frame() is None
    with pytest.raises(FrameError, match="went quiet"):
        framer.expire()
    assert drain(framer) == ([], 0)
    assert framer.pending == 0


def test_many_frames_in_one_read():
    framer = CardFramer()
    frame = ascii_frame(bytes.fromhex("67003B51C6"))
    framer.feed(frame * 200)
    frames = framer.frames()
    assert len(frames) == 200 and framer.pending == 0


# --- Hypothesis: one pair of properties per framer ------------------------------------


def _feed_in_chunks(framer, data: bytes, cuts: list[int]) -> None:
    """Feed ``data`` split at ``cuts``, decoding after every read as a reader does;
    anything but FrameError fails the test."""
    position = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        framer.feed(data[position:cut])
        position = max(position, cut)
        while True:
            try:
                if framer.next_frame() is None:
                    break
            except FrameError:
                continue
    drain(framer)


fingerprint_packets = st.builds(
    Packet,
    kind=st.sampled_from([COMMAND, DATA, ACK, END_DATA]),
    content=st.binary(min_size=1, max_size=256),
    address=st.integers(0, 0xFFFFFFFF),
)
card_frames = st.tuples(st.sampled_from(["ascii", "binary"]), st.integers(0, 255), st.integers(0, 0xFFFFFFFF))
anviz_frames = st.builds(
    AnvizFrame,
    device_id=st.integers(0, 0xFFFFFFFF),
    command=st.integers(0, 0x7F),
    data=st.binary(max_size=400),
    ret=st.none(),
) | st.builds(
    lambda device_id, command, data, ret: AnvizFrame(device_id, command | 0x80, data, ret),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0x7F),
    st.binary(max_size=400),
    st.integers(0, 255),
)


def _card_bytes(variant: str, prefix: int, card_id: int) -> bytes:
    data = bytes([prefix]) + card_id.to_bytes(4, "big")
    return ascii_frame(data) if variant == "ascii" else binary_frame(data)


FRAMERS = {
    "fingerprint": PacketFramer,
    "card": CardFramer,
    "wiegand-hex": lambda: LineFramer(LineFormat("wiegand-hex")),
    "decimal": lambda: LineFramer(LineFormat("decimal")),
    "pattern": lambda: LineFramer(LineFormat("pattern", pattern=r"(?P<badge>\d+),(?P<time>[\d:-]+ [\d:]+)"), terminator="\r\n"),
    "anviz": AnvizFramer,
}


@pytest.mark.parametrize("name", FRAMERS)
@PROPERTY
@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(0, 600), max_size=8))
def test_arbitrary_bytes_raise_only_frame_error(name, data, cuts):
    _feed_in_chunks(FRAMERS[name](), data, cuts)


@PROPERTY
@given(garbage=st.binary(max_size=80), packet=fingerprint_packets)
def test_fingerprint_frame_after_garbage_is_decoded(garbage, packet):
    framer = PacketFramer()
    framer.feed(garbage + packet.encode())
    frames, _ = drain(framer)
    assert frames and frames[-1] == packet


@PROPERTY
@given(garbage=st.binary(max_size=80), card=card_frames)
def test_card_frame_after_garbage_is_decoded(garbage, card):
    variant, prefix, card_id = card
    framer = CardFramer()
    framer.feed(garbage + _card_bytes(variant, prefix, card_id))
    frames, _ = drain(framer)
    assert frames and isinstance(frames[-1], CardFrame)
    assert (frames[-1].variant, frames[-1].prefix, frames[-1].card_id) == card


@PROPERTY
@given(garbage=st.binary(max_size=80), value=st.integers(0, 0xFFFFFF))
def test_wiegand_line_after_garbage_is_decoded(garbage, value):
    framer = LineFramer(LineFormat("wiegand-hex"))
    framer.feed(garbage + f"{value:06X}\r".encode())
    frames, _ = drain(framer)
    assert frames and frames[-1].badge == format_card(value, "decimal")


@PROPERTY
@given(garbage=st.binary(max_size=80), value=st.integers(0, 0xFFFFFFFF))
def test_decimal_line_after_garbage_is_decoded(garbage, value):
    framer = LineFramer(LineFormat("decimal"))
    framer.feed(garbage + f"{value:010d}\r\n".encode())
    frames, _ = drain(framer)
    assert frames and frames[-1].badge == f"{value:010d}"


@PROPERTY
@given(garbage=st.binary(max_size=80), frame=anviz_frames)
def test_anviz_frame_after_garbage_is_decoded(garbage, frame):
    framer = AnvizFramer()
    framer.feed(garbage + frame.encode())
    frames, _ = drain(framer)
    assert frames and frames[-1] == frame


@PROPERTY
@given(garbage=st.binary(max_size=80), packet=fingerprint_packets)
def test_a_frame_after_the_line_went_quiet_is_decoded(garbage, packet):
    # noise, silence, then the frame in its own read: nothing of the noise survives
    framer = PacketFramer()
    framer.feed(garbage)
    drain(framer)
    framer.feed(packet.encode())
    assert framer.next_frame() == packet


def test_command_and_ack_helpers_build_their_kinds():
    assert command(0x01).kind == COMMAND and ack(0).kind == ACK
