"""The ZK payload, framing, time encoding and record layouts against the worked
vectors of protocols.md §1 (captures, published examples and frames built by hand)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zk.base import make_commkey

from drivers.base import FrameError
from drivers.zkteco import protocol as zk
from drivers.zkteco.framing import TcpFraming
from drivers.zkteco.protocol import (
    Packet,
    checksum_ok,
    comm_key_hash,
    decode_time,
    decode_time6,
    encode_time,
    encode_time6,
    payload_checksum,
)
from drivers.zkteco.records import Sizes, decode_attendance, decode_event
from drivers.zkteco.session import PREPARE_BUFFER

h = bytes.fromhex


def frames(stream: bytes) -> list[bytes]:
    framing = TcpFraming()
    framing.feed(stream)
    found = []
    while (payload := framing.next_payload()) is not None:
        found.append(payload)
    return found


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param("e803 0000 0000 0000", 0xFC17, id="CONNECT s=0 r=0"),
        pytest.param("0b00 0000 f38d 0c00 7e506c6174666f726d00", 0xE6B9, id="~Platform (carry folded)"),
        pytest.param("0b00 5a17 f38d 0300 5a4b4661636556657273696f6e00", 0x175A, id="ZKFaceVersion"),
        pytest.param("d007 296a f38d 0a00 09", 0x6A29, id="odd length"),
    ],
)
def test_checksum_vectors(payload: str, expected: int) -> None:
    assert payload_checksum(h(payload.replace(" ", ""))) == expected


@pytest.mark.parametrize(
    ("packet", "wire"),
    [
        pytest.param(Packet(zk.CMD_CONNECT), "5050827d08000000 e803 17fc 0000 0000", id="CONNECT"),
        pytest.param(
            Packet(zk.CMD_OPTIONS_RRQ, 0x8DF3, 12, b"~Platform\x00"),
            "5050827d12000000 0b00 b9e6 f38d 0c00 7e506c6174666f726d00",
            id="~Platform [doc]",
        ),
        pytest.param(
            Packet(zk.CMD_SET_TIME, 0x6BA0, 5, h("88f95e2e")),
            "5050827d0c000000 ca00 a96b a06b 0500 88f95e2e",
            id="SET_TIME 2024-03-15 08:30",
        ),
        pytest.param(
            Packet(zk.CMD_PREPARE_BUFFER, 0x6BA0, 6, PREPARE_BUFFER.pack(1, zk.CMD_ATTLOG_RRQ, 0, 0)),
            "5050827d13000000 df05 7981 a06b 0600 010d0000000000000000 00",
            id="1503 attendance",
        ),
    ],
)
def test_frames_are_built_and_read_byte_for_byte(packet: Packet, wire: str) -> None:
    stream = h(wire.replace(" ", ""))
    assert TcpFraming().encode(packet.encode()) == stream
    assert [Packet.decode(p) for p in frames(stream)] == [packet]


def test_captured_k40_session_verifies_and_parses() -> None:
    """bulentv/js_zklib issue #53: a real K40's CONNECT .. EXIT exchange."""
    capture = [
        "5050827d08000000e80316fc00000100",
        "5050827d08000000d0078e8ca06b0100",
        "5050827d080000000d005094a06b0200",
        "5050827d10000000dc05158aa06b02007c000000f0030000",
        "5050827d08000000e9037390a06b0300",
    ]
    packets = [Packet.decode(p) for p in frames(h("".join(capture)))]
    assert [(p.command, p.session, p.reply) for p in packets] == [
        (zk.CMD_CONNECT, 0, 1),
        (zk.ACK_OK, 0x6BA0, 1),
        (zk.CMD_ATTLOG_RRQ, 0x6BA0, 2),
        (zk.CMD_PREPARE_DATA, 0x6BA0, 2),
        (zk.CMD_EXIT, 0x6BA0, 3),
    ]
    assert packets[3].data[:4] == (124).to_bytes(4, "little")


def test_a_damaged_byte_fails_the_checksum() -> None:
    payload = bytearray(Packet(zk.CMD_GET_TIME, 0x6BA0, 7).encode())
    payload[4] ^= 0x01
    with pytest.raises(FrameError, match="checksum"):
        Packet.decode(bytes(payload))
    with pytest.raises(FrameError, match="too short"):
        Packet.decode(b"\xe8\x03\x17")


def test_time_encoding_vectors() -> None:
    assert encode_time(datetime(2024, 3, 15, 8, 30)) == 777_976_200 == 0x2E5EF988
    assert encode_time(datetime(2024, 3, 15, 8, 30)).to_bytes(4, "little") == h("88f95e2e")
    assert decode_time(0x2368B36B) == datetime(2018, 6, 25, 17, 50, 35)
    with pytest.raises(FrameError, match="no real date"):
        decode_time(((24 * 12 + 1) * 31 + 30) * 86400)  # 2024, month index 1, day index 30: 31 February


def test_comm_key_hash_worked_example() -> None:
    # key 123456 = 0x0001E240, mirrored 0x02478000, + session 0x6BA0 = 0x0247EBA0;
    # LE A0 EB 47 02 ^ "ZKSO" = FA A0 14 4D; halves swapped 14 4D FA A0; ^ 0x32 with
    # the third byte replaced by 0x32 itself: 26 7F 32 92
    assert comm_key_hash(123456, 0x6BA0) == h("267f3292")
    assert comm_key_hash(0, 0) == h("617d3279")


@pytest.mark.parametrize("key", [0, 1, 42, 123456, 999999])  # clocks take up to six digits
@pytest.mark.parametrize("session", [0, 1, 0x6BA0, 0xFFFF])
def test_comm_key_hash_agrees_with_pyzk(key: int, session: int) -> None:
    assert comm_key_hash(key, session) == make_commkey(key, session)


def test_eight_byte_record() -> None:
    record = h("030001 88f95e2e 00".replace(" ", ""))
    (punch,) = decode_attendance(record, 8, {3: "1003"})
    assert (punch.user_id, punch.verify_mode, punch.timestamp, punch.state) == ("1003", 1, datetime(2024, 3, 15, 8, 30), 0)
    assert punch.raw == record
    assert decode_attendance(record, 8)[0].user_id == "3"  # no user list: the slot number


def test_sixteen_byte_record_in_pyzk_byte_order() -> None:
    (punch,) = decode_attendance(h("d2040000 88f95e2e 01 00 0000 00000000".replace(" ", "")), 16)
    assert (punch.user_id, punch.timestamp, punch.verify_mode, punch.state, punch.work_code) == (
        "1234", datetime(2024, 3, 15, 8, 30), 1, 0, 0)


def test_forty_byte_record_from_zk_protocol() -> None:
    record = h("0d00" + "393939313131333333" + "00" * 15 + "01" + "6bb36823" + "00" + "00000000ff000000")
    (punch,) = decode_attendance(record, 40)
    assert (punch.user_id, punch.verify_mode, punch.timestamp, punch.state) == (
        "999111333", 1, datetime(2018, 6, 25, 17, 50, 35), 0)


def test_realtime_attendance_event_from_zk_protocol() -> None:
    wire = h("5050827d28000000 f401 ac12 0100 0000".replace(" ", "") + "393939313131333333" + "00" * 15
             + "0100" + "120619112905")
    (payload,) = frames(wire)
    packet = Packet.decode(payload)
    assert (packet.command, packet.session, packet.reply) == (zk.CMD_REG_EVENT, zk.EF_ATTLOG, 0)
    punch = decode_event(packet.data)
    assert (punch.user_id, punch.verify_mode, punch.state, punch.timestamp) == (
        "999111333", 1, 0, datetime(2018, 6, 25, 17, 41, 5))


def test_fingerprint_feature_event_frame() -> None:
    (payload,) = frames(h("5050827d09000000f401a7fc0001000064"))
    assert checksum_ok(payload)
    assert Packet.decode(payload) == Packet(zk.CMD_REG_EVENT, 0x0100, 0, b"\x64")


def test_sizes_fields_where_pyzk_reads_them() -> None:
    data = Sizes(users=20, records=1234, fingers=20, user_capacity=3000, record_capacity=200000).encode()
    fields = [int.from_bytes(data[i : i + 4], "little", signed=True) for i in range(0, 80, 4)]
    assert (fields[4], fields[8], fields[15], fields[16]) == (20, 1234, 3000, 200000)
    assert Sizes.decode(data).records == 1234


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)))
def test_time_encoding_round_trips(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert decode_time(encode_time(moment)) == moment
    assert decode_time6(encode_time6(moment)) == moment
