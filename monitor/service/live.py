"""Storing what live readers hear: the store side of :class:`drivers.supervisor.Supervisor`.

Readers without a clock or a log (fingerprint modules, card readers, line printers) can
only be heard live: a punch that is not stored when it happens is lost. A
:class:`LiveCollector` gives each device's supervisor two callbacks, one storing each
punch as it arrives (the store's identity rule drops a repeat) and one keeping the
device's status (online with the port, offline with the reason) in the database.
Supervisors run in threads of their own, so every store call goes through one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drivers.base import Punch
from drivers.supervisor import ONLINE, STOPPED, StatusChange, Supervisor
from monitor.config import DeviceConfig
from monitor.service.ingest import local_naive


@dataclass(frozen=True)
class Heard:
    """One punch as stored: whether it was new, and whether anyone is enrolled for it
    (``None`` for a repeat of a stored punch, which the store does not look up)."""

    device_id: str
    punch: Punch
    new: bool
    enrolled: bool | None


class LiveCollector:
    """Supervises live devices and stores their punches and status."""

    def __init__(
        self,
        store,
        *,
        now: Callable[[], datetime],
        on_punch: Callable[[Heard], None] | None = None,
        on_status: Callable[[StatusChange], None] | None = None,
        wait: Callable[[float], None] | None = None,
    ):
        self.store = store
        self.now = now
        self.on_punch = on_punch
        self.on_status = on_status
        self.wait = wait
        self.supervisors: list[Supervisor] = []
        self._lock = threading.Lock()

    def add(self, device: DeviceConfig) -> Supervisor:
        """Start supervising one device."""
        with self._lock:
            self.store.ensure_device(device.id, name=device.settings.name, protocol=device.protocol,
                                     unit_code=device.unit, port=device.settings.port)
        supervisor = Supervisor(
            device.settings,
            lambda punch: self._punch(device.id, punch),
            self._status,
            now=local_naive(self.now),
            wait=self.wait,
        )
        self.supervisors.append(supervisor)
        supervisor.start()
        return supervisor

    def stop(self) -> None:
        """Stop every supervisor (each records its device as stopped)."""
        for supervisor in self.supervisors:
            supervisor.stop_event.set()
        for supervisor in self.supervisors:
            supervisor.stop()

    def _punch(self, device_id: str, punch: Punch) -> None:
        with self._lock:
            added = self.store.add_punches(device_id, [punch], source="device")
        if self.on_punch is not None:
            new = added.new == 1
            enrolled = (device_id, punch.user_id) not in added.unknown_users if new else None
            self.on_punch(Heard(device_id, punch, new, enrolled))

    def _status(self, change: StatusChange) -> None:
        if change.status == ONLINE:
            status, reason = "online", f"listening on {change.port}"
        elif change.status == STOPPED:
            status, reason = "offline", "the collector stopped listening"
        else:
            status, reason = "offline", change.reason
        with self._lock:
            self.store.set_device_status(change.device_id, status, reason)
        if self.on_status is not None:
            self.on_status(change)
