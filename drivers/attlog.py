"""Punch files written by time clocks: the ZKTeco USB-drive export and plain CSV.

ZKTeco ``<DeviceID>_attlog.dat`` (see shared reference, protocols §2): one record a
line, TAB-separated ``PIN, time, device id, status, verify, workcode``. Tolerated: PINs
right-aligned with spaces, CR LF or LF, a UTF-8 BOM, blank lines, and the device serial
number first line and checksum last line of older black-and-white exports (their
checksum algorithm is undocumented, so it is kept and reported, not verified).

CSV: ``badge,timestamp[,state]`` with comma or semicolon, an optional header row,
timestamps ``2026-10-03 08:59:01`` or ``03/10/2026 08:59[:01]``, state as a number or
``in``/``out``/``vào``/``ra``.

The reader streams: a million-line file is never held in memory. Lines that cannot be
parsed are collected in ``problems`` with their line numbers; good lines still come out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from drivers.base import Punch

STATE_WORDS = {"in": 0, "vào": 0, "vao": 0, "checkin": 0, "check-in": 0, "out": 1, "ra": 1, "checkout": 1, "check-out": 1}
MAX_PROBLEMS_KEPT = 10_000
_BAD = object()  # marks a field that is present but not a number


def _optional_int(text: str) -> int | None | object:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        return _BAD


@dataclass
class FileSummary:
    format: str | None = None  # "zkteco" or "csv"
    lines: int = 0
    records: int = 0
    serial_number: str | None = None
    checksum_line: str | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, line: int, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append((line, reason))


def parse_timestamp(text: str) -> datetime:
    """``2026-10-03 08:59:01`` (or with ``T``) or ``03/10/2026 08:59[:01]``; naive local."""
    text = text.strip()
    if "/" in text:
        day_part, _, time_part = text.partition(" ")
        day, month, year = day_part.split("/")
        pieces = [int(p) for p in time_part.strip().split(":")] if time_part.strip() else [0, 0]
        if len(pieces) == 2:
            pieces.append(0)
        return datetime(int(year), int(month), int(day), *pieces)
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is not None:
        raise ValueError("time clocks record local time; remove the UTC offset")
    return stamp


class PunchFile:
    """Iterate ``(machine number or None, Punch)`` over a punch file; see ``summary``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.summary = FileSummary()
        self.bytes_read = 0
        self.line = 0  # the line of the record last yielded, for checks made by the caller

    def __iter__(self) -> Iterator[tuple[str | None, Punch]]:
        summary = self.summary
        pending: tuple[int, str] | None = None  # a lone token that may be the checksum line
        first = True
        records = 0
        number = 0
        zk_line, csv_line = self._zk_line, self._csv_line
        # Text mode decodes in large blocks (much faster than line by line); a byte that
        # is not UTF-8 becomes U+FFFD, which no time clock writes, and marks the line bad.
        with self.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
            for number, text in enumerate(handle, start=1):
                self.bytes_read += len(text)  # characters: bytes for the ASCII clocks write
                line = text.rstrip("\r\n")
                if "\ufffd" in line:
                    summary.problem(number, "not UTF-8 text")
                    continue
                if not line or line.isspace():
                    continue
                if pending is not None:
                    summary.problem(pending[0], f"not a punch record: {pending[1]!r}")
                    pending = None
                if first:
                    first = False
                    summary.format = self._detect(line)
                    if summary.format == "zkteco" and "\t" not in line and " " not in line.strip():
                        summary.serial_number = line.strip()
                        continue
                    if summary.format == "csv" and _is_header(line):
                        continue
                if summary.format == "zkteco":
                    if "\t" not in line:
                        pending = (number, line.strip())
                        continue
                    parsed = zk_line(number, line)
                else:
                    parsed = csv_line(number, line)
                if parsed is not None:
                    records += 1
                    self.line = number
                    yield parsed
        summary.lines = number
        summary.records = records
        if pending is not None:
            summary.checksum_line = pending[1]

    @staticmethod
    def _detect(line: str) -> str:
        if "\t" in line:
            return "zkteco"
        if "," in line or ";" in line:
            return "csv"
        return "zkteco"  # a serial-number line of an old export

    def _zk_line(self, number: int, line: str) -> tuple[str | None, Punch] | None:
        fields = line.split("\t")
        pin = fields[0].strip()
        if not pin:
            self.summary.problem(number, "empty PIN (first field)")
            return None
        if len(fields) < 2:
            self.summary.problem(number, "no time (second field)")
            return None
        try:
            stamp = datetime.fromisoformat(fields[1].strip())
            if stamp.tzinfo is not None:
                raise ValueError
        except ValueError:
            self.summary.problem(number, f"bad time {fields[1].strip()!r} (expected 2026-10-03 08:59:01)")
            return None
        if len(fields) == 6:
            try:  # the common, complete line; int() ignores the padding spaces
                state, verify, work = int(fields[3]), int(fields[4]), int(fields[5])
            except ValueError:
                state = verify = work = _BAD
        else:
            state, verify, work = (_optional_int(f) for f in (fields[3:6] + ["", "", ""])[:3])
        if _BAD in (state, verify, work):
            self.summary.problem(number, f"status, verify and workcode must be numbers: {fields[3:6]!r}")
            return None
        machine = fields[2].strip() if len(fields) > 2 else ""
        return machine or None, Punch(user_id=pin, timestamp=stamp, state=state, verify_mode=verify, work_code=work, raw=line)

    def _csv_line(self, number: int, line: str) -> tuple[str | None, Punch] | None:
        delimiter = ";" if line.count(";") > line.count(",") else ","
        fields = [f.strip().strip('"') for f in line.split(delimiter)]
        if len(fields) < 2 or not fields[0]:
            self.summary.problem(number, "expected badge,timestamp[,state]")
            return None
        try:
            stamp = parse_timestamp(fields[1])
        except ValueError:
            self.summary.problem(number, f"bad timestamp {fields[1]!r} (expected 2026-10-03 08:59:01 or 03/10/2026 08:59)")
            return None
        state = None
        if len(fields) > 2 and fields[2]:
            word = fields[2].lower()
            if word.isdigit():
                state = int(word)
            elif word in STATE_WORDS:
                state = STATE_WORDS[word]
            else:
                self.summary.problem(number, f"unknown state {fields[2]!r} (use a number, in/out or vào/ra)")
                return None
        return None, Punch(user_id=fields[0], timestamp=stamp, state=state, raw=line)


def _is_header(line: str) -> bool:
    second = line.replace(";", ",").split(",")[1:2]
    if not second:
        return True
    text = second[0].strip().strip('"')
    return not text[:1].isdigit()
