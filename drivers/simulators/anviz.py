"""Simulated Anviz TC_B clocks: one or several (an RS485 bus) on one pseudo-terminal.

Each clock has a device id, a clock (the host clock plus ``clock_offset`` seconds), a
log of records with *new* flags, and generated staff. ``punch USERID [DEVICE_ID]``
records a punch on a clock (the first one by default) at its current time. Records
generated at start (``records`` per clock, from the seed) are all flagged new, as on a
clock nobody has downloaded from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from drivers.anviz.clock import DEFAULT_EPOCH
from drivers.anviz.frames import (
    BATCH,
    CLEAR_RECORDS,
    DOWNLOAD,
    FROM_FIRST_ALL,
    FROM_FIRST_NEW,
    GET_TIME,
    RECORD_INFO,
    REPLY,
    SET_TIME,
    AnvizFramer,
    decode_time,
    encode_counts,
    encode_record,
    encode_time,
    reply,
)
from drivers.base import FrameError
from drivers.simulators.serial_sim import SerialSimulator

FAIL = 0x01


@dataclass
class SimulatedRecord:
    raw: bytes
    new: bool = True


@dataclass
class SimulatedClock:
    device_id: int
    offset: timedelta
    users: list[int]
    records: list[SimulatedRecord] = field(default_factory=list)
    pending: list[SimulatedRecord] = field(default_factory=list)  # a download in progress


class AnvizSimulator(SerialSimulator):
    kind = "anviz clocks"

    def __init__(
        self,
        *,
        device_ids: tuple[int, ...] = (1,),
        users: int = 20,
        records: int = 0,
        clock_offset: float = 0.0,
        epoch: str = DEFAULT_EPOCH,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not device_ids or len(set(device_ids)) != len(device_ids) or 0 in device_ids:
            raise ValueError("device ids must be distinct and not 0 (0 addresses every clock)")
        self.epoch = datetime.fromisoformat(epoch)
        self.clocks: dict[int, SimulatedClock] = {}
        for device_id in device_ids:
            staff = sorted(self.rng.sample(range(1, 100000), users)) if users else [1]
            clock = SimulatedClock(device_id, timedelta(seconds=clock_offset), staff)
            clock.records = [SimulatedRecord(raw) for raw in self._history(clock, records)]
            self.clocks[device_id] = clock
        self._framer = AnvizFramer()
        self.requests = 0

    def _history(self, clock: SimulatedClock, count: int) -> list[bytes]:
        """``count`` records over the days before now, oldest first."""
        start = self._clock_time(clock) - timedelta(days=max(1, count // 40 + 1))
        step = (self._clock_time(clock) - start) / max(count, 1)
        history = []
        for index in range(count):
            when = start + step * index + timedelta(seconds=self.rng.randrange(60))
            state = self.rng.choice((0, 1))
            history.append(
                encode_record(self.rng.choice(clock.users), self._seconds(when), self.rng.choice((0, 0, 3)), state, 0)
            )
        return history

    # --- what people do ---------------------------------------------------------------

    def punch(self, user_id: int, device_id: int | None = None, *, state: int = 0) -> datetime:
        """Record a punch on a clock (the first one by default); returns its time."""
        with self._lock:
            clock = self._clock(device_id)
            when = self._clock_time(clock).replace(microsecond=0)
            clock.records.append(SimulatedRecord(encode_record(user_id, self._seconds(when), 0, state, 0)))
        self._notify()
        return when

    def do_punch(self, rest: str) -> str:
        """punch USERID [DEVICE_ID] — a user punches on a clock (the first by default)"""
        words = rest.split()
        if not 1 <= len(words) <= 2:
            raise ValueError("usage: punch USERID [DEVICE_ID]")
        device_id = int(words[1]) if len(words) == 2 else None
        when = self.punch(int(words[0]), device_id)
        return f"user {words[0]} punched on clock {self._clock(device_id).device_id} at {when:%Y-%m-%d %H:%M:%S}"

    def do_clocks(self, rest: str) -> str:
        """clocks — list the clocks with their record counts"""
        with self._lock:
            return "\n".join(
                f"clock {c.device_id}: {len(c.records)} records ({sum(r.new for r in c.records)} new), time {self._clock_time(c):%Y-%m-%d %H:%M:%S}"
                for c in self.clocks.values()
            )

    # --- the clocks -------------------------------------------------------------------

    def received(self, data: bytes) -> None:
        self._framer.feed(data)
        while True:
            try:
                frame = self._framer.next_frame()
            except FrameError:
                continue  # garbled: a clock stays silent, the host asks again
            if frame is None:
                return
            if frame.command & REPLY:
                continue  # another clock's reply on the shared line
            self.requests += 1
            targets = list(self.clocks.values()) if frame.device_id == 0 else [self.clocks.get(frame.device_id)]
            for clock in targets:
                if clock is None:
                    continue  # not one of ours: silence, as on a real bus
                with self._lock:
                    ret, answer = self._answer(clock, frame.command, frame.data)
                self.send(reply(clock.device_id, frame.command, answer, ret))
            self._notify()

    def _answer(self, clock: SimulatedClock, command: int, data: bytes) -> tuple[int, bytes]:
        if command == GET_TIME:
            return 0, encode_time(self._clock_time(clock))
        if command == SET_TIME:
            try:
                clock.offset = decode_time(data) - self.now().replace(tzinfo=None)
            except FrameError:
                return FAIL, b""
            return 0, b""
        if command == RECORD_INFO:
            new = sum(r.new for r in clock.records)
            return 0, encode_counts(len(clock.users), len(clock.users), 0, 0, len(clock.records), new)
        if command == DOWNLOAD and len(data) >= 2:
            return self._download(clock, data[0], data[1])
        if command == CLEAR_RECORDS and len(data) >= 4:
            return self._clear(clock, data[0], int.from_bytes(data[1:4], "big"))
        return FAIL, b""

    def _download(self, clock: SimulatedClock, mode: int, count: int) -> tuple[int, bytes]:
        if mode == FROM_FIRST_ALL:
            clock.pending = list(clock.records)
        elif mode == FROM_FIRST_NEW:
            clock.pending = [r for r in clock.records if r.new]
        batch, clock.pending = clock.pending[: min(count, BATCH)], clock.pending[min(count, BATCH) :]
        return 0, bytes([len(batch)]) + b"".join(r.raw for r in batch)

    def _clear(self, clock: SimulatedClock, mode: int, amount: int) -> tuple[int, bytes]:
        if mode == 0:
            clock.records.clear()
        elif mode == 1:
            for record in clock.records:
                record.new = False
        elif mode == 2:
            for record in [r for r in clock.records if r.new][:amount]:
                record.new = False
        else:
            return FAIL, b""
        return 0, b""

    def _clock(self, device_id: int | None) -> SimulatedClock:
        if device_id is None:
            return next(iter(self.clocks.values()))
        if device_id not in self.clocks:
            raise ValueError(f"no clock {device_id} (clocks: {', '.join(map(str, self.clocks))})")
        return self.clocks[device_id]

    def _clock_time(self, clock: SimulatedClock) -> datetime:
        return self.now().replace(tzinfo=None) + clock.offset

    def _seconds(self, when: datetime) -> int:
        return int((when - self.epoch).total_seconds())
