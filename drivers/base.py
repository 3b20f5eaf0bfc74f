"""The one small interface every time-clock driver implements.

A driver knows bytes and frames. It knows nothing of employees, schedules or the
database: it turns a device's records into :class:`Punch` values and reports what the
device says about itself. The collector (``monitor``) decides what to store.

Timestamps: time clocks record local wall time, so drivers return *naive* local
datetimes exactly as the device recorded them. Readers without a clock of their own
(fingerprint modules, card readers) stamp a punch with the injected ``now()`` at the
moment the frame was complete, also as naive local time in the site's zone.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

# Ports and URLs accepted by serial.serial_for_url; everything else is the driver's own
# (for instance zkteco's tcp:// and udp:// network transports).
BAUDRATES = (9600, 19200, 38400, 57600, 115200)


# --- errors ---------------------------------------------------------------------------


class DriverError(Exception):
    """Root of every error a driver raises. ``device`` names the device, ``hint`` says
    what to try; ``str()`` gives one line with both."""

    def __init__(self, message: str, *, device: str | None = None, hint: str | None = None):
        self.device = device
        self.hint = hint
        self.message = message
        text = f"{device}: {message}" if device else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class FrameError(DriverError):
    """Bytes that are not a valid frame: bad checksum, bad length, unknown reply."""


class DeviceTimeout(DriverError):
    """The device did not answer in time."""


class DeviceRefused(DriverError):
    """The device answered but refused: wrong comm key or password, busy, error reply."""


class Disconnected(DriverError):
    """The port or connection went away (cable unplugged, peer closed)."""


class PortUnavailable(DriverError):
    """The port cannot be opened: missing, busy, or no permission."""


class NotSupported(DriverError):
    """The protocol or device has no such operation (e.g. no clock on a card reader)."""


# --- values ---------------------------------------------------------------------------


class Punch(NamedTuple):
    """One attendance record as the device gave it.

    A named tuple rather than a dataclass: a big import builds a million of them, and a
    tuple is built in half the time of a frozen dataclass.
    """

    user_id: str  # device user id, card number or fingerprint page, as text
    timestamp: datetime  # naive local wall time
    verify_mode: int | None = None  # 0 password, 1 fingerprint, 2 card, ... (protocol's own)
    state: int | None = None  # 0 check-in, 1 check-out, 2 break-out, 3 break-in, 4/5 OT
    work_code: int | None = None
    raw: bytes | str = b""  # the record's frame bytes, or the text line it came from


@dataclass(frozen=True, slots=True)
class DeviceUser:
    """A user record held by the device (for importing enrollments)."""

    user_id: str
    name: str = ""
    card: str | None = None
    privilege: int | None = None
    uid: int | None = None  # the device's internal slot number where it has one


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the device says about itself; ``None`` where the protocol cannot tell."""

    protocol: str
    model: str | None = None
    serial_number: str | None = None
    firmware: str | None = None
    user_count: int | None = None
    record_count: int | None = None
    record_capacity: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the last successful download stopped.

    ``record_count`` is the device's record count after that download, and
    ``last_timestamp`` the timestamp of the last record it returned, in the device's
    own order (the newest one unless someone changed the device clock backwards).
    ``extra`` holds anything else a protocol needs (zkteco: ``last_user``, the user of
    that record); the whole cursor must survive ``to_dict``/``from_dict`` (JSON).
    """

    record_count: int = 0
    last_timestamp: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_count": self.record_count,
            "last_timestamp": self.last_timestamp.isoformat() if self.last_timestamp else None,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Cursor:
        if not data:
            return cls()
        stamp = data.get("last_timestamp")
        return cls(
            record_count=int(data.get("record_count") or 0),
            last_timestamp=datetime.fromisoformat(stamp) if stamp else None,
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The punches after a cursor, and the cursor to store once they are committed.

    ``log_shrank`` is true when the device holds fewer records than the cursor says it
    did: someone cleared the log. Then ``punches`` is everything the device still has.
    """

    punches: list[Punch]
    cursor: Cursor
    log_shrank: bool = False
    records_on_device: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """How to reach one device; built by ``monitor.config`` from a ``[[devices]]`` entry."""

    id: str
    protocol: str
    port: str  # a serial port name or any serial_for_url / driver URL
    name: str = ""
    baudrate: int = 115200
    timeout: float = 3.0
    options: Mapping[str, Any] = field(default_factory=dict)


Progress = Callable[[int, int], None]  # (done, total) while downloading


# --- the interface --------------------------------------------------------------------


class TimeClock(abc.ABC):
    """A time clock or reader behind one port.

    Use as a context manager, or call :meth:`open` and :meth:`close`. Operations a
    protocol lacks raise :class:`NotSupported`; ``capabilities`` says which exist, so
    callers can ask first.
    """

    protocol: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()  # "clock", "fetch", "live", "users", "clear"
    # protocol-specific [[devices]] options: name -> (type, default); config checks them
    options: ClassVar[Mapping[str, tuple[type, Any]]] = {}
    default_baudrate: ClassVar[int] = 115200

    @classmethod
    def probe(cls, port: str, *, timeout: float = 1.0) -> DeviceInfo | None:
        """Whether a device of this protocol answers on ``port`` (for ``devices scan
        --probe``): its info, or ``None``. Never raises for a silent or foreign port.
        Output-only readers cannot be probed and return ``None``."""
        return None

    def __init__(self, settings: DeviceSettings, *, now: Callable[[], datetime] = datetime.now):
        self.settings = settings
        self.now = now  # local wall clock; injected so tests and debouncing are deterministic

    # lifecycle
    @abc.abstractmethod
    def open(self) -> None:
        """Open the port or connection and greet the device (authenticate if needed)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Say goodbye if the protocol has it and release the port; never raises."""

    def __enter__(self) -> TimeClock:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # queries
    @abc.abstractmethod
    def info(self) -> DeviceInfo:
        """Model, serial number, firmware and counts, as far as the protocol tells."""

    def read_clock(self) -> datetime:
        """The device's own clock as naive local time."""
        raise NotSupported("this device has no clock", device=self.settings.id)

    def set_clock(self, when: datetime) -> None:
        """Set the device's clock to ``when`` (naive local time)."""
        raise NotSupported("this device has no clock", device=self.settings.id)

    def fetch(self, cursor: Cursor | None = None, progress: Progress | None = None) -> FetchResult:
        """Download the punches stored after ``cursor`` (all of them when ``None``).

        All or nothing: a transfer that fails part-way raises and returns no punches.
        """
        raise NotSupported("this device stores no records", device=self.settings.id)

    def listen(self, stop: threading.Event) -> Iterator[Punch]:
        """Yield punches as they happen, until ``stop`` is set."""
        raise NotSupported("this device sends no live events", device=self.settings.id)

    def users(self) -> list[DeviceUser]:
        """The user list held by the device."""
        raise NotSupported("this device holds no user list", device=self.settings.id)

    def clear_log(self) -> None:
        """Erase the device's attendance log. Call only after its punches are committed.

        A driver that can should refuse (:class:`DeviceRefused`) when the log holds
        records its last :meth:`fetch` did not return: clearing would lose them."""
        raise NotSupported("this device stores no records", device=self.settings.id)


# --- registry -------------------------------------------------------------------------

# protocol name -> "module:Class"; imported only when a device of that protocol is used.
PROTOCOLS: dict[str, str] = {
    "zkteco": "drivers.zkteco:ZKTimeClock",
    "fingerprint": "drivers.fingerprint:FingerprintModule",
    "rfid": "drivers.rfid:CardReader",
    "lines": "drivers.lines:LineReader",
    "anviz": "drivers.anviz:AnvizClock",
}


def driver_class(protocol: str) -> type[TimeClock]:
    """The driver class for a config ``protocol`` string, imported on first use."""
    import importlib

    try:
        target = PROTOCOLS[protocol]
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise DriverError(f"unknown protocol {protocol!r}", hint=f"use one of {known}") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def open_driver(
    settings: DeviceSettings, *, now: Callable[[], datetime] = datetime.now
) -> TimeClock:
    """Build (not open) the driver for ``settings``."""
    return driver_class(settings.protocol)(settings, now=now)
