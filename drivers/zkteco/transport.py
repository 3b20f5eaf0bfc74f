"""Links to a ZK device: TCP, UDP, or a serial port (anything ``serial_for_url`` opens).

A link sends and receives whole payloads; it knows nothing of commands. Its
``receive`` timeout is an *inactivity* timeout: a slow serial line delivering a large
chunk byte by byte is not a dead one.
"""

from __future__ import annotations

import abc
import socket
import time
from urllib.parse import urlsplit

import serial

from drivers.base import DeviceSettings, DeviceTimeout, Disconnected, DriverError, FrameError, PortUnavailable
from drivers.ports import close_port, open_port
from drivers.zkteco.framing import SERIAL_FRAMINGS, DatagramFraming, StreamFraming, TcpFraming

DEFAULT_PORT = 4370
NETWORK_SCHEMES = ("tcp", "udp")


class Link(abc.ABC):
    """One open connection to one device."""

    kind: str = ""

    def __init__(self, device: str, where: str):
        self.device = device
        self.where = where
        self.noise = 0  # runs of bytes dropped as not-a-frame (for wrong-baud-rate hints)

    @abc.abstractmethod
    def send(self, payload: bytes) -> None:
        """Write one payload."""

    @abc.abstractmethod
    def receive(self, timeout: float) -> bytes | None:
        """The next valid payload, or ``None`` after ``timeout`` seconds without a byte.

        Raises :class:`FrameError` for dropped bytes, :class:`Disconnected` when the
        connection is gone."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the socket or port; never raises."""


class StreamLink(Link):
    """A byte stream (TCP socket or serial port) cut into payloads by a framing."""

    def __init__(self, device: str, where: str, framing: StreamFraming):
        super().__init__(device, where)
        self.framing = framing

    @abc.abstractmethod
    def _read(self, timeout: float) -> bytes:
        """Some bytes, or ``b""`` after ``timeout`` seconds of silence."""

    @abc.abstractmethod
    def _write(self, data: bytes) -> None: ...

    def send(self, payload: bytes) -> None:
        self._write(self.framing.encode(payload))

    def receive(self, timeout: float) -> bytes | None:
        framing = self.framing
        gap = framing.idle_gap
        deadline = time.monotonic() + timeout
        while True:
            try:
                payload = framing.next_payload()
            except FrameError:
                self.noise += 1
                raise
            if payload is not None:
                return payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            pending = bool(framing.buffer)
            data = self._read(min(remaining, gap) if gap and pending else remaining)
            if data:
                framing.feed(data)
                deadline = time.monotonic() + timeout
            elif gap and pending:
                framing.line_idle()

    def discard_input(self) -> None:
        self.framing.reset()


class TcpLink(StreamLink):
    kind = "tcp"

    def __init__(self, device: str, host: str, port: int, timeout: float):
        super().__init__(device, f"tcp://{host}:{port}", TcpFraming())
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except socket.gaierror as exc:
            raise PortUnavailable(f"unknown host {host!r}", device=device, hint="check the address in the config") from exc
        except ConnectionRefusedError as exc:
            raise PortUnavailable(
                f"{self.where} refused the connection",
                device=device,
                hint="check the address and that the clock's TCP port is 4370 (Menu > Comm.)",
            ) from exc
        except TimeoutError as exc:
            raise DeviceTimeout(
                f"no answer from {self.where}", device=device, hint="check the cable, the address and the network"
            ) from exc
        except OSError as exc:
            raise PortUnavailable(f"cannot connect to {self.where}: {exc.strerror or exc}", device=device) from exc
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read(self, timeout: float) -> bytes:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(262144)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise Disconnected(f"the connection to {self.where} broke: {exc.strerror or exc}", device=self.device) from exc
        if not data:
            raise Disconnected(f"{self.where} closed the connection", device=self.device, hint="try again; if it repeats, restart the clock")
        return data

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise Disconnected(f"cannot write to {self.where}: {exc.strerror or exc}", device=self.device) from exc

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class SerialLink(StreamLink):
    """A serial port, or a serial server via ``socket://``/``rfc2217://``."""

    kind = "serial"

    def __init__(self, settings: DeviceSettings, framing: StreamFraming):
        super().__init__(settings.id, settings.port, framing)
        self.port = open_port(settings)
        self._timeout = self.port.timeout

    def _read(self, timeout: float) -> bytes:
        timeout = max(timeout, 0.001)
        try:
            # pyserial reconfigures the port on every timeout change: only change it when needed
            if self._timeout != timeout:
                self.port.timeout = self._timeout = timeout
            return self.port.read(max(1, self.port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise Disconnected(f"{self.where} went away: {exc}", device=self.device, hint="check the cable and the adapter") from exc

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout(
                f"writing to {self.where} timed out", device=self.device, hint="check flow control and the cable"
            ) from exc
        except (serial.SerialException, OSError) as exc:
            raise Disconnected(f"cannot write to {self.where}: {exc}", device=self.device) from exc

    def close(self) -> None:
        close_port(self.port)


class UdpLink(Link):
    kind = "udp"

    def __init__(self, device: str, host: str, port: int):
        super().__init__(device, f"udp://{host}:{port}")
        self.framing = DatagramFraming()
        try:
            address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)[0][4]
        except socket.gaierror as exc:
            raise PortUnavailable(f"unknown host {host!r}", device=device, hint="check the address in the config") from exc
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(address)

    def send(self, payload: bytes) -> None:
        try:
            self.sock.send(self.framing.encode(payload))
        except OSError as exc:
            raise Disconnected(f"cannot send to {self.where}: {exc.strerror or exc}", device=self.device) from exc

    def receive(self, timeout: float) -> bytes | None:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            datagram = self.sock.recv(65535)
        except TimeoutError:
            return None
        except ConnectionRefusedError as exc:
            raise Disconnected(
                f"nothing listens on {self.where}", device=self.device, hint="check the address and the clock's UDP port (4370)"
            ) from exc
        except OSError as exc:
            raise Disconnected(f"cannot receive from {self.where}: {exc.strerror or exc}", device=self.device) from exc
        try:
            return self.framing.decode(datagram)
        except FrameError:
            self.noise += 1
            raise

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def network_address(port: str) -> tuple[str, str, int] | None:
    """``("tcp"|"udp", host, port)`` for a ``tcp://``/``udp://`` device URL, else ``None``."""
    parts = urlsplit(port)
    if parts.scheme not in NETWORK_SCHEMES:
        return None
    if not parts.hostname:
        raise DriverError(f"{port!r} names no host", hint="write tcp://HOST:4370 or udp://HOST:4370")
    try:
        number = parts.port or DEFAULT_PORT
    except ValueError:
        raise DriverError(f"{port!r} has an invalid port number", hint="write tcp://HOST:4370") from None
    return parts.scheme, parts.hostname, number


def open_link(settings: DeviceSettings, framing: str = "tcp") -> Link:
    """Open the link a device's ``port`` names: ``tcp://``, ``udp://``, or a serial port."""
    address = network_address(settings.port)
    if address is None:
        try:
            framing_class = SERIAL_FRAMINGS[framing]
        except KeyError:
            raise DriverError(
                f"unknown ZK serial framing {framing!r}",
                device=settings.id,
                hint=f"use one of {', '.join(SERIAL_FRAMINGS)} (see docs/zkteco.md)",
            ) from None
        return SerialLink(settings, framing_class())
    scheme, host, number = address
    if scheme == "tcp":
        return TcpLink(settings.id, host, number, settings.timeout)
    return UdpLink(settings.id, host, number)
