"""One RS485 port shared by several Anviz clocks.

Every ``[[devices]]`` entry with the same port gets the same :class:`AnvizBus`: one open
port, one framer, one reader. RS485 is half duplex and the clocks only speak when asked,
so requests take turns under a lock and each reply is matched to its request by device
id and command. When the port fails the bus is marked broken and forgotten, so the next
``open()`` (after the adapter returns) builds a fresh one.
"""

from __future__ import annotations

import os
import threading
import time

from drivers.anviz.frames import REPLY, AnvizFrame, AnvizFramer, request
from drivers.base import DeviceSettings, DeviceTimeout, Disconnected, DriverError, FrameError
from drivers.link import SerialLink

ATTEMPTS = 3

_buses: dict[str, AnvizBus] = {}
_registry_lock = threading.Lock()


def bus_key(port: str) -> str:
    """Entries naming the same device through a symlink share a bus."""
    if "://" not in port and os.path.exists(port):
        return os.path.realpath(port)
    return port


def attach(settings: DeviceSettings) -> AnvizBus:
    """The bus for the device's port, opened on first use."""
    key = bus_key(settings.port)
    with _registry_lock:
        bus = _buses.get(key)
        if bus is None or bus.broken:
            bus = AnvizBus(key, settings)
            _buses[key] = bus
        elif bus.baudrate != settings.baudrate:
            raise DriverError(
                f"{settings.port} is already open at {bus.baudrate} baud by another clock",
                device=settings.id,
                hint="clocks sharing one RS485 line must use the same baudrate",
            )
        bus.users += 1
        return bus


def detach(bus: AnvizBus) -> None:
    """Release one user of the bus; the last one closes the port."""
    with _registry_lock:
        bus.users -= 1
        if bus.users > 0:
            return
        if _buses.get(bus.key) is bus:
            del _buses[bus.key]
    bus.link.close()


class AnvizBus:
    """A port and the lock that makes clocks on it take turns."""

    def __init__(self, key: str, settings: DeviceSettings):
        self.key = key
        self.baudrate = settings.baudrate
        self.link = SerialLink.open(settings, AnvizFramer())
        self.lock = threading.Lock()
        self.users = 0
        self.broken = False

    def exchange(
        self, device_id: int, command: int, data: bytes, *, timeout: float, device: str, repeatable: bool = True
    ) -> AnvizFrame:
        """Send a request to one clock and return its reply, asking again after a garbled
        or missing one when the request is ``repeatable`` (a "next batch" request is
        not: asked twice, it would skip a batch)."""
        with self.lock:
            if self.broken:
                raise Disconnected(f"the port {self.key} was lost", device=device, hint="the collector reopens it when it returns")
            try:
                return self._exchange(device_id, command, data, timeout, device, ATTEMPTS if repeatable else 1)
            except Disconnected:
                self._forget()
                raise

    def _exchange(self, device_id: int, command: int, data: bytes, timeout: float, device: str, attempts: int) -> AnvizFrame:
        packet = request(device_id, command, data)
        problem: FrameError | None = None
        silences = 0
        for _ in range(attempts):
            self.link.discard_input()
            self.link.write(packet)
            try:
                answer = self._await(device_id, command, timeout)
            except FrameError as exc:
                problem = exc
                continue
            if answer is not None:
                return answer
            silences += 1
            if silences == 2:
                break
        if problem is not None:
            raise FrameError(
                f"garbled replies from clock {device_id}: {problem.message}",
                device=device,
                hint="check the RS485 wiring (A/B, termination, shared ground) and that only one master polls the line",
            )
        raise DeviceTimeout(
            f"clock {device_id} does not answer on {self.key}",
            device=device,
            hint="check the clock's device id (option device_id), the A/B wires and the baudrate (Anviz default 9600)",
        )

    def _await(self, device_id: int, command: int, timeout: float) -> AnvizFrame | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            frame = self.link.read_frame(remaining)
            if frame is None:
                return None
            # our own request echoed by a two-wire adapter, or a reply meant for an
            # earlier request, is not the answer
            if frame.command == command | REPLY and (device_id == 0 or frame.device_id == device_id):
                return frame
        return None

    def _forget(self) -> None:
        self.broken = True
        with _registry_lock:
            if _buses.get(self.key) is self:
                del _buses[self.key]
