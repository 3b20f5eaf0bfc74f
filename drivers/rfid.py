"""125 kHz card readers on a serial line (RDM6300 / EM4100 modules and the binary
"USB-COM" readers), output only, 9600 8N1.

Two frame variants, told apart by the byte after ``02`` (so one reader setting reads
both):

* ASCII (RDM6300): ``02`` + 10 hex characters (version byte + 4 ID bytes) + 2 hex
  characters of XOR check + ``03``, 14 bytes;
* binary: ``02 len type SNR… BCC 03`` where ``len`` is the whole frame's length and BCC
  the XOR of ``len`` through the SNR. A binary ``len`` is at most 32, below every ASCII
  hex digit, so the two never collide.

A card held on the reader repeats its frame about every 65 ms: ``repeat_seconds``
(default 30) makes that one punch. The punch's user id is the card number in the form
chosen by ``card_format`` (see :mod:`drivers.cards`); its time is the host clock when
the frame was complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drivers.base import FrameError, Punch
from drivers.cards import CARD_FORMATS, VERIFY_CARD, format_card
from drivers.framing import Framer, xor8
from drivers.readers import StreamReader, choice

STX, ETX = 0x02, 0x03
ASCII_FRAME = 14
BINARY_MIN, BINARY_MAX = 7, 32
HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")


@dataclass(frozen=True, slots=True)
class CardFrame:
    """One card read: the 4 ID bytes as a number, the byte(s) before them, the wire bytes."""

    card_id: int
    prefix: int  # version/customer byte (ASCII) or batch byte (binary)
    variant: str  # "ascii" or "binary"
    raw: bytes


def ascii_frame(data: bytes) -> bytes:
    """Encode 5 data bytes as an RDM6300 frame."""
    text = data.hex().upper() + f"{xor8(data):02X}"
    return bytes([STX]) + text.encode("ascii") + bytes([ETX])


def binary_frame(snr: bytes, card_type: int = 0x02) -> bytes:
    """Encode an SNR as a binary ``02 len type SNR BCC 03`` frame."""
    length = len(snr) + 5
    body = bytes([length, card_type]) + snr
    return bytes([STX]) + body + bytes([xor8(body), ETX])


class CardFramer(Framer[CardFrame]):
    START = bytes([STX])
    MAX_FRAME = max(ASCII_FRAME, BINARY_MAX)

    def decode(self, buffer: bytearray, start: int) -> tuple[CardFrame, int] | None:
        available = len(buffer) - start
        if available < 2:
            return None
        if buffer[start + 1] in HEX_DIGITS:
            return self._ascii(buffer, start, available)
        return self._binary(buffer, start, available)

    def _ascii(self, buffer: bytearray, start: int, available: int) -> tuple[CardFrame, int] | None:
        # reject a non-hex character as soon as it arrives, not after 14 bytes
        for offset in range(1, min(available, ASCII_FRAME - 1)):
            if buffer[start + offset] not in HEX_DIGITS:
                raise FrameError(f"card frame: byte {offset} is {buffer[start + offset]:#04x}, not a hex digit")
        if available < ASCII_FRAME:
            return None
        raw = bytes(buffer[start : start + ASCII_FRAME])
        if raw[-1] != ETX:
            raise FrameError(f"card frame: ends with {raw[-1]:#04x}, not 03")
        data = bytes.fromhex(raw[1:11].decode("ascii"))
        check = int(raw[11:13], 16)
        if xor8(data) != check:
            raise FrameError(f"card frame {raw[1:13].decode('ascii')}: check {check:02X} != {xor8(data):02X}")
        return CardFrame(int.from_bytes(data[1:], "big"), data[0], "ascii", raw), ASCII_FRAME

    def _binary(self, buffer: bytearray, start: int, available: int) -> tuple[CardFrame, int] | None:
        length = buffer[start + 1]
        if not BINARY_MIN <= length <= BINARY_MAX:
            raise FrameError(f"card frame: length byte {length:#04x} out of range")
        if available < length:
            return None
        raw = bytes(buffer[start : start + length])
        if raw[-1] != ETX:
            raise FrameError(f"card frame: ends with {raw[-1]:#04x}, not 03")
        if xor8(raw[1:-2]) != raw[-2]:
            raise FrameError(f"card frame {raw.hex(' ')}: BCC {raw[-2]:02X} != {xor8(raw[1:-2]):02X}")
        snr = raw[3:-2]
        card_id = int.from_bytes(snr[-4:], "big")
        prefix = int.from_bytes(snr[:-4], "big") if len(snr) > 4 else 0
        return CardFrame(card_id, prefix, "binary", raw), length


class CardReader(StreamReader):
    """An RDM6300-style or binary EM card reader (see the module docstring)."""

    protocol = "rfid"
    model = "125 kHz card reader (output only)"
    options = {
        "repeat_seconds": (int, 30),
        "card_format": (str, "decimal"),
    }

    def check_options(self) -> None:
        choice(self.settings, "card_format", self.config["card_format"], CARD_FORMATS)

    def make_framer(self) -> CardFramer:
        return CardFramer()

    def punch_from(self, frame: CardFrame, moment: datetime) -> Punch:
        return Punch(
            user_id=format_card(frame.card_id, self.config["card_format"]),
            timestamp=moment,
            verify_mode=VERIFY_CARD,
            raw=frame.raw,
        )
