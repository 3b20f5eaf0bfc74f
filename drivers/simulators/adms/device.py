"""The push clock's memory: users, the attendance FIFO, its clock, what it does with a
command. No HTTP here (that is :mod:`.client`), so every behaviour can be tested and
replayed from a seed.

The log is a FIFO of at most ``buffer_size`` records, as on a real clock
(``MaxAttLogCount``): when it is full the oldest record is deleted, sent or not, and
:attr:`PushDevice.dropped` / :attr:`PushDevice.lost` count them. An upload pointer
marks what the server acknowledged; nothing past it is forgotten on an error.
"""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import NamedTuple

from drivers.adms.attlog import format_attlog_line
from drivers.adms.commands import CommandResult
from drivers.adms.operlog import format_oplog_line
from drivers.adms.status import DeviceStatus
from drivers.base import DeviceUser, FrameError
from drivers.simulators.clock import SkewedClock
from drivers.simulators.zk.device import FAMILY, GIVEN, MIDDLE
from drivers.zkteco.protocol import decode_time

# a working day: (hour, minute range, device State): in, lunch out, back, out
DAY_PUNCHES = ((7, (10, 40), 0), (11, (25, 50), 1), (13, (15, 40), 0), (17, (0, 30), 1))
VERIFY_WEIGHTS = ((1, 80), (15, 10), (2, 8), (0, 2))  # fingerprint, face, badge, password
_QUERY = re.compile(r"DATA QUERY ATTLOG StartTime=(\S+)\tEndTime=(\S+)")
_SET_TIME = re.compile(r"SET OPTION DateTime=(.+)")


class Record(NamedTuple):
    """One punch in the clock's log, in the device's own codes; ``seq`` orders the log."""

    seq: int
    pin: str
    timestamp: datetime
    state: int = 0
    verify: int = 1
    work_code: int = 0


@dataclass
class Dialect:
    """How this clock writes an upload: the variants seen in the wild."""

    line_ending: str = "\n"  # or "\r\n"
    separator: str = "\t"  # or a run of spaces, e.g. "  "
    epoch_timestamps: bool = False  # wall seconds since 1970 instead of the text time
    fields: int = 7  # 2-10: fewer drops trailing fields, more adds reserved zeros
    stamp: str = "time"  # Stamp= of an upload: "time" of its last record (§9.8) or its "sequence" number


@dataclass
class PushFaults:
    """What this clock does wrong, for tests of a server."""

    duplicate_uploads: bool = False  # post every upload twice, as if the first OK was lost
    garbage_every: int = 0  # after every N-th record of an upload, a line a server must refuse
    zero_stamp_resends_all: bool = False  # ATTLOGStamp=0 at init: upload the whole log again
    reject_commands: bool = False  # answer every command with -1002 (not supported)


@dataclass
class Profile:
    """What the clock says about itself in ``INFO=`` and ``INFO`` results."""

    firmware: str = "Ver 6.60 Apr 28 2017"
    model: str = "SpeedFace (simulated)"
    ip: str = "127.0.0.1"
    fingerprint_version: str = "10"
    face_version: str = "7"
    faces: int = 0
    flags: str = "111"
    fingerprints: int | None = None  # None: one per user
    user_agent: str = "iClock Proxy/1.09"
    pushver: str = "2.4.1"
    language: str = "69"


GARBAGE: tuple[Callable[[str], str], ...] = (
    lambda pin: f"{pin}\t2026-02-30 08:00:00\t0\t1\t0\t0\t0",  # no such day
    lambda pin: f"{pin}\t2026-10-14 25:00:00\t0\t1\t0\t0\t0",  # no such hour
    lambda pin: f"{pin}\x07\t2026-10-14 08:00:00\t0\t1\t0",  # control character
    lambda pin: "9" * 40 + "\t2026-10-14 08:00:00\t0\t1\t0",  # PIN too long
    lambda pin: f"{pin}\t1999-01-01 08:00:00\t0\t1\t0",  # the clock forgot its date
    lambda pin: f"{pin}\t2026-10-14 08:00:00\tIN\tfinger\t0",  # not numbers
    lambda pin: "#### not a punch ####",
)


class PushDevice(SkewedClock):
    """One simulated push clock's state. Thread-safe (a console may punch while the
    client uploads)."""

    def __init__(
        self,
        sn: str = "SIMADMS00001",
        *,
        users: int = 20,
        records: int = 0,
        seed: int = 1,
        now: Callable[[], datetime] = datetime.now,
        clock_offset: float = 0.0,
        buffer_size: int = 200_000,
        history_uploaded: bool = False,
        dialect: Dialect | None = None,
        faults: PushFaults | None = None,
        profile: Profile | None = None,
        comkey: str | None = None,
    ):
        if buffer_size < 1:
            raise ValueError("buffer_size must be at least 1")
        self.sn = sn
        self.dialect = dialect or Dialect()
        self.faults = faults or PushFaults()
        self.profile = profile or Profile()
        self.comkey = comkey
        self.buffer_size = buffer_size
        self.lock = threading.RLock()
        self._now = now
        self.offset = timedelta(seconds=clock_offset)
        self.rng = random.Random(seed)
        self.log: deque[Record] = deque()
        self.next_seq = 1
        self.uploaded_seq = 0  # the last record the server acknowledged
        self.requeried: deque[Record] = deque()  # records a DATA QUERY asked for again, not yet posted
        self.operations: deque[str] = deque()  # OPLOG lines not yet posted
        self.dropped = 0  # records deleted because the FIFO was full
        self.lost = 0  # of those, records never acknowledged by a server
        self.lines_formatted = 0
        self.garbage_sent = 0
        self.users = self._generate_users(users)
        for moment, pin, state, verify in self._generate_log(records):
            self._store(pin, moment, state, verify, 0)
        if history_uploaded:
            self.uploaded_seq = self.next_seq - 1

    # --- generation ---------------------------------------------------------------------

    def _generate_users(self, count: int) -> list[DeviceUser]:
        users = []
        for number in range(1, count + 1):
            name = f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"
            card = str(self.rng.randrange(10**9, 2**32)) if self.rng.random() < 0.4 else None
            users.append(DeviceUser(str(1000 + number), name, card, 14 if number == 1 else 0, number))
        return users

    def _verify(self) -> int:
        codes, weights = zip(*VERIFY_WEIGHTS)
        return self.rng.choices(codes, weights=weights)[0]

    def _generate_log(self, count: int) -> list[tuple[datetime, str, int, int]]:
        """``count`` punches on working days ending yesterday (device time), oldest first."""
        if count <= 0 or not self.users:
            return []
        punches: list[tuple[datetime, str, int, int]] = []
        day = self.time().date() - timedelta(days=1)
        days: list[date] = []
        per_day = len(self.users) * len(DAY_PUNCHES)
        while len(days) * per_day * 0.85 < count + per_day:
            if day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        for day in reversed(days):
            todays = []
            for user in self.users:
                for hour, (low, high), state in DAY_PUNCHES:
                    if self.rng.random() < 0.1:
                        continue
                    moment = datetime.combine(day, time(hour, self.rng.randrange(low, high), self.rng.randrange(60)))
                    todays.append((moment, user.user_id, state, self._verify()))
            punches.extend(sorted(todays))
        return punches[-count:]

    # --- the clock ------------------------------------------------------------------------



    # --- the log ------------------------------------------------------------------------

    def _store(self, pin: str, moment: datetime, state: int, verify: int, work_code: int) -> Record:
        record = Record(self.next_seq, pin, moment, state, verify, work_code)
        self.next_seq += 1
        self.log.append(record)
        while len(self.log) > self.buffer_size:
            oldest = self.log.popleft()
            self.dropped += 1
            if oldest.seq > self.uploaded_seq:
                self.lost += 1
        return record

    def punch(self, pin: str | None = None, *, state: int = 0, verify: int | None = None, work_code: int = 0,
              at: datetime | None = None) -> Record:
        """Someone punches now (or ``at``): stored in the FIFO, uploaded by the client.
        ``pin`` None picks a user from the seed."""
        with self.lock:
            if pin is None:
                pin = self.rng.choice(self.users).user_id if self.users else "1"
            return self._store(pin, at or self.time(), state, self._verify() if verify is None else verify, work_code)

    def pending(self, limit: int | None = None) -> list[Record]:
        """Records not yet acknowledged, oldest first (at most ``limit``).

        The log holds consecutive sequence numbers (records are appended in turn and
        dropped from the old end), so the first one waiting is found by arithmetic: a
        backfill of 200,000 records does not scan them all for each batch of 500 (the
        simulator shares a machine with the server it loads)."""
        with self.lock:
            if not self.log:
                return []
            first = max(0, self.uploaded_seq + 1 - self.log[0].seq)
            return list(islice(self.log, first, None if limit is None else first + limit))

    def acknowledge(self, records: Sequence[Record]) -> None:
        """The server said OK to an upload of ``records``."""
        with self.lock:
            if records:
                self.uploaded_seq = max(self.uploaded_seq, max(record.seq for record in records))

    def forget_uploads(self) -> None:
        """Treat the whole log as not yet sent (after ``ATTLOGStamp=0``, if the fault says so)."""
        with self.lock:
            self.uploaded_seq = self.log[0].seq - 1 if self.log else self.next_seq - 1

    def attlog_body(self, records: Sequence[Record]) -> str:
        """An ATTLOG upload body in this clock's dialect, with garbage lines if the
        faults say so."""
        dialect, lines = self.dialect, []
        with self.lock:
            for record in records:
                lines.append(format_attlog_line(record.pin, record.timestamp, record.state, record.verify, record.work_code,
                                                fields=dialect.fields, separator=dialect.separator,
                                                epoch=dialect.epoch_timestamps))
                self.lines_formatted += 1
                every = self.faults.garbage_every
                if every and self.lines_formatted % every == 0:
                    lines.append(GARBAGE[self.garbage_sent % len(GARBAGE)](record.pin))
                    self.garbage_sent += 1
        return "".join(line + dialect.line_ending for line in lines)

    def stamp(self, records: Sequence[Record]) -> str:
        last = records[-1]
        return str(last.seq) if self.dialect.stamp == "sequence" else last.timestamp.strftime("%Y-%m-%dT%H:%M:%S")

    # --- the operation log --------------------------------------------------------------

    def operation(self, code: int, admin: str = "0", objects: tuple[str, ...] = ("0", "0", "0", "0")) -> str:
        """An administrator did something at the keypad (e.g. :data:`OpCode.SET_TIME`):
        an OPLOG line waits for upload."""
        line = format_oplog_line(int(code), admin, self.time(), objects)
        with self.lock:
            self.operations.append(line)
        return line

    # --- self-description ---------------------------------------------------------------

    def status(self) -> DeviceStatus:
        profile = self.profile
        with self.lock:
            records = len(self.log)
        fingers = len(self.users) if profile.fingerprints is None else profile.fingerprints
        return DeviceStatus(profile.firmware, len(self.users), fingers, records, profile.ip, profile.fingerprint_version,
                            profile.face_version, profile.faces, profile.flags)

    def description(self) -> dict[str, str]:
        """The ``Key=Value`` lines of an ``INFO`` result (names as real firmware
        reports them; which lines a clock sends is UNCONFIRMED)."""
        status = self.status()
        return {"~DeviceName": self.profile.model, "FWVersion": self.profile.firmware, "SerialNumber": self.sn,
                "IPAddress": self.profile.ip, "UserCount": str(status.users), "FPCount": str(status.fingerprints),
                "AttLogCount": str(status.records), "MaxAttLogCount": str(self.buffer_size)}

    # --- commands -----------------------------------------------------------------------

    def execute(self, command_id: int, text: str) -> tuple[CommandResult, bool]:
        """Carry out one command; the result to post, and whether the clock must reboot
        after posting it. A ``DATA QUERY`` queues its records in :attr:`requeried`."""
        verb = "SET OPTION" if text.startswith("SET OPTION") else text.split(" ", 1)[0]
        if self.faults.reject_commands:
            return CommandResult(command_id, -1002, verb), False
        if text == "INFO":
            return CommandResult(command_id, 0, "INFO", self.description()), False
        if text in ("CHECK", "REBOOT"):
            return CommandResult(command_id, 0, text), text == "REBOOT"
        match = _QUERY.fullmatch(text)
        if match:
            try:
                start, end = (datetime.fromisoformat(value) for value in match.groups())
            except ValueError:
                return CommandResult(command_id, -1, "DATA"), False
            with self.lock:
                found = [record for record in self.log if start <= record.timestamp <= end]
                self.requeried.extend(found)
            # a real clock answered -1 to a query over an empty log (protocols.md §9 sources)
            return CommandResult(command_id, 0 if found else -1, "DATA"), False
        match = _SET_TIME.fullmatch(text)
        if match:
            value = match.group(1)
            try:
                moment = decode_time(int(value)) if value.isdigit() else datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            except (ValueError, FrameError):  # FrameError: an encoded value that names no real date
                return CommandResult(command_id, -1, verb), False
            self.set_time(moment)
            return CommandResult(command_id, 0, verb), False
        # SHELL, user and log commands: this clock runs none of them
        return CommandResult(command_id, -1002, verb), False
