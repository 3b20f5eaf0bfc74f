"""What every serial device simulator shares: a pseudo-terminal, a thread that reads
what the driver sends, fault injection on what the device sends, and text commands.

A simulator is used two ways: from tests as an object (``start()`` / ``stop()`` and one
method per command), and from ``monitor simulate <protocol>``, which feeds it the lines
typed on standard input through :meth:`SerialSimulator.execute`.

Faults, each "every Nth frame the device sends" (0 = never): ``corrupt_every`` spoils
the checksum, ``garbage_every`` puts 1-8 random bytes before the frame,
``truncate_every`` sends only its first half, ``reopen_every`` closes the port once the
frame has been read and opens it again ``reopen_pause`` seconds later (an adapter
unplugged and plugged back). Random choices come from ``seed``, so a run can be repeated exactly.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import select
import sys
import termios
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drivers.simulators.pty import PseudoTerminal


@dataclass(frozen=True)
class Faults:
    corrupt_every: int = 0
    garbage_every: int = 0
    truncate_every: int = 0
    reopen_every: int = 0
    reopen_pause: float = 0.5


class SerialSimulator:
    """Base class: subclasses implement :meth:`received` (bytes from the driver) and
    ``do_<command>`` methods for their text commands."""

    kind = "serial device"

    def __init__(
        self,
        *,
        link: str | os.PathLike[str] | None = None,
        seed: int = 0,
        faults: Faults = Faults(),
        now: Callable[[], datetime] = datetime.now,
    ):
        self.link = link
        self.rng = random.Random(seed)
        self.faults = faults
        self.now = now
        self.pty: PseudoTerminal | None = None
        self.plugged = False
        self.frames_sent = 0
        self.bytes_dropped = 0  # written while nobody read the port (a real line loses them too)
        self.changed = threading.Condition()  # notified whenever the device's state moves
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._wake_read, self._wake_write = os.pipe()
        self._thread: threading.Thread | None = None
        self._flaps: list[threading.Thread] = []

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> str:
        """Create the pseudo-terminal and serve it; returns the path a driver opens."""
        self.pty = PseudoTerminal(self.link)
        self._set_nonblocking()
        self.plugged = True
        self._thread = threading.Thread(target=self._serve, name=f"sim-{self.kind}", daemon=True)
        self._thread.start()
        return self.path

    @property
    def path(self) -> str:
        """The link when one was asked for, else the pseudo-terminal's own path."""
        if self.pty is None:
            raise RuntimeError("the simulator is not started")
        return self.pty.name

    def stop(self) -> None:
        """Stop serving and remove the pseudo-terminal (and its link); safe to repeat."""
        if self._stop.is_set():
            return
        self._stop.set()
        for flap in self._flaps:
            flap.join(5)
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            if self.pty is not None:
                self.pty.close()
            self.plugged = False
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)
        self._wake_read = self._wake_write = -1  # a reused descriptor number must never be written

    def __enter__(self) -> SerialSimulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: both ends close, the driver's reads and writes fail, and the
        stable link goes away (as udev removes /dev/serial/by-id/... entries)."""
        with self._lock:
            if self.pty is not None and self.plugged:
                self.pty.hangup()
                if self.pty.link is not None and self.pty.link.is_symlink():
                    self.pty.link.unlink()
                self.plugged = False
        self._wake()
        self._notify()

    def replug(self) -> None:
        """Plug it back: a new pseudo-terminal behind the same link."""
        with self._lock:
            if self.pty is not None and not self.plugged and not self._stop.is_set():
                self.pty.reopen()
                self._set_nonblocking()
                self.plugged = True
        self._wake()
        self._notify()

    # --- sending, with faults ---------------------------------------------------------

    def send(self, frame: bytes) -> None:
        """Send one frame as the device would, applying the configured faults."""
        with self._lock:
            self.frames_sent += 1
            number = self.frames_sent
            faults = self.faults
            data = frame
            if faults.corrupt_every and number % faults.corrupt_every == 0:
                data = self.corrupt(data)
            if faults.truncate_every and number % faults.truncate_every == 0:
                data = data[: max(1, len(data) // 2)]
            if faults.garbage_every and number % faults.garbage_every == 0:
                data = self.rng.randbytes(self.rng.randint(1, 8)) + data
            self.write(data)
            if faults.reopen_every and number % faults.reopen_every == 0:
                flap = threading.Thread(target=self._flap, name=f"sim-{self.kind}-flap", daemon=True)
                self._flaps = [t for t in self._flaps if t.is_alive()] + [flap]
                flap.start()

    def _flap(self) -> None:
        """The reopen fault: once the driver has read what was sent (up to a second),
        the port closes, and opens again ``reopen_pause`` seconds later."""
        # Bytes written to a pty's master reach the slave's input queue a moment later
        # (the kernel hands them over asynchronously): first see them arrive, then see
        # the driver take them, or a busy machine would pull the cable under the frame.
        for _ in range(40):
            if self._stop.is_set() or self._unread() > 0:
                break
            self._stop.wait(0.005)
        for _ in range(200):
            if self._stop.is_set() or self._unread() == 0:
                break
            self._stop.wait(0.005)
        self.unplug()
        if not self._stop.wait(self.faults.reopen_pause):
            self.replug()

    def _unread(self) -> int:
        """Bytes sent that the driver has not read yet."""
        with self._lock:
            if not self.plugged or self.pty is None:
                return 0
            try:
                waiting = fcntl.ioctl(self.pty.slave, termios.FIONREAD, b"\0\0\0\0")
            except OSError:
                return 0
        return int.from_bytes(waiting, sys.byteorder)

    def corrupt(self, frame: bytes) -> bytes:
        """The frame with a wrong checksum; by default its last byte is flipped."""
        return frame[:-1] + bytes([frame[-1] ^ 0x5A])

    def write(self, data: bytes) -> None:
        """Raw bytes onto the line; lost when the port is unplugged or nobody reads."""
        with self._lock:
            if not self.plugged or self.pty is None:
                self.bytes_dropped += len(data)
                return
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self.pty.master, view)
                except BlockingIOError:
                    _, ready, _ = select.select([], [self.pty.master], [], 0.5)
                    if not ready:
                        self.bytes_dropped += len(view)
                        return
                    continue
                except OSError:
                    self.bytes_dropped += len(view)
                    return
                view = view[written:]

    # --- text commands ----------------------------------------------------------------

    def execute(self, line: str) -> str:
        """Run one text command (as typed on standard input); returns what to print."""
        name, _, rest = line.strip().partition(" ")
        if not name:
            return ""
        handler = getattr(self, f"do_{name.lower()}", None)
        if handler is None:
            return f"unknown command {name!r}; {self.help_text()}"
        try:
            return handler(rest.strip())
        except (ValueError, IndexError) as exc:
            return f"error: {exc}"

    def help_text(self) -> str:
        names = sorted(n[3:] for n in dir(self) if n.startswith("do_"))
        return "commands: " + ", ".join(names)

    def do_help(self, rest: str) -> str:
        """help — list the commands"""
        lines = [self.help_text()]
        for name in sorted(n for n in dir(self) if n.startswith("do_")):
            doc = getattr(self, name).__doc__
            if doc:
                lines.append("  " + doc.strip().splitlines()[0])
        return "\n".join(lines)

    def do_unplug(self, rest: str) -> str:
        """unplug — close the port, as when the adapter is pulled out"""
        self.unplug()
        return "unplugged"

    def do_replug(self, rest: str) -> str:
        """replug — open the port again (same link, new pseudo-terminal)"""
        self.replug()
        return f"plugged in at {self.pty.path if self.pty else '?'}"

    # --- for subclasses and tests -----------------------------------------------------

    def received(self, data: bytes) -> None:
        """Bytes the driver sent; output-only devices ignore them."""

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``condition()`` holds (re-checked whenever the device's state
        moves) or ``timeout`` passes; returns whether it holds."""
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                master = self.pty.master if self.plugged and self.pty is not None else -1
            watched = [self._wake_read] + ([master] if master >= 0 else [])
            try:
                ready, _, _ = select.select(watched, [], [], 0.5)
            except (OSError, ValueError):
                continue  # the pty was closed under us by unplug(); look again
            if self._wake_read in ready:
                os.read(self._wake_read, 64)
                continue
            if master in ready:
                try:
                    data = os.read(master, 4096)
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EIO, errno.EBADF):
                        raise
                    continue
                if data:
                    self.received(data)

    def _wake(self) -> None:
        if self._wake_write < 0:
            return  # stopped
        try:
            os.write(self._wake_write, b"x")
        except OSError:
            pass

    def _set_nonblocking(self) -> None:
        assert self.pty is not None
        flags = fcntl.fcntl(self.pty.master, fcntl.F_GETFL)
        fcntl.fcntl(self.pty.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
