"""A ZK session: numbered requests and their replies, real-time events, and the
buffered chunked transfer of data sets.

Every request carries a reply number that the device echoes; a reply with another
number is a late answer to an earlier, retried request and is dropped. Real-time
events (command REG_EVENT, reply number 0) can arrive between any two replies: they
are acknowledged and queued for :meth:`Session.next_event`.
"""

from __future__ import annotations

import struct
import time
from collections import deque
from collections.abc import Callable, Collection

from drivers.base import DeviceRefused, DeviceTimeout, Disconnected, DriverError, FrameError, NotSupported
from drivers.zkteco.protocol import (
    ACK_DATA,
    ACK_ERROR,
    ACK_OK,
    ACK_UNAUTH,
    ACK_UNKNOWN,
    CMD_AUTH,
    CMD_CONNECT,
    CMD_DATA,
    CMD_FREE_DATA,
    CMD_PREPARE_BUFFER,
    CMD_PREPARE_DATA,
    CMD_READ_BUFFER,
    CMD_REG_EVENT,
    Packet,
    comm_key_hash,
)
from drivers.zkteco.transport import Link

PREPARE_BUFFER = struct.Struct("<bhii")  # 1, command, data-set id, 0
READ_BUFFER = struct.Struct("<ii")  # start, size
OK_REPLIES = frozenset({ACK_OK, ACK_DATA, CMD_DATA, CMD_PREPARE_DATA})
COMM_KEY_HINT = "set comm_key in the device's [[devices]] entry to the Comm Key shown on the clock (Menu > Comm. > Comm Key)"


class Session:
    """Requests and replies over one :class:`Link`."""

    def __init__(self, link: Link, *, device: str, timeout: float, retries: int = 2):
        self.link = link
        self.device = device
        self.timeout = timeout
        self.retries = retries
        self.session_id = 0
        self._reply = 0
        self.events: deque[Packet] = deque()
        self.dropped_frames = 0
        self.connected = False
        self._noise_at_send = 0  # link noise when the last request went out

    # --- sending and receiving --------------------------------------------------------

    def _next_reply(self) -> int:
        # 1..0xFFFE: 0 is what real-time events carry, and 0xFFFF is never sent
        self._reply = self._reply % 0xFFFE + 1
        return self._reply

    def send(self, command: int, data: bytes = b"", *, reply: int | None = None) -> int:
        number = self._next_reply() if reply is None else reply
        self._noise_at_send = self.link.noise
        self.link.send(Packet(command, self.session_id, number, data).encode())
        return number

    def receive(self, timeout: float | None = None) -> Packet | None:
        """The next packet that is not an event (events are queued), or ``None``."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            packet = self._receive_any(max(0.0, deadline - time.monotonic()))
            if packet is None or packet.command != CMD_REG_EVENT:
                return packet

    def _receive_any(self, timeout: float) -> Packet | None:
        """The next packet; an event is also acknowledged and queued."""
        payload = self.link.receive(timeout)
        if payload is None:
            return None
        packet = Packet.decode(payload)
        if packet.command == CMD_REG_EVENT:
            self._acknowledge_event(packet)
        return packet

    def _acknowledge_event(self, packet: Packet) -> None:
        self.events.append(packet)
        self.link.send(Packet(ACK_OK, self.session_id, 0).encode())

    def await_reply(self, number: int, what: str) -> Packet:
        """The reply carrying ``number``; older replies are dropped."""
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            packet = self.receive(remaining) if remaining > 0 else None
            if packet is None:
                raise self._timeout(what)
            if packet.reply == number:
                return packet
            self.dropped_frames += 1

    def _timeout(self, what: str) -> DeviceTimeout:
        if self.link.noise > self._noise_at_send:
            serial_line = self.link.kind == "serial"
            return DeviceTimeout(
                f"no valid answer to {what} from {self.link.where}; the bytes that came were not ZK frames",
                device=self.device,
                hint="the baud rate probably differs from the clock's (Menu > Comm. > Baudrate), or the framing"
                " (docs/zkteco.md)" if serial_line else "is this a ZK clock? check the address and port",
            )
        return DeviceTimeout(
            f"no answer to {what} from {self.link.where} within {self.timeout:g} s",
            device=self.device,
            hint="check the cable, the port, that the clock is on, and the baud rate"
            if self.link.kind == "serial"
            else "check the address, the network and that the clock is on",
        )

    def request(
        self,
        command: int,
        data: bytes = b"",
        *,
        what: str,
        accept: Collection[int] = OK_REPLIES,
        retries: int | None = None,
    ) -> Packet:
        """Send, await the reply, retry on silence or a damaged reply; refuse other codes."""
        attempts = 1 + (self.retries if retries is None else retries)
        error: DriverError | None = None
        for _attempt in range(attempts):
            number = self.send(command, data)
            try:
                packet = self.await_reply(number, what)
            except (DeviceTimeout, FrameError) as exc:
                error = exc
                continue
            if packet.command not in accept:
                raise self.refusal(packet, what)
            return packet
        assert error is not None
        raise error

    def refusal(self, packet: Packet, what: str) -> DriverError:
        if packet.command == ACK_UNAUTH and self.connected:
            # the clock forgot our session (it restarted, or dropped us as idle)
            return Disconnected(f"the clock ended the session during {what}", device=self.device, hint="try again")
        if packet.command == ACK_UNAUTH:
            return DeviceRefused(f"the clock refused {what}: not authenticated", device=self.device, hint=COMM_KEY_HINT)
        if packet.command == ACK_UNKNOWN:
            return NotSupported(f"the clock does not know {what}", device=self.device)
        if packet.command == ACK_ERROR:
            return DeviceRefused(f"the clock answered ACK_ERROR to {what}", device=self.device, hint="it may be busy; try again")
        return FrameError(f"unexpected reply {packet.name} to {what}", device=self.device)

    # --- session ----------------------------------------------------------------------

    def connect(self, comm_key: int) -> None:
        """Open the session, authenticating with the comm key when the clock asks."""
        self.session_id = 0
        self._reply = 0
        self.connected = False
        # one retry only: a silent port should fail in seconds, not after three timeouts
        packet = self.request(CMD_CONNECT, what="CONNECT", accept={ACK_OK, ACK_UNAUTH}, retries=min(1, self.retries))
        self.session_id = packet.session
        if packet.command == ACK_UNAUTH:
            reply = self.request(
                CMD_AUTH, comm_key_hash(comm_key, self.session_id), what="AUTH", accept={ACK_OK, ACK_UNAUTH}
            )
            if reply.command == ACK_UNAUTH:
                raise DeviceRefused(
                    "the clock refused the comm key" if comm_key else "the clock has a comm key and none is configured",
                    device=self.device,
                    hint=COMM_KEY_HINT,
                )
        self.connected = True

    def next_event(self, timeout: float) -> Packet | None:
        """The next queued or arriving real-time event, or ``None`` after ``timeout``."""
        if self.events:
            return self.events.popleft()
        deadline = time.monotonic() + timeout
        while not self.events:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            packet = self._receive_any(remaining)
            if packet is None:
                return None
            if packet.command != CMD_REG_EVENT:
                self.dropped_frames += 1  # a late reply while idle
        return self.events.popleft()

    # --- buffered transfer ----------------------------------------------------------------

    def read_dataset(
        self,
        command: int,
        fct: int = 0,
        *,
        what: str,
        chunk_size: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> bytes:
        """A whole data set (``u32 total`` + records) through the buffered transfer.

        Every chunk is checked (announced size, packet checksums, byte count); a damaged
        or missing chunk is asked for again, up to ``retries`` times, never skipped."""
        reply = self.request(CMD_PREPARE_BUFFER, PREPARE_BUFFER.pack(1, command, fct, 0), what=f"staging the {what}")
        if reply.command == CMD_DATA:
            return reply.data  # small data sets come whole
        if reply.command == CMD_PREPARE_DATA:
            raise NotSupported(f"the clock answered the buffered read of the {what} the old way", device=self.device,
                               hint="capture a download with spy:// (docs/zkteco.md) and report it")
        if len(reply.data) < 5:
            raise FrameError(f"the clock staged the {what} without saying its size", device=self.device)
        size = struct.unpack_from("<I", reply.data, 1)[0]
        data = bytearray(size)
        if progress:
            progress(0, size)
        for start in range(0, size, chunk_size):
            length = min(chunk_size, size - start)
            data[start : start + length] = self._read_chunk(start, length, what)
            if progress:
                progress(start + length, size)
        try:
            self.request(CMD_FREE_DATA, what="FREE_DATA", retries=0)
        except (DeviceTimeout, FrameError, DeviceRefused):
            pass  # the data is complete; the clock frees its buffer on the next read anyway
        return bytes(data)

    def _read_chunk(self, start: int, length: int, what: str) -> bytes:
        error: DriverError | None = None
        label = f"the {what} chunk at byte {start}"
        for _attempt in range(1 + self.retries):
            number = self.send(CMD_READ_BUFFER, READ_BUFFER.pack(start, length))
            try:
                return self._receive_chunk(number, length, label)
            except (DeviceTimeout, FrameError) as exc:
                error = exc
        assert error is not None
        raise type(error)(f"{error.message} (asked {1 + self.retries} times)", device=self.device, hint=error.hint)

    def _receive_chunk(self, number: int, length: int, label: str) -> bytes:
        first = self.await_reply(number, label)
        if first.command == CMD_DATA:
            chunk = first.data
        elif first.command == CMD_PREPARE_DATA:
            if len(first.data) < 4:
                raise FrameError(f"PREPARE_DATA for {label} carries no size", device=self.device)
            announced = struct.unpack_from("<I", first.data)[0]
            if announced != length:
                raise FrameError(f"the clock announced {announced} bytes for {label} of {length}", device=self.device)
            parts: list[bytes] = []
            received = 0
            # DATA packets (one over TCP, 1 KiB each over UDP) until the announced size;
            # the trailing ACK_OK is not awaited: it is dropped as an old reply later
            while received < announced:
                packet = self.await_reply(number, label)
                if packet.command != CMD_DATA:
                    raise FrameError(f"{label} ended after {received} of {announced} bytes ({packet.name})", device=self.device)
                parts.append(packet.data)
                received += len(packet.data)
            chunk = b"".join(parts)
        elif first.command in (ACK_ERROR, ACK_UNKNOWN, ACK_UNAUTH):
            raise self.refusal(first, label)
        else:
            raise FrameError(f"unexpected reply {first.name} to {label}", device=self.device)
        if len(chunk) != length:
            raise FrameError(f"{label} came with {len(chunk)} bytes, {length} asked", device=self.device)
        return chunk
