"""The ``[push]`` section: the receiver for ZKTeco clocks that push (ADMS / iclock).

Clocks that push are not listed under ``[[devices]]``: they call in by serial number
and an administrator accepts them (``monitor devices accept``). This section says where
the receiver listens, what it tells the clocks at init, its limits, and the firmware
quirks of particular clocks (``[push.devices.<device id>]``), since firmware differ in
the time zone format, the State table, the verify codes and the line ending they want.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.adms.attlog import STATE_TABLES
from drivers.adms.commands import SET_TIME_STYLES
from drivers.adms.limits import MAX_BODY_BYTES
from drivers.adms.replies import LINE_ENDINGS, TIMEZONE_FORMATS
from monitor.config.checker import Checker, KeyPath

MAX_UPLOAD_WORKERS = 8
PUSH_KEYS = {
    "enabled", "host", "port", "threads", "upload_workers", "trusted_proxy", "delay", "error_delay", "trans_interval",
    "realtime", "sync_time",
    "max_body_bytes", "requests_per_minute", "max_waiting_devices", "held_bytes_per_device",
    "command_timeout_seconds", "max_clock_offset_seconds", "devices",
    "timezone_format", "line_ending", "states", "verify_modes", "set_time_style",
}
DEVICE_KEYS = {"timezone_format", "line_ending", "states", "verify_modes", "set_time_style", "max_clock_offset_seconds"}


@dataclass(frozen=True)
class PushDeviceSettings:
    """How one push clock's firmware wants to be spoken to (defaults: the 3.2.0 document)."""

    timezone_format: str = "hh:mm"
    line_ending: str = "lf"
    states: str = "push-3.2.0"
    verify_modes: Mapping[int, int] = field(default_factory=dict)
    set_time_style: str = "encoded"
    max_clock_offset_seconds: int = 120

    def clock_suspect(self, offset_seconds: float | None) -> bool:
        """A clock further off the server than allowed: its punches are flagged."""
        return offset_seconds is not None and abs(offset_seconds) > self.max_clock_offset_seconds


@dataclass(frozen=True)
class PushConfig:
    """``[push]``: the receiver's address, what clocks are told at init, and its limits."""

    enabled: bool = False
    host: str = "0.0.0.0"
    port: int = 8081
    threads: int = 8
    # processes that parse and store ATTLOG uploads (monitor.service.push_workers); 0: the threads do
    upload_workers: int = 1
    trusted_proxy: str = ""  # the reverse proxy's address (HTTPS): its X-Forwarded-For names the clock
    delay: int = 30
    error_delay: int = 60
    trans_interval: int = 1
    realtime: bool = True
    sync_time: int = 3600
    max_body_bytes: int = MAX_BODY_BYTES
    requests_per_minute: int = 600
    max_waiting_devices: int = 50
    held_bytes_per_device: int = 16 * 1024 * 1024
    command_timeout_seconds: int = 600
    defaults: PushDeviceSettings = field(default_factory=PushDeviceSettings)
    devices: Mapping[str, PushDeviceSettings] = field(default_factory=dict)

    def settings(self, device_id: str | None) -> PushDeviceSettings:
        """The settings of one accepted clock (its own table, or the section's defaults)."""
        return self.devices.get(device_id or "", self.defaults)


def _positive(value: int) -> str | None:
    return None if value > 0 else f"{value} must be greater than 0"


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else f"{value} is not a TCP port (1-65535)"


def _device_settings(checker: Checker, table: Mapping[str, Any], path: KeyPath, base: PushDeviceSettings) -> PushDeviceSettings:
    verify_modes: dict[int, int] = dict(base.verify_modes)
    raw_map = checker.get(table, "verify_modes", dict, path, None)
    for code, ours in (raw_map or {}).items():
        if not (str(code).isdigit() and isinstance(ours, int) and not isinstance(ours, bool) and ours >= 0):
            checker.problem(path + ("verify_modes",), f"{code} = {ours!r}: write device code = our code, e.g. 128 = 1")
            continue
        verify_modes[int(code)] = ours
    return PushDeviceSettings(
        timezone_format=checker.get(table, "timezone_format", str, path, base.timezone_format, choices=TIMEZONE_FORMATS),
        line_ending=checker.get(table, "line_ending", str, path, base.line_ending, choices=tuple(LINE_ENDINGS)),
        states=checker.get(table, "states", str, path, base.states, choices=tuple(STATE_TABLES)),
        verify_modes=verify_modes,
        set_time_style=checker.get(table, "set_time_style", str, path, base.set_time_style, choices=SET_TIME_STYLES),
        max_clock_offset_seconds=checker.get(table, "max_clock_offset_seconds", int, path, base.max_clock_offset_seconds,
                                             check=_positive),
    )


def parse_push(checker: Checker, raw: Any) -> PushConfig:
    """Read ``[push]``; every problem is recorded in ``checker``."""
    path: KeyPath = ("push",)
    table = checker.table(raw, path)
    checker.known_keys(table, PUSH_KEYS, path)
    defaults = _device_settings(checker, {k: v for k, v in table.items() if k in DEVICE_KEYS}, path, PushDeviceSettings())
    devices: dict[str, PushDeviceSettings] = {}
    device_tables = checker.table(table.get("devices"), path + ("devices",))
    for device_id, entry in device_tables.items():
        entry_path = path + ("devices", device_id)
        entry_table = checker.table(entry, entry_path)
        checker.known_keys(entry_table, DEVICE_KEYS, entry_path)
        devices[device_id] = _device_settings(checker, entry_table, entry_path, defaults)
    get = checker.get
    return PushConfig(
        enabled=get(table, "enabled", bool, path, bool(table)),
        host=get(table, "host", str, path, PushConfig.host),
        port=get(table, "port", int, path, PushConfig.port, check=_port),
        threads=get(table, "threads", int, path, PushConfig.threads, check=_positive),
        upload_workers=get(table, "upload_workers", int, path, PushConfig.upload_workers,
                          check=lambda v: None if 0 <= v <= MAX_UPLOAD_WORKERS else f"{v} must be 0-{MAX_UPLOAD_WORKERS}"),
        trusted_proxy=get(table, "trusted_proxy", str, path, ""),
        delay=get(table, "delay", int, path, PushConfig.delay, check=_positive),
        error_delay=get(table, "error_delay", int, path, PushConfig.error_delay, check=_positive),
        trans_interval=get(table, "trans_interval", int, path, PushConfig.trans_interval, check=_positive),
        realtime=get(table, "realtime", bool, path, True),
        sync_time=get(table, "sync_time", int, path, PushConfig.sync_time, check=_positive),
        max_body_bytes=get(table, "max_body_bytes", int, path, PushConfig.max_body_bytes,
                           check=lambda v: None if 0 < v <= MAX_BODY_BYTES else f"{v} must be 1-{MAX_BODY_BYTES}"),
        requests_per_minute=get(table, "requests_per_minute", int, path, PushConfig.requests_per_minute, check=_positive),
        max_waiting_devices=get(table, "max_waiting_devices", int, path, PushConfig.max_waiting_devices, check=_positive),
        held_bytes_per_device=get(table, "held_bytes_per_device", int, path, PushConfig.held_bytes_per_device, check=_positive),
        command_timeout_seconds=get(table, "command_timeout_seconds", int, path, PushConfig.command_timeout_seconds,
                                    check=_positive),
        defaults=defaults,
        devices=devices,
    )
