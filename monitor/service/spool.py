"""The spool: where a live reader's punch is made durable before the database sees it.

A card reader or fingerprint module keeps no log: a punch that is not stored when it is
heard is lost. The database may be locked for a moment, full, read-only or damaged, so
every punch heard is first appended to a spool file — one JSON line, flushed with
``fsync`` — and only then moved into the database. A drain moves waiting lines in; the
store's identity rule (device, user, time) drops any it already holds, so a line moved
twice (a crash between the database's commit and the spool's truncation) is stored once.
A restart replays whatever the files still hold.

One file per device (``<folder>/<device id>.jsonl``): a device is heard by one process
at a time (its port is exclusive), so no two processes ever append to the same file.
A file is emptied as soon as everything in it is in the database, so its size says
whether punches are waiting (:func:`spool_backlog`, for the devices page and alerts).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drivers.base import Punch

log = logging.getLogger("monitor.service.spool")
SUFFIX = ".jsonl"


def encode(punch: Punch) -> bytes:
    raw = punch.raw
    record = {
        "user": punch.user_id,
        "at": punch.timestamp.isoformat(),
        "verify": punch.verify_mode,
        "state": punch.state,
        "work": punch.work_code,
        "raw": raw.hex() if isinstance(raw, bytes) else raw,
        "raw_hex": isinstance(raw, bytes),
    }
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def decode(line: bytes) -> Punch:
    record = json.loads(line)
    raw = record.get("raw") or ""
    return Punch(
        user_id=str(record["user"]),
        timestamp=datetime.fromisoformat(record["at"]),
        verify_mode=record.get("verify"),
        state=record.get("state"),
        work_code=record.get("work"),
        raw=bytes.fromhex(raw) if record.get("raw_hex") else raw,
    )


@dataclass(frozen=True)
class Waiting:
    """Punches read from a spool file, and where the file ended when they were read."""

    device_id: str
    punches: list[Punch]
    end: int


class DeviceSpool:
    """One device's append-only spool file."""

    def __init__(self, folder: Path, device_id: str):
        self.device_id = device_id
        self.path = folder / f"{device_id}{SUFFIX}"
        self._lock = threading.Lock()
        self._drained = 0  # bytes known to be in the database
        folder.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._file = open(self.path, "ab")  # noqa: SIM115 - kept open for the process's life
        if created:
            _fsync_folder(folder)  # the new file's name must survive a power cut too
        elif self._file.tell() and not _ends_with_newline(self.path):
            # a line cut short by a crash: end it, so the next punch starts a line of its own
            self._write(b"\n")

    def append(self, punch: Punch) -> None:
        """Make ``punch`` durable: on disk (fsync) when this returns."""
        self._write(encode(punch))

    def _write(self, data: bytes) -> None:
        with self._lock:
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())

    def waiting(self) -> Waiting:
        """The punches not yet moved into the database (a damaged line is logged and skipped)."""
        with self._lock:
            end = self._file.tell()
            start = self._drained
        punches: list[Punch] = []
        if end > start:
            with open(self.path, "rb") as file:
                file.seek(start)
                data = file.read(end - start)
            for number, line in enumerate(data.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    punches.append(decode(line))
                except (ValueError, KeyError, TypeError):
                    log.warning("%s: skipped a damaged spool line (%d bytes): %r", self.path, len(line), line[:60])
        return Waiting(self.device_id, punches, end)

    def drained(self, end: int) -> None:
        """Everything up to ``end`` is in the database; empty the file when nothing came after."""
        with self._lock:
            self._drained = end
            if self._file.tell() == end:
                self._file.truncate(0)
                self._file.seek(0)
                os.fsync(self._file.fileno())
                self._drained = 0

    def backlog(self) -> int:
        return len(self.waiting().punches)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def spool_backlog(folder: Path) -> dict[str, int]:
    """Punches waiting in the spool, per device id (devices with none are left out).

    For the devices page, ``monitor devices status`` and alerts: a number above zero
    for long means the database refuses writes while readers go on hearing punches."""
    counts: dict[str, int] = {}
    if not folder.is_dir():
        return counts
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            with open(path, "rb") as file:
                lines = sum(1 for line in file if line.strip())
        except OSError:
            continue
        if lines:
            counts[path.name[: -len(SUFFIX)]] = lines
    return counts


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder; NTFS journals the name itself
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
