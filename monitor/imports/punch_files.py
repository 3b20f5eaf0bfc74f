"""Punch files: a ZKTeco USB export (``1_attlog.dat``) or a CSV of badge,timestamp[,state].

A file is read by ``drivers.attlog`` and appended through the store's identity rule, so
importing the same file twice adds nothing. Lines that cannot be read are counted and
listed, and never take the good lines with them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from drivers.attlog import FileSummary, PunchFile
from drivers.base import Punch
from monitor.errors import InputFileError, Refused
from monitor.imports.tables import Row, control_character, excerpt
from monitor.store import AddResult, Store

MAX_BADGE = 32  # characters: ZKTeco PINs are at most 24, printed card numbers about 10


@dataclass(frozen=True)
class PunchWindow:
    """The punch times a file may hold: a clock that lost its battery or a corrupted
    export writes 1970, 2131 or 9999, and those must not reach the timesheets."""

    earliest: datetime  # naive local time, like the punches of a file
    latest: datetime

    @classmethod
    def around(cls, now: datetime, *, not_before: date = date(2000, 1, 1), max_ahead_hours: int = 24) -> PunchWindow:
        """From the config's ``punch_not_before`` and ``punch_max_ahead_hours``; ``now``
        is local time (aware or naive)."""
        local_now = now.replace(tzinfo=None)
        return cls(datetime.combine(not_before, time()), local_now + timedelta(hours=max_ahead_hours))

    def refusal(self, punch: Punch) -> str | None:
        """Why ``punch`` is refused as implausible, or ``None``."""
        if punch.timestamp < self.earliest:
            return f"punch time {punch.timestamp:%Y-%m-%d %H:%M:%S} is before {self.earliest:%Y-%m-%d} (storage.punch_not_before)"
        if punch.timestamp > self.latest:
            return (f"punch time {punch.timestamp:%Y-%m-%d %H:%M:%S} is after {self.latest:%Y-%m-%d %H:%M}"
                    " (more than storage.punch_max_ahead_hours from now)")
        return None


def badge_refusal(punch: Punch) -> str | None:
    """Why a record's badge (PIN or card number) is refused, or ``None``."""
    badge = punch.user_id
    if len(badge) > MAX_BADGE:
        return f"badge is {len(badge)} characters long (at most {MAX_BADGE}): {excerpt(badge)}"
    return control_character(Row(0, {"badge": badge}))


@dataclass(frozen=True)
class DeviceMap:
    """Which device a file's punches came from: one device, or, for a merged export,
    a device per machine number."""

    single: str | None = None
    by_machine: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, items: Collection[str]) -> DeviceMap:
        """From ``ID`` or several ``MACHINE_NUMBER=ID``."""
        single: str | None = None
        by_machine: dict[str, str] = {}
        for item in items:
            if "=" in item:
                number, _, device_id = item.partition("=")
                by_machine[number.strip()] = device_id.strip()
            elif single is None:
                single = item
            else:
                raise Refused("give one --device ID, or several --device MACHINE_NUMBER=ID")
        if single and by_machine:
            raise Refused("give one --device ID, or several --device MACHINE_NUMBER=ID, not both")
        return cls(single, by_machine)

    @property
    def device_ids(self) -> list[str]:
        return [self.single] if self.single else list(self.by_machine.values())


@dataclass
class PunchFileImport:
    """What importing a punch file did."""

    summary: FileSummary
    added: AddResult
    unmapped: dict[str, int]  # machine number → punches skipped for want of a device

    @property
    def complete(self) -> bool:
        """Every line of the file was read and stored (or already held)."""
        return not self.summary.problem_count and not self.unmapped


def import_punch_file(
    store: Store,
    path: Path,
    devices: DeviceMap,
    *,
    known_devices: Collection[str],
    window: PunchWindow,
    allow_new_device: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PunchFileImport:
    """Append the punches of ``path``. A device id that is neither configured nor stored
    (``known_devices``) is refused unless ``allow_new_device``: a typo must not create a
    phantom clock. A record whose time is outside ``window``, whose badge is too long
    or holds a control character is refused and listed with its line number; the rest
    are stored. ``progress`` gets the number of bytes read since its last call."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    for device_id in devices.device_ids:
        if device_id not in known_devices and not allow_new_device:
            listed = ", ".join(sorted(known_devices)) or "none"
            raise Refused(
                f"device {device_id!r} is not in the config or the database (known: {listed});"
                " add a [[devices]] entry or pass --new-device"
            )
        store.ensure_device(device_id)
    punch_file = PunchFile(path)
    unmapped: dict[str, int] = {}

    def attributed() -> Iterator[tuple[str, Punch]]:
        for machine, punch in punch_file:
            refused = badge_refusal(punch) or window.refusal(punch)
            if refused:
                punch_file.summary.problem(punch_file.line, f"{refused}; line: {excerpt(_text(punch.raw))}")
                continue
            if devices.single:
                yield devices.single, punch
                continue
            device_id = devices.by_machine.get(machine or "")
            if device_id is None:
                unmapped[machine or "(none)"] = unmapped.get(machine or "(none)", 0) + 1
                continue
            yield device_id, punch

    reported = 0

    def on_batch(_count: int) -> None:
        nonlocal reported
        if progress:
            progress(punch_file.bytes_read - reported)
        reported = punch_file.bytes_read

    added = store.add_device_punches(attributed(), source="file", progress=on_batch)
    if progress:
        progress(punch_file.bytes_read - reported)
    return PunchFileImport(punch_file.summary, added, unmapped)


def _text(raw: object) -> str:
    return raw if isinstance(raw, str) else repr(raw)
