"""The ``EF 01`` packet of R305/R307/R503/AS608/ZFM-family fingerprint modules.

``EF 01 | address u32 | packet id | length u16 | content | checksum u16``, all
big-endian; ``length`` counts the content and the checksum, the checksum is the sum of
the packet id, the two length bytes and the content, modulo 2**16.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.base import FrameError
from drivers.framing import Framer, sum16

HEADER = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF

# packet ids
COMMAND, DATA, ACK, END_DATA = 0x01, 0x02, 0x07, 0x08
KINDS = frozenset({COMMAND, DATA, ACK, END_DATA})
MAX_CONTENT = 256  # the largest data packet (packet-size code 3)

# instruction codes
GEN_IMG = 0x01
IMG2TZ = 0x02
SEARCH = 0x04
REG_MODEL = 0x05
STORE = 0x06
DELETE_CHAR = 0x0C
EMPTY = 0x0D
READ_SYS_PARA = 0x0F
VFY_PWD = 0x13
TEMPLATE_NUM = 0x1D
READ_INDEX_TABLE = 0x1F
HI_SPEED_SEARCH = 0x1B
GET_ECHO = 0x53

# confirmation codes
OK = 0x00
NO_FINGER = 0x02
NOT_FOUND = 0x09
ENROLL_MISMATCH = 0x0A
WRONG_PASSWORD = 0x13
ECHO_OK = 0x55

MEANINGS = {
    0x00: "OK",
    0x01: "packet receive error",
    0x02: "no finger on the sensor",
    0x03: "image capture failed",
    0x06: "image too messy",
    0x07: "too few features in the image",
    0x08: "fingers do not match",
    0x09: "no matching template",
    0x0A: "the two scans do not match",
    0x0B: "page outside the library",
    0x0C: "template read error or invalid",
    0x0D: "feature upload failed",
    0x0E: "cannot receive the following packets",
    0x0F: "image upload failed",
    0x10: "delete failed",
    0x11: "library clear failed",
    0x13: "wrong password",
    0x15: "no valid image in the buffer",
    0x18: "flash write error",
    0x1A: "invalid register",
    0x20: "wrong address",
    0x21: "password must be verified first",
    0x55: "module ready",
}


def meaning(code: int) -> str:
    return MEANINGS.get(code, f"error code {code:#04x}")


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet; ``content`` starts with the instruction (command) or the
    confirmation code (ack)."""

    kind: int
    content: bytes
    address: int = DEFAULT_ADDRESS

    @property
    def code(self) -> int:
        return self.content[0]

    @property
    def params(self) -> bytes:
        return self.content[1:]

    def encode(self) -> bytes:
        body = bytes([self.kind]) + (len(self.content) + 2).to_bytes(2, "big") + self.content
        return HEADER + self.address.to_bytes(4, "big") + body + sum16(body).to_bytes(2, "big")


def command(instruction: int, params: bytes = b"", address: int = DEFAULT_ADDRESS) -> Packet:
    return Packet(COMMAND, bytes([instruction]) + params, address)


def ack(confirmation: int, results: bytes = b"", address: int = DEFAULT_ADDRESS) -> Packet:
    return Packet(ACK, bytes([confirmation]) + results, address)


class PacketFramer(Framer[Packet]):
    START = HEADER
    MAX_FRAME = 9 + MAX_CONTENT + 2

    def decode(self, buffer: bytearray, start: int) -> tuple[Packet, int] | None:
        if len(buffer) - start < 9:
            return None
        kind = buffer[start + 6]
        if kind not in KINDS:
            raise FrameError(f"fingerprint packet: unknown packet id {kind:#04x}")
        length = int.from_bytes(buffer[start + 7 : start + 9], "big")
        smallest = 3 if kind in (COMMAND, ACK) else 2  # commands and acks carry a code byte
        if not smallest <= length <= MAX_CONTENT + 2:
            raise FrameError(f"fingerprint packet: length {length} out of range")
        end = start + 9 + length
        if len(buffer) < end:
            return None
        expected = sum16(buffer[start + 6 : end - 2])
        received = int.from_bytes(buffer[end - 2 : end], "big")
        if expected != received:
            raise FrameError(f"fingerprint packet: checksum {received:04X} != {expected:04X}")
        address = int.from_bytes(buffer[start + 2 : start + 6], "big")
        return Packet(kind, bytes(buffer[start + 9 : end - 2]), address), end - start
