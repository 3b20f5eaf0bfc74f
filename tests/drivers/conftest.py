"""Fixtures for driver tests: virtual ZK clocks served on 127.0.0.1 or a pty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from drivers.base import DeviceSettings
from drivers.simulators.zk import Faults, VirtualClock, ZKSimulator

DEVICE_NOW = datetime(2026, 11, 26, 9, 0, 0)  # what the simulated clock reads (naive local)


@pytest.fixture
def zk_sim(tmp_path: Path) -> Callable[..., ZKSimulator]:
    """Start a simulated ZK clock: ``zk_sim("tcp"|"udp"|"pty", framing=..., **clock options)``.

    Every simulator started is stopped at teardown. Pty clocks sit behind a symlink in
    ``tmp_path`` so that a driver can reopen them after a simulated unplug."""
    started: list[ZKSimulator] = []

    def start(transport: str = "tcp", *, framing: str = "tcp", faults: Faults | None = None, **options) -> ZKSimulator:
        options.setdefault("now", lambda: DEVICE_NOW)
        options.setdefault("users", 8)
        options.setdefault("records", 120)
        clock = VirtualClock(faults=faults, **options)
        link = str(tmp_path / f"ttyZK{len(started)}") if transport == "pty" else None
        simulator = ZKSimulator(clock, transport=transport, link=link, framing=framing).start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def zk_settings() -> Callable[..., DeviceSettings]:
    """``zk_settings(simulator, timeout=1.0, **options)``: settings that reach it."""

    def settings(simulator: ZKSimulator, *, timeout: float = 1.0, **options) -> DeviceSettings:
        if simulator.transport == "pty":
            options.setdefault("framing", simulator.server.framing_class.name)
        return DeviceSettings(id="zk-test", protocol="zkteco", port=simulator.url, timeout=timeout, options=options)

    return settings
