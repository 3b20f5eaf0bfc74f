"""One open serial port with its framer: the single read loop every serial reader uses.

Reads wait in short slices so a ``stop`` event is noticed quickly; a frame that stops
half-way is given up once the line has been quiet for ``idle_gap`` seconds (real devices
send a frame in one burst, so a gap means the rest is not coming). Port failures become
:class:`Disconnected` with a hint, whatever pyserial or the OS called them.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Generic

import serial

from drivers.base import DeviceSettings, Disconnected
from drivers.framing import Framer, FrameT
from drivers.ports import close_port, open_port

try:  # POSIX ports raise termios.error (not an OSError) when the device is gone
    from termios import error as _termios_error

    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, _termios_error)
except ImportError:  # Windows
    PORT_ERRORS = (serial.SerialException, OSError)

SLICE = 0.05  # seconds a single read may block; bounds how late a stop is noticed
IDLE_GAP = 0.1  # quiet time after which a partial frame is abandoned


class SerialLink(Generic[FrameT]):
    """A port plus a framer: write bytes, read whole frames."""

    def __init__(self, port: serial.SerialBase, framer: Framer[FrameT], *, device: str, idle_gap: float = IDLE_GAP):
        self.port = port
        self.framer = framer
        self.device = device
        self.idle_gap = idle_gap

    @classmethod
    def open(cls, settings: DeviceSettings, framer: Framer[FrameT], *, idle_gap: float = IDLE_GAP) -> SerialLink[FrameT]:
        """Open the device's port (actionable :class:`PortUnavailable` on failure)."""
        return cls(open_port(settings, timeout=SLICE), framer, device=settings.id, idle_gap=idle_gap)

    @property
    def port_name(self) -> str:
        """The port actually opened: ``hwgrep://`` and symlinks resolved to the device."""
        name = str(self.port.port or "")
        if "://" not in name and os.path.islink(name):
            return os.path.realpath(name)
        return name

    def close(self) -> None:
        close_port(self.port)

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except PORT_ERRORS as exc:
            raise self._lost(exc) from exc

    def discard_input(self) -> None:
        """Drop unread bytes: a late reply to an earlier request must not be taken for
        the answer to the next one."""
        try:
            self.port.reset_input_buffer()
        except PORT_ERRORS as exc:
            raise self._lost(exc) from exc
        self.framer.reset()

    def read_frame(self, timeout: float, stop: threading.Event | None = None) -> FrameT | None:
        """The next frame within ``timeout`` seconds, or ``None`` (timeout or ``stop``).

        A bad or truncated frame raises :class:`FrameError`; the link stays usable.
        """
        deadline = time.monotonic() + timeout
        last_byte = time.monotonic()
        while True:
            frame = self.framer.next_frame()
            if frame is not None:
                return frame
            now = time.monotonic()
            if now >= deadline or (stop is not None and stop.is_set()):
                return None
            data = self._read()
            if data:
                self.framer.feed(data)
                last_byte = time.monotonic()
            elif self.framer.pending and time.monotonic() - last_byte >= self.idle_gap:
                last_byte = time.monotonic()
                self.framer.expire()

    def _read(self) -> bytes:
        try:
            data = self.port.read(1)
            if data:
                waiting = self.port.in_waiting
                if waiting:
                    data += self.port.read(waiting)
            return data
        except PORT_ERRORS as exc:
            raise self._lost(exc) from exc

    def _lost(self, exc: BaseException) -> Disconnected:
        # termios.error carries (errno, text); show the text as OSError would
        detail = exc.args[1] if len(exc.args) == 2 and isinstance(exc.args[1], str) else str(exc)
        return Disconnected(
            f"lost the port {self.port.port}: {detail}",
            device=self.device,
            hint="check the cable and the USB-serial adapter; the collector reconnects when the port returns",
        )
