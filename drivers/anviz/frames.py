"""Anviz TC_B frames, records and time fields.

Request ``A5 | CH u32 | CMD | LEN u16 | DATA | CRC``, reply
``A5 | CH u32 | CMD+0x80 | RET | LEN u16 | DATA | CRC``: CH is the clock's device id
(0 addresses every clock), multi-byte fields are big-endian, the CRC is
CRC-16/MCRF4XX over everything from ``A5`` to the end of DATA, sent low byte first.
Commands are below 0x80, so bit 7 of the command byte tells a reply from a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from drivers.base import FrameError
from drivers.framing import Framer, crc16_mcrf4xx

STX = 0xA5
MAX_DATA = 512  # our largest reply is 25 records (351 bytes); longer is noise

GET_TIME = 0x38
SET_TIME = 0x39
RECORD_INFO = 0x3C
DOWNLOAD = 0x40
CLEAR_RECORDS = 0x4E
REPLY = 0x80

# 0x40 download modes and 0x4E clear modes
FROM_FIRST_ALL, FROM_FIRST_NEW, NEXT = 1, 2, 0
DELETE_ALL, CLEAR_NEW_AMOUNT = 0, 2
BATCH = 25  # records per download reply, at most

RECORD_SIZE = 14
RETURN_CODES = {
    0x00: "OK",
    0x01: "failed",
    0x04: "user list full",
    0x05: "empty",
    0x06: "no such user",
    0x08: "capture timed out",
    0x0A: "user already exists",
    0x0B: "fingerprint already exists",
}


@dataclass(frozen=True, slots=True)
class AnvizFrame:
    """A request (``ret`` is ``None``) or a reply (``command`` has bit 7 set)."""

    device_id: int
    command: int
    data: bytes
    ret: int | None = None

    def encode(self) -> bytes:
        head = bytes([STX]) + self.device_id.to_bytes(4, "big") + bytes([self.command])
        if self.ret is not None:
            head += bytes([self.ret])
        body = head + len(self.data).to_bytes(2, "big") + self.data
        return body + crc16_mcrf4xx(body).to_bytes(2, "little")


def request(device_id: int, command: int, data: bytes = b"") -> bytes:
    return AnvizFrame(device_id, command, data).encode()


def reply(device_id: int, command: int, data: bytes = b"", ret: int = 0) -> bytes:
    return AnvizFrame(device_id, command | REPLY, data, ret).encode()


class AnvizFramer(Framer[AnvizFrame]):
    START = bytes([STX])
    MAX_FRAME = 11 + MAX_DATA + 2

    def decode(self, buffer: bytearray, start: int) -> tuple[AnvizFrame, int] | None:
        available = len(buffer) - start
        if available < 6:
            return None
        command = buffer[start + 5]
        head = 7 if command & REPLY else 6  # a reply carries RET before LEN
        if available < head + 2:
            return None
        length = int.from_bytes(buffer[start + head : start + head + 2], "big")
        if length > MAX_DATA:
            raise FrameError(f"anviz frame: length {length} out of range")
        size = head + 2 + length + 2
        if available < size:
            return None
        crc = crc16_mcrf4xx(buffer[start : start + size - 2])
        received = int.from_bytes(buffer[start + size - 2 : start + size], "little")
        if crc != received:
            raise FrameError(f"anviz frame: CRC {received:04X} != {crc:04X}")
        device_id = int.from_bytes(buffer[start + 1 : start + 5], "big")
        data = bytes(buffer[start + head + 2 : start + size - 2])
        ret = buffer[start + 6] if command & REPLY else None
        return AnvizFrame(device_id, command, data, ret), size


# --- records and time ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One attendance record of the 0x40 download."""

    user_code: int
    seconds: int  # since the record epoch, in the clock's local time
    backup_code: int  # how the user verified: 0 FP1, 1 FP2, 2 password, 3 card
    record_type: int  # bit 7: door opened; low nibble: attendance state
    work_type: int
    raw: bytes

    @property
    def state(self) -> int:
        return self.record_type & 0x0F

    def timestamp(self, epoch: datetime) -> datetime:
        return epoch + timedelta(seconds=self.seconds)


def encode_record(user_code: int, seconds: int, backup_code: int = 0, record_type: int = 0, work_type: int = 0) -> bytes:
    return (
        user_code.to_bytes(5, "big")
        + seconds.to_bytes(4, "big")
        + bytes([backup_code, record_type])
        + work_type.to_bytes(3, "big")
    )


def decode_records(data: bytes) -> list[Record]:
    """The records of a 0x40 reply: a count byte, then 14 bytes each."""
    if not data:
        raise FrameError("download reply without a record count")
    count = data[0]
    if len(data) < 1 + count * RECORD_SIZE:
        raise FrameError(f"download reply says {count} records but holds {len(data) - 1} bytes")
    records = []
    for index in range(count):
        raw = data[1 + index * RECORD_SIZE : 1 + (index + 1) * RECORD_SIZE]
        records.append(
            Record(
                user_code=int.from_bytes(raw[0:5], "big"),
                seconds=int.from_bytes(raw[5:9], "big"),
                backup_code=raw[9],
                record_type=raw[10],
                work_type=int.from_bytes(raw[11:14], "big"),
                raw=raw,
            )
        )
    return records


def encode_time(when: datetime) -> bytes:
    """Year-2000, month, day, hour, minute, second."""
    if not 2000 <= when.year <= 2255:
        raise ValueError(f"{when:%Y} cannot be set on an Anviz clock (2000-2255)")
    return bytes([when.year - 2000, when.month, when.day, when.hour, when.minute, when.second])


def decode_time(data: bytes) -> datetime:
    if len(data) < 6:
        raise FrameError(f"time reply has {len(data)} bytes, not 6")
    try:
        return datetime(2000 + data[0], data[1], data[2], data[3], data[4], data[5])
    except ValueError as exc:
        raise FrameError(f"time reply {data[:6].hex(' ')} is not a date: {exc}") from None


def decode_counts(data: bytes) -> dict[str, int]:
    """The 0x3C reply: six 3-byte counts."""
    names = ("users", "fingerprints", "passwords", "cards", "records", "new_records")
    if len(data) < 3 * len(names):
        raise FrameError(f"record information reply has {len(data)} bytes, not 18")
    return {name: int.from_bytes(data[3 * i : 3 * i + 3], "big") for i, name in enumerate(names)}


def encode_counts(users: int, fingerprints: int, passwords: int, cards: int, records: int, new_records: int) -> bytes:
    return b"".join(n.to_bytes(3, "big") for n in (users, fingerprints, passwords, cards, records, new_records))
