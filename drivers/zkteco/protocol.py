"""The ZK payload: the 8-byte command header, its checksum, the device's time encoding
and the comm-key hash (protocols.md §1.2-1.6).

Everything here is pure bytes-in, bytes-out; framing (how a payload travels over TCP,
UDP or a serial line) lives in :mod:`drivers.zkteco.framing`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from drivers.base import FrameError

# --- command and reply codes (decimal, as the vendor manual lists them) --------------

CMD_USERTEMP_RRQ = 9
CMD_OPTIONS_RRQ = 11
CMD_OPTIONS_WRQ = 12
CMD_ATTLOG_RRQ = 13
CMD_CLEAR_ATTLOG = 15
CMD_GET_FREE_SIZES = 50
CMD_CANCELCAPTURE = 62
CMD_GET_TIME = 201
CMD_SET_TIME = 202
CMD_REG_EVENT = 500
CMD_CONNECT = 1000
CMD_EXIT = 1001
CMD_ENABLEDEVICE = 1002
CMD_DISABLEDEVICE = 1003
CMD_REFRESHDATA = 1013
CMD_GET_VERSION = 1100
CMD_AUTH = 1102
CMD_PREPARE_DATA = 1500
CMD_DATA = 1501
CMD_FREE_DATA = 1502
CMD_PREPARE_BUFFER = 1503  # "DATA_WRRQ": ask the device to stage a data set
CMD_READ_BUFFER = 1504  # "DATA_RDY": read one chunk of the staged data set

ACK_OK = 2000
ACK_ERROR = 2001
ACK_DATA = 2002
ACK_RETRY = 2003
ACK_REPEAT = 2004
ACK_UNAUTH = 2005
ACK_UNKNOWN = 0xFFFF

FCT_USER = 5  # data-set id of the user table in a buffered read

# REG_EVENT masks; only attendance events are used
EF_ATTLOG = 1

HEADER = struct.Struct("<4H")
HEADER_SIZE = HEADER.size

REPLY_NAMES = {
    ACK_OK: "ACK_OK",
    ACK_ERROR: "ACK_ERROR",
    ACK_DATA: "ACK_DATA",
    ACK_RETRY: "ACK_RETRY",
    ACK_REPEAT: "ACK_REPEAT",
    ACK_UNAUTH: "ACK_UNAUTH",
    ACK_UNKNOWN: "ACK_UNKNOWN",
    CMD_PREPARE_DATA: "PREPARE_DATA",
    CMD_DATA: "DATA",
    CMD_REG_EVENT: "REG_EVENT",
}


# --- checksum -------------------------------------------------------------------------


def _word_sum(data: bytes | bytearray | memoryview) -> int:
    if len(data) % 2:
        data = bytes(data) + b"\x00"  # an odd trailing byte counts as a word padded with zero
    return sum(struct.unpack_from(f"<{len(data) // 2}H", data))


def _complement(total: int) -> int:
    # folding the carries once at the end equals the end-around carry after every addition
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def checksum(payload: bytes | bytearray | memoryview) -> int:
    """One's complement of the one's-complement sum of the u16 LE words of ``payload``
    (given with its checksum field zeroed; or use :func:`payload_checksum`)."""
    return _complement(_word_sum(payload))


def payload_checksum(payload: bytes | bytearray | memoryview) -> int:
    """The checksum a payload should carry: its own checksum field counts as zero."""
    if len(payload) < HEADER_SIZE:
        raise FrameError(f"a ZK packet has at least {HEADER_SIZE} bytes, got {len(payload)}")
    return _complement(_word_sum(payload) - struct.unpack_from("<H", payload, 2)[0])


# --- packets --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Packet:
    """One ZK payload: command (or reply code), session id, reply number and data."""

    command: int
    session: int = 0
    reply: int = 0
    data: bytes = b""

    def encode(self) -> bytes:
        """The payload bytes with a correct checksum."""
        body = HEADER.pack(self.command, 0, self.session, self.reply) + self.data
        return HEADER.pack(self.command, checksum(body), self.session, self.reply) + self.data

    @classmethod
    def decode(cls, payload: bytes | bytearray | memoryview) -> Packet:
        """Parse and verify a payload; :class:`FrameError` when short or corrupt."""
        if len(payload) < HEADER_SIZE:
            raise FrameError(f"ZK packet too short: {len(payload)} bytes, the header alone has {HEADER_SIZE}")
        command, carried, session, reply = HEADER.unpack_from(payload)
        expected = payload_checksum(payload)
        if carried != expected:
            raise FrameError(
                f"bad checksum in a ZK packet (carried {carried:04X}, computed {expected:04X})",
                hint="line noise or a wrong baud rate",
            )
        return cls(command, session, reply, bytes(payload[HEADER_SIZE:]))

    @property
    def name(self) -> str:
        return REPLY_NAMES.get(self.command, str(self.command))


def checksum_ok(payload: bytes | bytearray | memoryview) -> bool:
    """Whether a payload's checksum is right (used by framings to resynchronise)."""
    if len(payload) < HEADER_SIZE:
        return False
    return struct.unpack_from("<H", payload, 2)[0] == payload_checksum(payload)


# --- the device's time encoding ---------------------------------------------------------
# Not Unix time: every month counts 31 days and the year is two digits since 2000.


def encode_time(moment: datetime) -> int:
    """A wall-clock time as the device's u32 time value."""
    days = (moment.year % 100) * 12 * 31 + (moment.month - 1) * 31 + moment.day - 1
    return days * 86400 + (moment.hour * 60 + moment.minute) * 60 + moment.second


def decode_time(value: int) -> datetime:
    """The device's u32 time value as a naive wall-clock time.

    :class:`FrameError` when it names no real date (e.g. 31 February): the bytes are
    not a record of this layout, or the device's memory is damaged.
    """
    rest, second = divmod(value, 60)
    rest, minute = divmod(rest, 60)
    rest, hour = divmod(rest, 24)
    rest, day = divmod(rest, 31)
    year, month = divmod(rest, 12)
    try:
        return datetime(year + 2000, month + 1, day + 1, hour, minute, second)
    except ValueError:
        raise FrameError(f"time value {value:#010x} names no real date") from None


def decode_time6(raw: bytes) -> datetime:
    """The 6-byte Y-2000, M, D, h, m, s form used by real-time events."""
    if len(raw) != 6:
        raise FrameError(f"an event time has 6 bytes, got {len(raw)}")
    year, month, day, hour, minute, second = raw
    try:
        return datetime(year + 2000, month, day, hour, minute, second)
    except ValueError:
        raise FrameError(f"event time {raw.hex(' ')} names no real date") from None


def encode_time6(moment: datetime) -> bytes:
    return bytes((moment.year - 2000, moment.month, moment.day, moment.hour, moment.minute, moment.second))


# --- comm key ---------------------------------------------------------------------------


def comm_key_hash(key: int, session: int, ticks: int = 50) -> bytes:
    """The 4 bytes CMD_AUTH carries for a device comm key (a number set on the device).

    The published behaviour: mirror the key's 32 bits, add the session id, XOR the
    little-endian bytes with ``b"ZKSO"``, swap the two 16-bit halves, then XOR with the
    low byte of ``ticks``, except the third byte, which *is* that byte.
    """
    mirrored = int(f"{key & 0xFFFFFFFF:032b}"[::-1], 2)
    mixed = bytes(a ^ b for a, b in zip(((mirrored + session) & 0xFFFFFFFF).to_bytes(4, "little"), b"ZKSO"))
    swapped = mixed[2:] + mixed[:2]
    tick = ticks & 0xFF
    return bytes((swapped[0] ^ tick, swapped[1] ^ tick, tick, swapped[3] ^ tick))
