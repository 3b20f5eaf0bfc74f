"""Storing what live readers hear: the store side of :class:`drivers.supervisor.Supervisor`.

Readers without a clock or a log (fingerprint modules, card readers, line printers) can
only be heard live: a punch that is not stored when it happens is lost. A
:class:`LiveCollector` gives each device's supervisor two callbacks: one appends each
punch to the device's spool file (:mod:`monitor.service.spool`, fsync'd, so it is on
disk at once whatever the database is doing) and wakes the drain; one keeps the
device's status (online with the port, offline with the reason) in the database.

A drain thread moves spooled punches into the database (the store's identity rule drops
a repeat) and retries every second while the database refuses; meanwhile the device's
status is ``degraded`` ("storage: N punches waiting in the spool"). Supervisors and the
drain run in threads of their own, so every store call goes through one lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drivers.base import Punch
from drivers.supervisor import ONLINE, STOPPED, StatusChange, Supervisor
from monitor.config import DeviceConfig
from monitor.errors import StorageError
from monitor.service.ingest import local_naive
from monitor.service.spool import DeviceSpool

log = logging.getLogger("monitor.service.live")
DEGRADED = "degraded"
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Heard:
    """One punch as stored: whether it was new, and whether anyone is enrolled for it
    (``None`` for a repeat of a stored punch, which the store does not look up)."""

    device_id: str
    punch: Punch
    new: bool
    enrolled: bool | None


class LiveCollector:
    """Supervises live devices, spools their punches and stores them and their status."""

    def __init__(
        self,
        store,
        *,
        now: Callable[[], datetime],
        on_punch: Callable[[Heard], None] | None = None,
        on_status: Callable[[StatusChange], None] | None = None,
        wait: Callable[[float], None] | None = None,
        spool: Path | None = None,
    ):
        self.store = store
        self.now = now
        self.on_punch = on_punch
        self.on_status = on_status
        self.wait = wait
        # the config's [storage] spool; by default beside the database
        self.spool_folder = spool or Path(store.path).with_suffix(".spool")
        self.supervisors: list[Supervisor] = []
        self.spools: dict[str, DeviceSpool] = {}
        self._listening: dict[str, str] = {}  # device -> "listening on PORT", while online
        self._degraded: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drainer: threading.Thread | None = None

    def add(self, device: DeviceConfig) -> Supervisor:
        """Start supervising one device (punches a previous run left in its spool are
        moved into the database first thing)."""
        self.spools[device.id] = DeviceSpool(self.spool_folder, device.id)
        self._start_drain()
        try:
            with self._lock:
                self.store.ensure_device(device.id, name=device.settings.name, protocol=device.protocol,
                                         unit_code=device.unit, port=device.settings.port)
        except StorageError as exc:
            log.warning("%s: %s", device.id, exc)  # listening matters more; the drain retries
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
        """Stop every supervisor (each records its device as stopped), then move what the
        spools still hold into the database if it takes it."""
        for supervisor in self.supervisors:
            supervisor.stop_event.set()
        for supervisor in self.supervisors:
            supervisor.stop()
        self._stopping.set()
        self._wake.set()
        if self._drainer is not None:
            self._drainer.join(10)
            if self._drainer.is_alive():
                log.warning("live readers: the spool drain did not stop within 10 s (the database busy?); "
                            "what it did not store stays in the spool for the next start")
        for spool in self.spools.values():
            spool.close()

    def backlog(self) -> dict[str, int]:
        """Punches heard but not yet in the database, per device."""
        return {device: spool.backlog() for device, spool in self.spools.items()}

    def _punch(self, device_id: str, punch: Punch) -> None:
        # durable first: whatever the database does next, the punch is on disk
        self.spools[device_id].append(punch)
        self._wake.set()

    # --- the drain --------------------------------------------------------------------

    def _start_drain(self) -> None:
        if self._drainer is None:
            self._drainer = threading.Thread(target=self._drain_loop, name="spool-drain", daemon=True)
            self._drainer.start()
        self._wake.set()

    def _drain_loop(self) -> None:
        while True:
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()
            complete = self.drain()
            if self._stopping.is_set():
                break
            if not complete:
                self._stopping.wait(RETRY_SECONDS)

    def drain(self) -> bool:
        """Move every spooled punch into the database; ``False`` when it refused some."""
        complete = True
        for device_id, spool in list(self.spools.items()):
            waiting = spool.waiting()
            if not waiting.punches:
                continue
            stored = 0
            try:
                for punch in waiting.punches:
                    with self._lock:
                        added = self.store.add_punches(device_id, [punch], source="device")
                    stored += 1
                    if self.on_punch is not None:
                        new = added.new == 1
                        enrolled = (device_id, punch.user_id) not in added.unknown_users if new else None
                        self.on_punch(Heard(device_id, punch, new, enrolled))
            except StorageError as exc:
                complete = False
                self._degrade(device_id, len(waiting.punches) - stored, exc)
                continue
            spool.drained(waiting.end)
            if device_id in self._degraded:
                self._recovered(device_id)
        return complete

    def _degrade(self, device_id: str, waiting: int, exc: StorageError) -> None:
        first = device_id not in self._degraded
        self._degraded.add(device_id)
        if first:
            log.warning("%s: %d punch(es) kept in the spool until the database takes them: %s", device_id, waiting, exc)
        try:
            with self._lock:
                self.store.set_device_status(device_id, DEGRADED, f"storage: {waiting} punch(es) waiting in the spool")
        except StorageError:
            pass  # the database refuses this too; the devices page reads the spool itself

    def _recovered(self, device_id: str) -> None:
        self._degraded.discard(device_id)
        log.warning("%s: the spool is empty again; every punch heard is in the database", device_id)
        listening = self._listening.get(device_id)
        try:
            with self._lock:
                if listening:
                    self.store.set_device_status(device_id, "online", listening)
                else:
                    self.store.set_device_status(device_id, "offline", "the spool is drained; the reader is not connected")
        except StorageError:
            self._degraded.add(device_id)

    def _status(self, change: StatusChange) -> None:
        if change.status == ONLINE:
            status, reason = "online", f"listening on {change.port}"
            self._listening[change.device_id] = reason
        elif change.status == STOPPED:
            status, reason = "offline", "the collector stopped listening"
            self._listening.pop(change.device_id, None)
        else:
            status, reason = "offline", change.reason
            self._listening.pop(change.device_id, None)
        if change.device_id in self._degraded and change.status == ONLINE:
            status = DEGRADED  # heard, but the database still refuses: say so
            reason = f"storage: punches waiting in the spool; {reason}"
        try:
            with self._lock:
                self.store.set_device_status(change.device_id, status, reason)
        except StorageError as exc:
            log.warning("%s: status not recorded: %s", change.device_id, exc)
        if self.on_status is not None:
            self.on_status(change)
