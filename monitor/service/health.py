"""Status that cannot lie: the collector's heartbeat and the spool decide what a device's
stored status is worth.

The collector writes a heartbeat every :data:`HEARTBEAT_SECONDS`. When the newest is
older than :data:`STALE_BEATS` beats, the collector is not running (killed, crashed,
stopped) and every device it owns shows "collector not running", whatever its row last
said. Punches waiting in a device's spool make it "degraded".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config import Config
from monitor.service.spool import spool_backlog

HEARTBEAT_SECONDS = 15
STALE_BEATS = 4  # a minute without a beat: not a slow job, a dead process
NOT_RUNNING = "collector not running"


@dataclass(frozen=True)
class CollectorState:
    running: bool
    last_beat: datetime | None
    age_seconds: float | None

    def describe(self) -> str:
        if self.last_beat is None:
            return "the collector ('monitor run') has never run on this database"
        if self.running:
            return f"running (last heartbeat {self.age_seconds:.0f} s ago)"
        return f"not running: last heartbeat at {self.last_beat:%Y-%m-%d %H:%M:%S} ({self.age_seconds:.0f} s ago); start 'monitor run'"


def beat(store, now: datetime, *, devices: int) -> None:
    """Record that the collector is alive (called by its scheduler)."""
    store.beat({"at": now.isoformat(timespec="seconds"), "pid": os.getpid(), "devices": devices,
                "interval": HEARTBEAT_SECONDS})


def collector_state(store, now: datetime) -> CollectorState:
    state = store.heartbeat()
    if not state:
        return CollectorState(False, None, None)
    last = datetime.fromisoformat(state["at"])
    age = (now - last).total_seconds()
    interval = float(state.get("interval") or HEARTBEAT_SECONDS)
    return CollectorState(age <= interval * STALE_BEATS, last, age)


def device_health(store, config: Config, now: datetime) -> dict[str, dict[str, Any]]:
    """device id → ``{"status", "status_reason"}`` to show instead of the stored row,
    for devices whose stored status cannot be trusted (collector gone, spool waiting)."""
    overrides: dict[str, dict[str, Any]] = {}
    collector = collector_state(store, now)
    if not collector.running:
        for device in config.devices:
            if device.enabled:
                overrides[device.id] = {"status": NOT_RUNNING, "status_reason": collector.describe()}
    for device_id, waiting in spool_backlog(config.storage.spool).items():
        reason = f"storage: {waiting} punch(es) waiting in the spool (the database refuses writes)"
        if device_id in overrides:
            overrides[device_id]["status_reason"] += f"; {reason}"
        else:
            overrides[device_id] = {"status": "degraded", "status_reason": reason}
    return overrides
