"""Helpers for the serial reader tests: settings, a hand-moved clock, a background
listener, and a drain that mimics a quiet line. Plain functions and classes (not
fixtures), so this folder needs no conftest of its own."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from drivers.base import DeviceSettings, FrameError, Punch, TimeClock, driver_class
from drivers.framing import Framer


def settings(protocol: str, port: str, *, name: str | None = None, timeout: float = 1.0, **options: Any) -> DeviceSettings:
    """Settings for device ``name`` on ``port`` at the protocol's default baud rate."""
    return DeviceSettings(
        id=name or f"{protocol}-test",
        protocol=protocol,
        port=port,
        baudrate=driver_class(protocol).default_baudrate,
        timeout=timeout,
        options=options,
    )


class ManualClock:
    """A clock that moves only when the test says so (naive local time)."""

    def __init__(self, start: datetime = datetime(2026, 11, 26, 7, 45, 0)):
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


class Listener:
    """Runs ``driver.listen`` in a thread and queues its punches (and its error)."""

    def __init__(self, driver: TimeClock):
        self.driver = driver
        self.stop_event = threading.Event()
        self.punches: queue.Queue[Punch] = queue.Queue()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop(raise_error=exc_info[0] is None)

    def _run(self) -> None:
        try:
            for punch in self.driver.listen(self.stop_event):
                self.punches.put(punch)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc
        finally:
            self.done.set()

    def get(self, timeout: float = 5.0) -> Punch:
        """The next punch; fails the test after ``timeout`` seconds."""
        try:
            return self.punches.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no punch within {timeout} s (listener error: {self.error!r})") from None

    def stop(self, *, raise_error: bool = True) -> list[Punch]:
        """Stop listening; returns the punches nobody took (re-raises a listen error,
        once)."""
        if self.stop_event.is_set():
            return []
        self.stop_event.set()
        self._thread.join(5)
        assert not self._thread.is_alive(), "listen() did not notice the stop event"
        if raise_error and self.error is not None:
            raise self.error
        left = []
        while not self.punches.empty():
            left.append(self.punches.get_nowait())
        return left


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` (a driver's counters, which signal no event) until it holds or
    ``timeout`` passes; returns whether it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def drain(framer: Framer[Any]) -> tuple[list[Any], int]:
    """Every frame the buffered bytes hold, as a reader sees them once the line goes
    quiet; returns the frames and the number of FrameErrors raised."""
    frames: list[Any] = []
    errors = 0
    while True:
        try:
            frame = framer.next_frame()
        except FrameError:
            errors += 1
            continue
        if frame is not None:
            frames.append(frame)
            continue
        if not framer.pending:
            return frames, errors
        try:
            framer.expire()
        except FrameError:
            errors += 1


class GatedWait:
    """The supervisor's sleep: records each back-off delay and blocks until the test
    lets it go, so every retry happens exactly when the test says."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._released = 0
        self._closed = False
        self._changed = threading.Condition()

    def __call__(self, seconds: float) -> None:
        with self._changed:
            self.delays.append(seconds)
            turn = len(self.delays)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released >= turn or self._closed, timeout=10)

    def wait_for_calls(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.delays) >= count, timeout=5), f"only {self.delays} waits"

    def release(self) -> None:
        with self._changed:
            self._released += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
