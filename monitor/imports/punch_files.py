"""Punch files: a ZKTeco USB export (``1_attlog.dat``) or a CSV of badge,timestamp[,state].

A file is read by ``drivers.attlog`` and appended through the store's identity rule, so
importing the same file twice adds nothing. Lines that cannot be read are counted and
listed, and never take the good lines with them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from drivers.attlog import FileSummary, PunchFile
from drivers.base import Punch
from monitor.errors import InputFileError, Refused
from monitor.store import AddResult, Store


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
    allow_new_device: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PunchFileImport:
    """Append the punches of ``path``. A device id that is neither configured nor stored
    (``known_devices``) is refused unless ``allow_new_device``: a typo must not create a
    phantom clock. ``progress`` gets the number of bytes read since its last call."""
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
