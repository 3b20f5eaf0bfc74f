"""Framings: whole payloads out of any byte stream, FrameError for everything else,
and resynchronisation on the next valid frame."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.base import FrameError
from drivers.zkteco.framing import DatagramFraming, GapFraming, TcpFraming
from drivers.zkteco.protocol import Packet, checksum_ok

packets = st.builds(
    Packet,
    command=st.integers(0, 0xFFFF),
    session=st.integers(0, 0xFFFF),
    reply=st.integers(0, 0xFFFF),
    data=st.binary(max_size=200),
)


def drain(framing: TcpFraming, stream: bytes, cuts: list[int]) -> tuple[list[bytes], int]:
    """Feed ``stream`` in pieces cut at ``cuts``; collect payloads and count FrameErrors.
    Any other exception fails the test."""
    payloads, errors, start = [], 0, 0
    for end in sorted({c % (len(stream) + 1) for c in cuts} | {len(stream)}):
        framing.feed(stream[start:end])
        start = end
        while True:
            try:
                payload = framing.next_payload()
            except FrameError:
                errors += 1
                continue
            if payload is None:
                break
            payloads.append(payload)
    return payloads, errors


@settings(max_examples=300, deadline=None)
@given(noise=st.binary(max_size=300), packet=packets, cuts=st.lists(st.integers(0, 600), max_size=8))
def test_noise_raises_only_frame_errors_and_the_next_valid_frame_comes_through(noise, packet, cuts) -> None:
    framing = TcpFraming()
    wanted = packet.encode()
    payloads, _errors = drain(framing, noise + framing.encode(wanted), cuts)
    assert payloads and payloads[-1] == wanted
    assert all(checksum_ok(p) for p in payloads)


@settings(max_examples=100, deadline=None)
@given(noise=st.binary(min_size=1, max_size=100), before=packets, after=packets)
def test_noise_between_frames_costs_no_valid_frame(noise, before, after) -> None:
    framing = TcpFraming()
    first, second = before.encode(), after.encode()
    payloads, _errors = drain(framing, framing.encode(first) + noise + framing.encode(second), [])
    assert payloads[0] == first
    assert payloads[-1] == second


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64))
def test_packet_decode_raises_only_frame_error(data) -> None:
    try:
        Packet.decode(data)
    except FrameError:
        pass


def test_false_start_with_a_huge_length_does_not_swallow_the_next_frame() -> None:
    framing = TcpFraming()
    real = Packet(2000, 1, 2).encode()
    noise = TcpFraming.MAGIC + (5_000_000).to_bytes(4, "little") + b"\x01\x02"
    payloads, errors = drain(framing, noise + framing.encode(real), [])
    assert payloads == [real]
    assert errors == 1


def test_a_frame_with_a_bad_checksum_is_dropped_whole() -> None:
    framing = TcpFraming()
    good = Packet(1501, 1, 9, bytes(range(100))).encode()
    bad = bytearray(framing.encode(good))
    bad[-1] ^= 0xFF
    framing.feed(bytes(bad) + framing.encode(good))
    with pytest.raises(FrameError, match="bad checksum"):
        framing.next_payload()
    assert framing.next_payload() == good  # one error for the damaged frame, not one per byte


def test_impossible_length_is_a_frame_error() -> None:
    framing = TcpFraming()
    framing.feed(TcpFraming.MAGIC + (3).to_bytes(4, "little"))
    with pytest.raises(FrameError, match="impossible length 3"):
        framing.next_payload()


def test_a_magic_split_across_reads_is_kept() -> None:
    framing = TcpFraming()
    wire = framing.encode(Packet(2000).encode())
    framing.feed(b"\x00\x00" + wire[:3])
    with pytest.raises(FrameError, match="dropped 2 byte"):
        framing.next_payload()
    assert framing.next_payload() is None
    framing.feed(wire[3:])
    assert framing.next_payload() == Packet(2000).encode()


def test_gap_framing_ends_a_packet_on_silence() -> None:
    framing = GapFraming()
    payload = Packet(2000, 5, 6, b"abc").encode()
    framing.feed(payload[:5])
    assert framing.next_payload() is None
    framing.feed(payload[5:])
    framing.line_idle()
    assert framing.next_payload() == payload
    framing.feed(b"\x01\x02\x03")
    framing.line_idle()
    with pytest.raises(FrameError, match="3-byte burst"):
        framing.next_payload()


def test_datagram_framing() -> None:
    framing = DatagramFraming()
    payload = Packet(1000).encode()
    assert framing.decode(framing.encode(payload)) == payload
    with pytest.raises(FrameError):
        framing.decode(payload[:-1] + b"\x01")
