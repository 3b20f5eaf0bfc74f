"""Keep a device's live listening going through unplugs, power cuts and bad cables.

A :class:`Supervisor` runs one driver's ``listen`` loop in a thread. It hands every
punch to ``on_punch`` and every change of the device's state to ``on_status``
(``online`` with the port actually opened, ``offline`` with the reason, ``stopped``).
When the port fails it closes the driver and tries again after 1, 2, 4, ... seconds (up
to ``max_delay``), and resumes as soon as the port opens again. Each attempt builds a new
driver from the settings, so the port name is resolved again: a ``hwgrep://VID:PID`` URL
finds the adapter under its new ``/dev/ttyUSB*`` name, and a stable link such as
``/dev/serial/by-id/...`` follows the device it now points to.

It knows nothing of the database: the collector passes callbacks. ``wait`` and ``now``
are injectable so tests decide when a retry happens.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drivers.base import DeviceSettings, DriverError, Punch, TimeClock, open_driver

log = logging.getLogger(__name__)

ONLINE, OFFLINE, STOPPED = "online", "offline", "stopped"
REPLUG_POLL = 0.25  # seconds between looks for an unplugged adapter's port


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The device went online or offline (with why), or supervision stopped."""

    device_id: str
    status: str  # online, offline, stopped
    reason: str | None
    at: datetime
    port: str | None = None  # the port actually opened, when online
    retry_in: float | None = None  # seconds until the next attempt, when offline


def _port_identity(port: str) -> tuple[int, int] | None:
    """The port's directory entry (inode, change time); ``None`` when it is missing. A
    replugged adapter gets a new entry (udev makes a new node or link)."""
    try:
        entry = os.lstat(port)
    except OSError:
        return None
    return entry.st_ino, entry.st_ctime_ns


def _wait_on(stop: threading.Event, port: str) -> Callable[[float], None]:
    """The back-off wait: ends early on stop, and for a local port (``/dev/...``) as
    soon as the port is back after going away (the adapter was replugged), so a
    replugged reader returns within a poll slice, not after the back-off. A port that
    stays as it was (a reader that does not answer) waits the back-off out."""

    def wait(seconds: float) -> None:
        if not port.startswith("/"):
            stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        before = _port_identity(port)
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            stop.wait(min(REPLUG_POLL, left))
            now = _port_identity(port)
            if now is not None and now != before:
                return
            before = before if now is not None else None

    return wait


def _reason(exc: DriverError) -> str:
    """The error without the device id (the status belongs to that device already)."""
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


class Supervisor:
    """Runs ``driver.listen`` for one device with reconnection and back-off."""

    def __init__(
        self,
        settings: DeviceSettings,
        on_punch: Callable[[Punch], None],
        on_status: Callable[[StatusChange], None],
        *,
        make_driver: Callable[[DeviceSettings], TimeClock] | None = None,
        now: Callable[[], datetime] = datetime.now,
        wait: Callable[[float], None] | None = None,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
    ):
        self.settings = settings
        self.on_punch = on_punch
        self.on_status = on_status
        self.now = now
        self.make_driver = make_driver or (lambda s: open_driver(s, now=now))
        self.stop_event = threading.Event()
        # the default wait ends early on stop(); an injected one must return by itself
        self.wait = wait or _wait_on(self.stop_event, settings.port)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.status: str | None = None
        self.reason: str | None = None
        self._thread: threading.Thread | None = None

    # --- thread control ---------------------------------------------------------------

    def start(self) -> None:
        """Run :meth:`run` in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name=f"supervisor-{self.settings.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait for it (the driver notices within a read slice)."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # it is a daemon thread: the process may still end
                log.warning("%s: the reading thread did not stop within %.0f s (stuck in a read or a write?)",
                            self.settings.id, timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the loop -----------------------------------------------------------------------

    def run(self) -> None:
        """Listen, reconnect and back off until :meth:`stop`."""
        delay = self.first_delay
        while not self.stop_event.is_set():
            problem = self._session()
            if self.stop_event.is_set():
                break
            if problem is None:
                # listen ended without an error (a driver that gives up quietly):
                # treat it as a lost connection rather than spinning
                problem = "the device stopped sending"
            if self.status == ONLINE:
                delay = self.first_delay  # it worked until now: start the back-off over
            self._report(OFFLINE, problem, retry_in=delay)
            self.wait(delay)
            delay = min(delay * 2, self.max_delay)
        self._report(STOPPED, None)

    def _session(self) -> str | None:
        """One connection: open, listen until failure; the failure's text, or ``None``."""
        try:
            driver = self.make_driver(self.settings)
        except DriverError as exc:
            return _reason(exc)
        try:
            driver.open()
            self._report(ONLINE, None, port=getattr(driver, "connected_port", None) or self.settings.port)
            for punch in driver.listen(self.stop_event):
                self.on_punch(punch)
            return None
        except DriverError as exc:
            return _reason(exc)
        except Exception as exc:  # noqa: BLE001 - a failing callback must not end supervision
            log.exception("%s: listening failed", self.settings.id)
            return f"{type(exc).__name__}: {exc}"
        finally:
            driver.close()

    def _report(self, status: str, reason: str | None, *, port: str | None = None, retry_in: float | None = None) -> None:
        if (status, reason) == (self.status, self.reason):
            return  # the same outage again: not news
        self.status, self.reason = status, reason
        change = StatusChange(self.settings.id, status, reason, self.now(), port=port, retry_in=retry_in)
        try:
            self.on_status(change)
        except Exception:  # noqa: BLE001 - reporting must not stop reconnecting
            log.exception("%s: status callback failed", self.settings.id)
