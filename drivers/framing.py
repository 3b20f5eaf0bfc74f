"""Byte framing shared by the serial reader protocols, in the spirit of pyserial's
``serial.threaded.Packetizer`` / ``FramedPacket``.

A :class:`Framer` is fed whatever bytes the port gave and hands back complete frames.
Subclasses declare their constants (``START``, ``MAX_FRAME``) and one hook,
:meth:`Framer.decode`, that looks at the bytes from a start marker on.

Resynchronisation rules, the same for every protocol:

* bytes before a start marker are noise and are skipped (counted in ``skipped``);
* a frame that fails its length or checksum check raises :class:`FrameError`, but only
  its first byte is dropped, so a good frame that began inside the bad one (a truncated
  frame followed by a whole one) is still found by the next call;
* a frame that never completes (the line went quiet mid-frame) is given up when the
  reader calls :meth:`Framer.expire`, which also raises :class:`FrameError`.

Checksums used by the protocols live here too, each with the check value that the
tests pin down.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from drivers.base import FrameError

FrameT = TypeVar("FrameT")

__all__ = ["Framer", "FrameError", "sum16", "xor8", "crc16_mcrf4xx"]


class Framer(Generic[FrameT]):
    """Turns a byte stream into frames of one protocol; see the module docstring."""

    START: ClassVar[bytes] = b""  # marker every frame begins with
    MAX_FRAME: ClassVar[int] = 1024  # longest frame the protocol allows, in bytes

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pos = 0  # consumed bytes at the front, dropped lazily to avoid O(n^2) copying
        self.skipped = 0  # noise bytes dropped while looking for a start marker
        self.rejected = 0  # frames that failed their checks (each also raised FrameError)

    # --- feeding ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append bytes read from the port."""
        if self._pos and self._pos * 2 >= len(self._buffer):
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += data

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buffer) - self._pos

    def reset(self) -> None:
        """Forget buffered bytes (before a new request on a command/reply protocol)."""
        self._buffer.clear()
        self._pos = 0

    # --- decoding ---------------------------------------------------------------------

    def next_frame(self) -> FrameT | None:
        """The next complete frame, or ``None`` until more bytes arrive.

        Raises :class:`FrameError` for a bad frame after dropping its first byte, so
        calling again continues with the bytes after it.
        """
        while True:
            start = self._find_start()
            if start is None:
                return None
            try:
                found = self.decode(self._buffer, start)
            except FrameError:
                self._pos = start + 1
                self.rejected += 1
                raise
            if found is None:
                return None
            frame, size = found
            self._pos = start + size
            return frame

    def frames(self) -> list[FrameT]:
        """Every complete frame buffered now; bad frames are skipped and counted."""
        found: list[FrameT] = []
        while True:
            try:
                frame = self.next_frame()
            except FrameError:
                continue
            if frame is None:
                return found
            found.append(frame)

    def expire(self) -> None:
        """The line went quiet: give up a frame that started but never completed.

        Raises :class:`FrameError` when a partial frame was dropped (only its first byte
        goes; call :meth:`next_frame` again to look for frames in the rest).
        """
        start = self._find_start()
        if start is None:
            # what is left is noise, or half a start marker that will never be finished
            self.skipped += self.pending
            self._pos = len(self._buffer)
            return
        held = bytes(self._buffer[start : start + 16])
        self._pos = start + 1
        self.rejected += 1
        raise FrameError(f"incomplete frame {held.hex(' ')}{' ...' if self.pending > 15 else ''} (the line went quiet)")

    def _find_start(self) -> int | None:
        """Offset of the next start marker, skipping noise; ``None`` if there is none."""
        marker = self.START
        index = self._buffer.find(marker, self._pos)
        if index < 0:
            # keep a tail that may be the beginning of a marker split across reads
            end = len(self._buffer)
            keep = next(
                (k for k in range(min(len(marker) - 1, end - self._pos), 0, -1) if self._buffer.endswith(marker[:k])),
                0,
            )
            self.skipped += end - keep - self._pos
            self._pos = end - keep
            return None
        self.skipped += index - self._pos
        self._pos = index
        return index

    def decode(self, buffer: bytearray, start: int) -> tuple[FrameT, int] | None:
        """Decode the frame at ``buffer[start:]``: ``(frame, size)``, ``None`` when more
        bytes are needed, or raise :class:`FrameError`."""
        raise NotImplementedError


# --- checksums ----------------------------------------------------------------------


def sum16(data: bytes | bytearray | memoryview) -> int:
    """Arithmetic sum of the bytes, modulo 2**16 (fingerprint modules)."""
    return sum(data) & 0xFFFF


def xor8(data: bytes | bytearray | memoryview) -> int:
    """XOR of the bytes (EM4100 readers)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def _crc_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_MCRF4XX = _crc_table(0x8408)  # reflected 0x1021


def crc16_mcrf4xx(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/MCRF4XX: init 0xFFFF, reflected polynomial 0x8408, no final XOR
    (Anviz TC_B). Check value for ``b"123456789"`` is 0x6F91."""
    crc = 0xFFFF
    table = _MCRF4XX
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
