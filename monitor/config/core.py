"""The core sections of the config: ``[site]``, ``[storage]``, ``[web]`` and ``[[devices]]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivers.base import BAUDRATES, PROTOCOLS, DeviceSettings
from monitor.config.checker import Checker, KeyPath

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_DATABASE = "attendance.db"
# ids of devices, schedules and the like: safe in URLs, file names and log lines
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class SiteConfig:
    name: str = "Attendance monitor"
    timezone: str = DEFAULT_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class StorageConfig:
    """``[storage]``: the database and the files that keep it trustworthy.

    The key file, the spool and the backup folder default to names beside the database
    (``attendance.key``, ``attendance.spool``, ``backups/``)."""

    database: Path = Path(DEFAULT_DATABASE)
    key_file_setting: Path | None = None
    spool_setting: Path | None = None
    backup_dir_setting: Path | None = None
    backup_keep: int = 7  # nightly copies kept by the collector; 0 turns the nightly backup off
    backup_at: str = "02:30"  # local time of the nightly backup
    punch_not_before: date = date(2000, 1, 1)  # older punch times are refused as implausible
    punch_max_ahead_hours: int = 24  # punch times further ahead of now are refused

    @property
    def key_file(self) -> Path:
        """The secret that signs the logs' heads; readable only by the service user."""
        return self.key_file_setting or self.database.with_suffix(".key")

    @property
    def spool(self) -> Path:
        """Live readers' punches land here first (one JSON line each, fsync'd)."""
        return self.spool_setting or self.database.with_suffix(".spool")

    @property
    def backup_dir(self) -> Path:
        return self.backup_dir_setting or self.database.parent / "backups"


@dataclass(frozen=True)
class WebConfig:
    """``monitor serve``: where the site listens and how sessions behave."""

    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4
    language: str = "vi"
    session_minutes: int = 480
    secure_cookies: bool = False  # set true when served over HTTPS (behind a reverse proxy)
    export_workers: int = 1  # processes making heavy exports (C01-HD), below the pages' priority
    export_queue: int = 2  # exports waiting for a worker before the answer is "busy, try again"
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For is believed (0: none)


@dataclass(frozen=True)
class DeviceConfig:
    """One ``[[devices]]`` entry: how to reach it (``settings``) and how to collect."""

    settings: DeviceSettings
    unit: str | None = None
    enabled: bool = True
    poll_seconds: int = 300
    max_clock_offset_seconds: int = 120

    def clock_suspect(self, offset_seconds: float | None) -> bool:
        """A clock further off the host than allowed: its punches are flagged."""
        return offset_seconds is not None and abs(offset_seconds) > self.max_clock_offset_seconds

    @property
    def id(self) -> str:
        return self.settings.id

    @property
    def protocol(self) -> str:
        return self.settings.protocol


# --- sections -------------------------------------------------------------------------

SITE_KEYS = {"name", "timezone"}
WEB_KEYS = {"host", "port", "threads", "language", "session_minutes", "secure_cookies", "export_workers",
            "export_queue", "trusted_proxies"}
STORAGE_KEYS = {
    "database",
    "key_file",
    "spool",
    "backup_dir",
    "backup_keep",
    "backup_at",
    "punch_not_before",
    "punch_max_ahead_hours",
}
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DEVICE_KEYS = {
    "id",
    "name",
    "protocol",
    "port",
    "url",
    "baudrate",
    "unit",
    "timeout",
    "enabled",
    "poll_seconds",
    "max_clock_offset_seconds",
}


def _check_zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as {DEFAULT_TIMEZONE!r})"
    return None


def _check_id(value: str) -> str | None:
    if not ID_PATTERN.match(value):
        return f"{value!r} is not a valid id (letters, digits, '-', '_', '.'; at most 64)"
    return None


MAX_EXPORT_WORKERS = 16
MAX_EXPORT_QUEUE = 100
MAX_TRUSTED_PROXIES = 5


def _positive(value: int | float) -> str | None:
    return None if value > 0 else f"{value} must be greater than 0"


def parse_site(checker: Checker, raw: Any) -> SiteConfig:
    table = checker.table(raw, ("site",))
    checker.known_keys(table, SITE_KEYS, ("site",))
    return SiteConfig(
        name=checker.get(table, "name", str, ("site",), SiteConfig.name),
        timezone=checker.get(table, "timezone", str, ("site",), DEFAULT_TIMEZONE, check=_check_zone),
    )


def parse_storage(checker: Checker, raw: Any, base: Path) -> StorageConfig:
    table = checker.table(raw, ("storage",))
    checker.known_keys(table, STORAGE_KEYS, ("storage",))
    path = ("storage",)

    def file(key: str, default: str | None) -> Path | None:
        text = checker.get(table, key, str, path, default)
        if text is None:
            return None
        found = Path(text).expanduser()
        return found if found.is_absolute() else base / found

    return StorageConfig(
        database=file("database", DEFAULT_DATABASE) or base / DEFAULT_DATABASE,
        key_file_setting=file("key_file", None),
        spool_setting=file("spool", None),
        backup_dir_setting=file("backup_dir", None),
        backup_keep=checker.get(table, "backup_keep", int, path, StorageConfig.backup_keep,
                                check=lambda v: None if v >= 0 else f"{v} must be 0 (no nightly backup) or more"),
        backup_at=checker.get(table, "backup_at", str, path, StorageConfig.backup_at,
                              check=lambda v: None if TIME_OF_DAY.match(v) else f"{v!r} is not a time of day HH:MM"),
        punch_not_before=checker.get(table, "punch_not_before", date, path, StorageConfig.punch_not_before),
        punch_max_ahead_hours=checker.get(table, "punch_max_ahead_hours", int, path,
                                          StorageConfig.punch_max_ahead_hours, check=_positive),
    )


def parse_web(checker: Checker, raw: Any) -> WebConfig:
    table = checker.table(raw, ("web",))
    checker.known_keys(table, WEB_KEYS, ("web",))
    path = ("web",)
    return WebConfig(
        host=checker.get(table, "host", str, path, WebConfig.host),
        port=checker.get(table, "port", int, path, WebConfig.port, check=lambda v: None if 0 < v < 65536 else f"{v} is not a TCP port (1-65535)"),
        threads=checker.get(table, "threads", int, path, WebConfig.threads, check=_positive),
        language=checker.get(table, "language", str, path, WebConfig.language, choices=("vi", "en")),
        session_minutes=checker.get(table, "session_minutes", int, path, WebConfig.session_minutes, check=_positive),
        secure_cookies=checker.get(table, "secure_cookies", bool, path, False),
        export_workers=checker.get(
            table, "export_workers", int, path, WebConfig.export_workers,
            check=lambda v: None if 1 <= v <= MAX_EXPORT_WORKERS else
            f"{v} export workers: give 1 to {MAX_EXPORT_WORKERS}, at most the cores the pages can spare (1 on 2 cores)"),
        export_queue=checker.get(
            table, "export_queue", int, path, WebConfig.export_queue,
            check=lambda v: None if 0 <= v <= MAX_EXPORT_QUEUE else
            f"{v} queued exports: give 0 (busy at once when the workers are taken) to {MAX_EXPORT_QUEUE}"),
        trusted_proxies=checker.get(
            table, "trusted_proxies", int, path, WebConfig.trusted_proxies,
            check=lambda v: None if 0 <= v <= MAX_TRUSTED_PROXIES else
            f"{v} proxies: give 0 (the site is reached directly) or the number of reverse proxies in front"
            f" (1 for one nginx or IIS), at most {MAX_TRUSTED_PROXIES}"),
    )


def parse_devices(checker: Checker, raw: Any) -> tuple[DeviceConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        checker.problem(("devices",), "must be an array of tables: write each device as [[devices]]")
        return ()
    devices: list[DeviceConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        path: KeyPath = ("devices", index)
        table = checker.table(entry, path)
        protocol = checker.get(table, "protocol", str, path, required=True, choices=tuple(sorted(PROTOCOLS)))
        driver_options: Mapping[str, tuple[type, Any]] = {}
        default_baudrate = 115200
        if protocol:
            driver_options, default_baudrate = _driver_options(checker, protocol, path)
        checker.known_keys(table, DEVICE_KEYS | set(driver_options), path)
        device_id = checker.get(table, "id", str, path, required=True, check=_check_id)
        if device_id in seen:
            checker.problem(path + ("id",), f"{device_id!r} is already used by devices[{seen[device_id]}]")
        elif device_id:
            seen[device_id] = index
        port = checker.get(table, "port", str, path)
        url = checker.get(table, "url", str, path)
        if port and url:
            checker.problem(path + ("url",), "give either port or url, not both")
        elif not port and not url and "port" not in table and "url" not in table:
            checker.problem(path, "needs port (COM3, /dev/ttyUSB0) or url (socket://host:port, tcp://host:4370)")
        options: dict[str, Any] = {}
        for name, (kind, default) in driver_options.items():
            options[name] = checker.get(table, name, kind, path, default)
        settings = DeviceSettings(
            id=device_id or f"device-{index}",
            protocol=protocol or "",
            port=port or url or "",
            name=checker.get(table, "name", str, path, "") or (device_id or ""),
            baudrate=checker.get(table, "baudrate", int, path, default_baudrate, choices=BAUDRATES),
            timeout=float(checker.get(table, "timeout", float, path, 3.0, check=_positive)),
            options=options,
        )
        devices.append(
            DeviceConfig(
                settings=settings,
                unit=checker.get(table, "unit", str, path),
                enabled=checker.get(table, "enabled", bool, path, True),
                poll_seconds=checker.get(table, "poll_seconds", int, path, 300, check=_positive),
                max_clock_offset_seconds=checker.get(
                    table, "max_clock_offset_seconds", int, path, 120, check=_positive
                ),
            )
        )
    return tuple(devices)


def _driver_options(checker: Checker, protocol: str, path: KeyPath) -> tuple[Mapping[str, tuple[type, Any]], int]:
    from drivers.base import driver_class

    try:
        cls = driver_class(protocol)
    except ImportError as exc:
        checker.problem(path + ("protocol",), f"the {protocol!r} driver cannot be loaded: {exc}")
        return {}, 115200
    return cls.options, cls.default_baudrate
