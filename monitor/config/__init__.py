"""The configuration: ``config.toml`` parsed once into frozen dataclasses.

Order of precedence: code defaults, then the TOML file, then environment overrides
(``MONITOR_DATABASE``). Nothing reads the config at import time.

Validation (:mod:`monitor.config.checker`) collects *every* problem before failing, each
as one line ``FILE:LINE: key.path: what is wrong (what is allowed)``, so ``monitor config
check`` can list them all at once. Array-of-tables entries are counted from 0
(``devices[0]`` is the first ``[[devices]]``), as TOML tools and JSON paths do.

The core sections live in :mod:`.core`; the engine's sections (``[schedules]``,
``[units]``, ``[calendar]``, ``[leave]``, ``[rules]``) are parsed by :mod:`.policy` into
the engine's own typed values, carried as :attr:`Config.policy`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from monitor.config.checker import Checker
from monitor.config.core import (
    DEFAULT_DATABASE,
    DEFAULT_TIMEZONE,
    ID_PATTERN,
    DeviceConfig,
    SiteConfig,
    StorageConfig,
    WebConfig,
    parse_devices,
    parse_site,
    parse_storage,
    parse_web,
)
from monitor.config.notify import NotifyConfig, parse_notify
from monitor.config.policy import SECTIONS as POLICY_SECTIONS
from monitor.config.policy import parse_policy
from monitor.config.push import PushConfig, PushDeviceSettings, parse_push
from monitor.config.requests import parse_requests
from monitor.engine.policy import OfficePolicy
from monitor.engine.requests import RequestPolicy
from monitor.errors import ConfigError, NotFound

__all__ = [
    "Config",
    "DeviceConfig",
    "PushConfig",
    "PushDeviceSettings",
    "NotifyConfig",
    "SiteConfig",
    "StorageConfig",
    "WebConfig",
    "DEFAULT_DATABASE",
    "DEFAULT_TIMEZONE",
    "ID_PATTERN",
    "load_config",
    "parse_config",
]
CORE_SECTIONS = ("site", "storage", "devices", "web", "push", "notify", "requests")


@dataclass(frozen=True)
class Config:
    path: Path | None
    site: SiteConfig = field(default_factory=SiteConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    devices: tuple[DeviceConfig, ...] = ()
    web: WebConfig = field(default_factory=WebConfig)
    policy: OfficePolicy = field(default_factory=OfficePolicy)
    push: PushConfig = field(default_factory=PushConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    # kept off OfficePolicy: its fingerprint re-judges every day, and these settings judge nothing
    requests: RequestPolicy = field(default_factory=RequestPolicy)

    def device(self, device_id: str) -> DeviceConfig:
        for device in self.devices:
            if device.id == device_id:
                return device
        known = ", ".join(d.id for d in self.devices) or "none configured"
        raise NotFound(f"no device {device_id!r} in {self.path or 'the config'} (devices: {known})")


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
    checker.known_keys(raw, set(CORE_SECTIONS) | set(POLICY_SECTIONS), ())
    base = base or Path.cwd()
    site = parse_site(checker, raw.get("site"))
    storage = parse_storage(checker, raw.get("storage"), base)
    devices = parse_devices(checker, raw.get("devices"))
    web = parse_web(checker, raw.get("web"))
    policy = parse_policy(checker, raw)
    push = parse_push(checker, raw.get("push"))
    notify = parse_notify(checker, raw.get("notify"), base)
    requests = parse_requests(checker, raw.get("requests"))
    if checker.problems:
        raise ConfigError(checker.problems)
    return Config(path=None, site=site, storage=storage, devices=devices, web=web, policy=policy, push=push,
                  notify=notify, requests=requests)


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
        return _apply_environment(config)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    config = parse_config(text, source=str(file), base=file.resolve().parent)
    return _apply_environment(replace(config, path=file))


def _apply_environment(config: Config) -> Config:
    # a relative MONITOR_DATABASE is relative to where it was typed, not to the config file
    override = os.environ.get("MONITOR_DATABASE")
    if not override:
        return config
    path = Path(override).expanduser()
    database = path if path.is_absolute() else Path.cwd() / path
    return replace(config, storage=replace(config.storage, database=database))
