"""The configuration: ``config.toml`` parsed once into frozen dataclasses.

Order of precedence: code defaults, then the TOML file, then environment overrides
(``MONITOR_DATABASE``). Nothing reads the config at import time.

Validation (monitor.config_checker) collects *every* problem before failing, each as one line
``FILE:LINE: key.path: what is wrong (what is allowed)``, so ``monitor config check``
can list them all at once. Array-of-tables entries are counted from 0
(``devices[0]`` is the first ``[[devices]]``), as TOML tools and JSON paths do.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivers.base import BAUDRATES, PROTOCOLS, DeviceSettings
from monitor.config_checker import Checker
from monitor.errors import ConfigError

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_DATABASE = "attendance.db"
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
    database: Path = Path(DEFAULT_DATABASE)


@dataclass(frozen=True)
class WebConfig:
    """``monitor serve``: where the site listens and how sessions behave."""

    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4
    language: str = "vi"
    session_minutes: int = 480
    secure_cookies: bool = False  # set true when served over HTTPS (behind a reverse proxy)


@dataclass(frozen=True)
class DeviceConfig:
    """One ``[[devices]]`` entry: how to reach it (``settings``) and how to collect."""

    settings: DeviceSettings
    unit: str | None = None
    enabled: bool = True
    poll_seconds: int = 300
    max_clock_offset_seconds: int = 120

    @property
    def id(self) -> str:
        return self.settings.id

    @property
    def protocol(self) -> str:
        return self.settings.protocol


@dataclass(frozen=True)
class Config:
    path: Path | None
    site: SiteConfig = field(default_factory=SiteConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    devices: tuple[DeviceConfig, ...] = ()
    web: WebConfig = field(default_factory=WebConfig)
    # sections owned by later features are kept as validated plain data
    sections: Mapping[str, Any] = field(default_factory=dict)

    def device(self, device_id: str) -> DeviceConfig:
        for device in self.devices:
            if device.id == device_id:
                return device
        from monitor.errors import NotFound

        known = ", ".join(d.id for d in self.devices) or "none configured"
        raise NotFound(f"no device {device_id!r} in {self.path or 'the config'} (devices: {known})")


# --- sections -------------------------------------------------------------------------

SITE_KEYS = {"name", "timezone"}
WEB_KEYS = {"host", "port", "threads", "language", "session_minutes", "secure_cookies"}
STORAGE_KEYS = {"database"}
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
    database = checker.get(table, "database", str, ("storage",), DEFAULT_DATABASE)
    path = Path(database).expanduser()
    return StorageConfig(database=path if path.is_absolute() else base / path)


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
        path: tuple[str | int, ...] = ("devices", index)
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


def _driver_options(checker: Checker, protocol: str, path: tuple[str | int, ...]) -> tuple[Mapping[str, tuple[type, Any]], int]:
    from drivers.base import driver_class

    try:
        cls = driver_class(protocol)
    except ImportError as exc:
        checker.problem(path + ("protocol",), f"the {protocol!r} driver cannot be loaded: {exc}")
        return {}, 115200
    return cls.options, cls.default_baudrate


# Later features register their top-level sections here: name -> parser(checker, raw).
# The parser returns validated plain data that lands in Config.sections[name].
SECTION_PARSERS: dict[str, Callable[[Checker, Any], Any]] = {}
CORE_SECTIONS = {"site", "storage", "devices", "web"}


def parse_config(text: str, source: str = "config.toml", base: Path | None = None) -> Config:
    """Parse and validate TOML text; raise :class:`ConfigError` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        if match:
            raise ConfigError(
                f"{source}:{match.group(1)}:{match.group(2)}: invalid TOML: {reason}"
            ) from None
        raise ConfigError(f"{source}: invalid TOML: {reason}") from None
    checker = Checker(source, text)
    checker.known_keys(raw, CORE_SECTIONS | set(SECTION_PARSERS), ())
    base = base or Path.cwd()
    site = parse_site(checker, raw.get("site"))
    storage = parse_storage(checker, raw.get("storage"), base)
    devices = parse_devices(checker, raw.get("devices"))
    web = parse_web(checker, raw.get("web"))
    sections = {name: parser(checker, raw.get(name)) for name, parser in SECTION_PARSERS.items()}
    if checker.problems:
        raise ConfigError(checker.problems)
    return Config(path=None, site=site, storage=storage, devices=devices, web=web, sections=sections)


def load_config(path: str | os.PathLike[str] | None = None, *, required: bool = True) -> Config:
    """Read ``path`` (or ``$MONITOR_CONFIG``, or ``./config.toml``).

    With ``required=False`` a missing default file gives the code defaults, so
    ``monitor init`` works in an empty folder.
    """
    explicit = path is not None or "MONITOR_CONFIG" in os.environ
    file = Path(path or os.environ.get("MONITOR_CONFIG") or "config.toml")
    if not file.exists():
        if explicit or required:
            raise ConfigError(
                f"{file}: no such config file (copy config.example.toml to {file.name} and edit it, or pass --config PATH)"
            )
        config = Config(path=None)
        return _apply_environment(config, Path.cwd())
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    config = parse_config(text, source=str(file), base=file.resolve().parent)
    return _apply_environment(replace(config, path=file), file.resolve().parent)


def _apply_environment(config: Config, base: Path) -> Config:
    override = os.environ.get("MONITOR_DATABASE")
    if not override:
        return config
    path = Path(override).expanduser()
    return replace(config, storage=StorageConfig(database=path if path.is_absolute() else Path.cwd() / path))


# The compliance engine's sections ([schedules], [units], [calendar], [leave], [rules]),
# registered last so that the engine's modules may refer to this one without a cycle.
from monitor.policy import SECTION_PARSERS as _ENGINE_SECTIONS  # noqa: E402

SECTION_PARSERS.update(_ENGINE_SECTIONS)
