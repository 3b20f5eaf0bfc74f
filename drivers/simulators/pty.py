"""Pseudo-terminals for simulators: the simulator owns the master end, the driver opens
the slave path through pyserial exactly as it would open ``/dev/ttyUSB0``."""

from __future__ import annotations

import os
import pty
import tty
from pathlib import Path


class PseudoTerminal:
    """A raw pty pair; ``path`` is what a driver opens, ``master`` what the simulator uses.

    ``link`` makes a stable symlink to the slave (like ``/dev/serial/by-id/...``).
    :meth:`hangup` closes both ends (the "cable" is pulled: the driver's reads fail) and
    :meth:`reopen` makes a new pair behind the same link, as a re-plugged adapter does.
    """

    def __init__(self, link: str | os.PathLike[str] | None = None):
        self.link = Path(link) if link else None
        self.master = -1
        self.slave = -1
        self.path = ""
        self.reopen()

    def reopen(self) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".tmp")
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            tmp.symlink_to(self.path)
            os.replace(tmp, self.link)

    @property
    def name(self) -> str:
        """The path to give a driver: the link when there is one."""
        return str(self.link) if self.link is not None else self.path

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def hangup(self) -> None:
        for fd in (self.master, self.slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = -1

    def close(self) -> None:
        self.hangup()
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

    def __enter__(self) -> PseudoTerminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
