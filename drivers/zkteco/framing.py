"""How ZK payloads travel: one small class per framing, chosen by transport.

- :class:`TcpFraming`: ``50 50 82 7D`` + ``u32 LE`` payload length, then the payload
  (protocols.md §1.1). Used over TCP, and by default over serial lines.
- :class:`DatagramFraming`: the bare payload, one per UDP datagram.
- :class:`GapFraming`: bare payloads on a serial line, one per burst, a burst ending
  when the line goes quiet.

No public source documents the serial framing of ZK clocks: the serial default
(``TcpFraming``) and the alternative (``GapFraming``) are both **UNCONFIRMED**. A capture
of a real device through ``spy://`` (docs/zkteco.md) settles it; a new framing is one
more small class registered in :data:`SERIAL_FRAMINGS`.

Stream framings are fed bytes and hand out whole payloads whose checksum is right.
Bytes that cannot be part of a valid frame are dropped with a :class:`FrameError`
naming what was dropped; the next call carries on from the following byte, so one
burst of noise never costs more than the frames it overlapped.
"""

from __future__ import annotations

import abc
import struct
from typing import ClassVar

from drivers.base import FrameError
from drivers.zkteco.protocol import HEADER_SIZE, checksum_ok


class StreamFraming(abc.ABC):
    """Cuts a byte stream into payloads. ``idle_gap`` (seconds) asks the link to call
    :meth:`line_idle` when the line has been quiet that long with bytes pending."""

    name: ClassVar[str]
    idle_gap: ClassVar[float | None] = None

    def __init__(self) -> None:
        self.buffer = bytearray()

    @abc.abstractmethod
    def encode(self, payload: bytes) -> bytes:
        """The bytes to write for one payload."""

    def feed(self, data: bytes) -> None:
        self.buffer += data

    @abc.abstractmethod
    def next_payload(self) -> bytes | None:
        """The next complete, checksum-valid payload; ``None`` until one is complete.

        Raises :class:`FrameError` once for each run of bytes it had to drop."""

    def line_idle(self) -> None:
        """The line went quiet with bytes pending (only for ``idle_gap`` framings)."""

    def reset(self) -> None:
        self.buffer.clear()


class TcpFraming(StreamFraming):
    """``50 50 82 7D`` + ``u32 LE length`` + payload."""

    name = "tcp"
    MAGIC = b"\x50\x50\x82\x7d"
    PREFIX = struct.Struct("<4sI")
    # a whole data set may come as one DATA packet; anything longer is a false start
    MAX_PAYLOAD = 16 * 1024 * 1024

    def __init__(self) -> None:
        super().__init__()
        self._lookahead_from = 0  # where the search for a frame behind a stalled one resumes

    def encode(self, payload: bytes) -> bytes:
        return self.PREFIX.pack(self.MAGIC, len(payload)) + payload

    def reset(self) -> None:
        super().reset()
        self._lookahead_from = 0

    def _drop(self, count: int, why: str) -> FrameError:
        dropped = bytes(self.buffer[: min(count, 16)])
        del self.buffer[:count]
        self._lookahead_from = 0
        more = " ..." if count > 16 else ""
        return FrameError(f"dropped {count} byte(s) {why}: {dropped.hex(' ')}{more}", hint="line noise or a wrong baud rate")

    def next_payload(self) -> bytes | None:
        buffer = self.buffer
        start = buffer.find(self.MAGIC)
        if start < 0:
            # keep a tail that may be the beginning of a magic split across reads
            keep = next((n for n in (3, 2, 1) if buffer.endswith(self.MAGIC[:n])), 0)
            if len(buffer) > keep:
                raise self._drop(len(buffer) - keep, "outside any frame")
            return None
        if start:
            raise self._drop(start, "before a frame start")
        if len(buffer) < self.PREFIX.size:
            return None
        length = self.PREFIX.unpack_from(buffer)[1]
        if not HEADER_SIZE <= length <= self.MAX_PAYLOAD:
            raise self._drop(len(self.MAGIC), f"of a frame start with an impossible length {length}")
        end = self.PREFIX.size + length
        if len(buffer) < end:
            # A false start (noise that looks like a magic) would make us wait for bytes
            # that never come; a complete valid frame behind it proves it false.
            behind = self._valid_frame_behind(len(buffer))
            if behind is not None:
                raise self._drop(behind, "of a frame that never completed")
            return None
        payload = bytes(buffer[self.PREFIX.size : end])
        if not checksum_ok(payload):
            # drop the frame, unless a valid frame starts inside it (then this start was noise)
            behind = self._valid_frame_behind(end)
            raise self._drop(behind if behind is not None else end, "of a frame with a bad checksum")
        del buffer[:end]
        self._lookahead_from = 0
        return payload

    def _valid_frame_behind(self, limit: int) -> int | None:
        """Offset of a complete, valid frame starting after offset 0 and before ``limit``.

        Candidates still incomplete are skipped but remembered, so the next search
        resumes at the first of them instead of rescanning the whole buffer."""
        buffer = self.buffer
        position = max(1, self._lookahead_from)
        undecided: int | None = None
        while (position := buffer.find(self.MAGIC, position, limit)) >= 0:
            if len(buffer) >= position + self.PREFIX.size:
                length = self.PREFIX.unpack_from(buffer, position)[1]
                end = position + self.PREFIX.size + length
                if HEADER_SIZE <= length <= self.MAX_PAYLOAD:
                    if len(buffer) < end:
                        undecided = position if undecided is None else undecided
                    elif checksum_ok(buffer[position + self.PREFIX.size : end]):
                        return position
            elif undecided is None:
                undecided = position
            position += 1
        self._lookahead_from = undecided if undecided is not None else max(1, limit - len(self.MAGIC) + 1)
        return None


class GapFraming(StreamFraming):
    """Bare payloads on a serial line, one per burst (**UNCONFIRMED**).

    A burst ends when no byte has arrived for ``idle_gap`` seconds; this assumes the
    device pauses between packets."""

    name = "bare"
    idle_gap = 0.05

    def __init__(self) -> None:
        super().__init__()
        self._ready: list[bytes] = []

    def encode(self, payload: bytes) -> bytes:
        return bytes(payload)

    def line_idle(self) -> None:
        if self.buffer:
            self._ready.append(bytes(self.buffer))
            self.buffer.clear()

    def next_payload(self) -> bytes | None:
        if not self._ready:
            return None
        payload = self._ready.pop(0)
        if not checksum_ok(payload):
            raise FrameError(
                f"dropped a {len(payload)}-byte burst that is not a valid ZK packet: {payload[:16].hex(' ')}",
                hint="line noise, a wrong baud rate, or the device uses another serial framing (docs/zkteco.md)",
            )
        return payload

    def reset(self) -> None:
        super().reset()
        self._ready.clear()


class DatagramFraming:
    """UDP: each datagram is one bare payload."""

    name = "udp"

    def encode(self, payload: bytes) -> bytes:
        return bytes(payload)

    def decode(self, datagram: bytes) -> bytes:
        if not checksum_ok(datagram):
            raise FrameError(f"dropped a {len(datagram)}-byte datagram that is not a valid ZK packet")
        return datagram


# the ``framing`` option of a serial ZK device
SERIAL_FRAMINGS: dict[str, type[StreamFraming]] = {"tcp": TcpFraming, "bare": GapFraming}
