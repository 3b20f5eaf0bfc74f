"""Setting a device clock to the host clock: one audited step for the CLI and the collector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drivers.base import NotSupported, TimeClock
from monitor.config import DeviceConfig
from monitor.service.ingest import host_second, measure_offset
from monitor.store import Store


@dataclass(frozen=True)
class ClockSync:
    """Device minus host, in seconds, before and after the clock was set."""

    before: float | None
    after: float | None

    def __str__(self) -> str:
        return f"offset {_seconds(self.before)} before, {_seconds(self.after)} after"


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:+.0f} s"


def sync_clock(
    clock: TimeClock,
    device: DeviceConfig,
    *,
    now: Callable[[], datetime],
    store: Store | None,
    actor: str,
    reason: str,
) -> ClockSync:
    """Set the open ``clock`` to the host's second; record the new offset and audit the
    change in ``store`` (``None``: no database yet, nothing to record)."""
    if "clock" not in clock.capabilities:
        raise NotSupported(f"a {device.protocol} device has no clock to set", device=device.id)
    before = measure_offset(clock, now)
    clock.set_clock(host_second(now))
    after = measure_offset(clock, now)
    if store is not None:
        with store.write():
            if after is not None:
                store.record_clock_offset(device.id, after)
            store.audit(actor, "sync-time", "device", device.id, {"offset_seconds": before}, {"offset_seconds": after}, reason)
    return ClockSync(before, after)
