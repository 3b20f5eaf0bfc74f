"""Pulling one device into the store: the collector's step, and ``devices pull``.

The order is what makes a pull safe to interrupt anywhere:

1. read the device clock and record its offset from the host clock;
2. download the punches after the stored cursor (all or nothing: a broken transfer
   raises and stores nothing);
3. append them (the store's identity rule drops any already held);
4. only then save the new cursor, and only then clear the device log if asked.

A crash between 3 and 4 leaves the old cursor: the next pull downloads the same
punches again and the store drops them as already stored. Nothing is lost or doubled.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from drivers.base import (
    Cursor,
    DeviceInfo,
    DeviceTimeout,
    DeviceUser,
    Disconnected,
    DriverError,
    NotSupported,
    PortUnavailable,
    Progress,
    TimeClock,
    open_driver,
)
from monitor.config import DeviceConfig
from monitor.engine.clock import wall_time
from monitor.errors import InputFileError

OFFLINE_ERRORS = (DeviceTimeout, Disconnected, PortUnavailable)


@dataclass
class PullReport:
    """What one pull did."""

    device_id: str
    new: int = 0
    existing: int = 0
    records_on_device: int | None = None
    log_shrank: bool = False
    clock_offset: float | None = None  # device minus host, seconds
    clock_suspect: bool = False
    cleared: bool = False
    unknown_users: set[str] = field(default_factory=set)
    info: DeviceInfo | None = None


def local_naive(now: Callable[[], datetime]) -> Callable[[], datetime]:
    """Drivers work in naive local wall time: the site clock without its zone."""

    def naive() -> datetime:
        return wall_time(now())

    return naive


def measure_offset(driver: TimeClock, now: Callable[[], datetime]) -> float | None:
    """Device clock minus host clock in whole seconds (the resolution device clocks
    have, so ±1 s is noise), or ``None`` for a device without a clock."""
    if "clock" not in driver.capabilities:
        return None
    try:
        device_time = driver.read_clock()
    except NotSupported:
        return None
    return (device_time.replace(microsecond=0) - local_naive(now)().replace(microsecond=0)).total_seconds()


def host_second(now: Callable[[], datetime]) -> datetime:
    """The host's local time rounded to the nearest second, to set a device clock to."""
    return (local_naive(now)() + timedelta(milliseconds=500)).replace(microsecond=0)


def pull_device(
    store,
    device: DeviceConfig,
    *,
    now: Callable[[], datetime],
    actor: str,
    clear: bool = False,
    progress: Progress | None = None,
    store_progress: Progress | None = None,
    driver: TimeClock | None = None,
) -> PullReport:
    """Download a device's new punches into ``store``; see the module docstring.

    The device's status becomes ``online``, or ``offline``/``error`` with the reason
    when a driver error is raised (and re-raised). ``driver`` may be injected
    (unopened); by default the config's protocol picks it.
    """
    report = PullReport(device.id)
    store.ensure_device(device.id, name=device.settings.name, protocol=device.protocol,
                        unit_code=device.unit, port=device.settings.port)
    clock = driver or open_driver(device.settings, now=local_naive(now))
    try:
        with clock:
            info = clock.info()
            report.info = info
            store.ensure_device(device.id, model=info.model, serial_number=info.serial_number, firmware=info.firmware)
            report.clock_offset = measure_offset(clock, now)
            if report.clock_offset is not None:
                store.record_clock_offset(device.id, report.clock_offset)
            report.clock_suspect = device.clock_suspect(report.clock_offset)
            cursor = Cursor.from_dict(store.load_cursor(device.id))
            fetched = clock.fetch(cursor, progress)
            report.log_shrank = fetched.log_shrank
            report.records_on_device = fetched.records_on_device
            added = store.add_punches(device.id, fetched.punches, source="device",
                                      clock_suspect=report.clock_suspect,
                                      progress=_counting(store_progress, len(fetched.punches)))
            report.new, report.existing = added.new, added.existing
            report.unknown_users = {user for _device, user in added.unknown_users}
            store.save_cursor(device.id, fetched.cursor.to_dict())
            if clear and fetched.records_on_device:
                clock.clear_log()
                report.cleared = True
                store.save_cursor(device.id, Cursor(0, fetched.cursor.last_timestamp).to_dict())
                with store.write():
                    store.audit(actor, "clear-log", "device", device.id,
                                {"records": fetched.records_on_device}, {"records": 0},
                                "cleared after its punches were stored")
    except DriverError as exc:
        store.set_device_status(device.id, "offline" if isinstance(exc, OFFLINE_ERRORS) else "error", str(exc))
        raise
    reason = f"clock {report.clock_offset:+.0f} s off the host" if report.clock_suspect else None
    store.set_device_status(device.id, "online", reason)
    return report


def _counting(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    """Turn the store's batch sizes into (done, total) reports."""
    if progress is None or not total:
        return None
    done = 0

    def report(batch: int) -> None:
        nonlocal done
        done += batch
        progress(done, total)

    return report


# --- enrollments from the device's user list ------------------------------------------


@dataclass
class UserImport:
    """What importing a device's users as enrollments did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    attached_punches: int = 0
    unknown: list[DeviceUser] = field(default_factory=list)  # no employee for these


def read_user_map(path: Path) -> dict[str, str]:
    """A CSV with columns ``device_user_id,employee_code`` (header required)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}") from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"device_user_id", "employee_code"} <= set(rows.fieldnames):
        raise InputFileError(f"{path}: the first line must name the columns device_user_id,employee_code")
    mapping: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    for line, row in enumerate(rows, start=2):
        user, code = (row.get("device_user_id") or "").strip(), (row.get("employee_code") or "").strip()
        if not user or not code:
            problems.append((line, "both device_user_id and employee_code are needed"))
        elif user in mapping and mapping[user] != code:
            problems.append((line, f"device user {user} is already mapped to {mapping[user]}"))
        else:
            mapping[user] = code
    if problems:
        details = "; ".join(f"line {line}: {why}" for line, why in problems[:5])
        raise InputFileError(f"{path}: {len(problems)} bad row(s): {details}", problems)
    return mapping


def import_device_users(
    store,
    device_id: str,
    users: Iterable[DeviceUser],
    *,
    actor: str,
    mapping: Mapping[str, str] | None = None,
) -> UserImport:
    """Enroll a device's users: a user id listed in ``mapping`` goes to that employee,
    any other to the employee whose code equals the device user id. Users matching no
    employee are returned in ``unknown``, not imported."""
    employees = {row["code"] for row in store.employees()}
    mapping = mapping or {}
    result = UserImport()
    rows = []
    for user in users:
        code = mapping.get(user.user_id, user.user_id)
        if code in employees:
            rows.append({"device_id": device_id, "device_user_id": user.user_id, "employee_code": code, "kind": "user"})
        else:
            result.unknown.append(user)
    upserted = store.upsert_enrollments(rows, actor=actor, reason=f"imported from the user list of device {device_id}")
    result.added, result.updated, result.unchanged = upserted.added, upserted.updated, upserted.unchanged
    result.attached_punches = upserted.attached_punches
    return result
