"""Command and acknowledgement exchange with one fingerprint module over an open link."""

from __future__ import annotations

import time

from drivers.base import DeviceRefused, DeviceSettings, DeviceTimeout, FrameError
from drivers.fingerprint.packets import ACK, OK, Packet, PacketFramer, command, meaning
from drivers.link import SerialLink

ATTEMPTS = 3  # a garbled or missing reply is asked again; every command we send is idempotent


class ModuleSession:
    """Sends commands to a module at ``address`` and returns its acknowledgements."""

    def __init__(self, settings: DeviceSettings, address: int):
        self.settings = settings
        self.address = address
        self.link: SerialLink[Packet] = SerialLink.open(settings, PacketFramer())

    def close(self) -> None:
        self.link.close()

    def checked(self, instruction: int, params: bytes, what: str) -> Packet:
        """:meth:`request`, raising :class:`DeviceRefused` unless the module says OK."""
        reply = self.request(instruction, params)
        self.check(reply, what)
        return reply

    def check(self, reply: Packet, what: str) -> None:
        if reply.code != OK:
            raise DeviceRefused(f"{what}: {meaning(reply.code)}", device=self.settings.id)

    def request(self, instruction: int, params: bytes = b"") -> Packet:
        """Send a command and return the acknowledgement, asking again after a garbled
        or missing reply."""
        packet = command(instruction, params, self.address).encode()
        problem: FrameError | None = None
        silences = 0
        for _ in range(ATTEMPTS):
            self.link.discard_input()
            self.link.write(packet)
            try:
                reply = self._await_ack()
            except FrameError as exc:
                problem = exc
                continue
            if reply is not None:
                return reply
            silences += 1
            if silences == 2:  # a module that ignored the command twice is not there
                break
        if problem is not None:
            raise FrameError(
                f"garbled replies from the fingerprint module: {problem.message}",
                device=self.settings.id,
                hint="check the cable and its ground, and that nothing else talks on the line",
            )
        raise DeviceTimeout(
            f"no answer from the fingerprint module on {self.settings.port}",
            device=self.settings.id,
            hint=f"check TX/RX are crossed, the module has power, and the baud rate ({self.settings.baudrate}; modules ship with 57600)",
        )

    def _await_ack(self) -> Packet | None:
        deadline = time.monotonic() + self.settings.timeout
        while (remaining := deadline - time.monotonic()) > 0:
            reply = self.link.read_frame(remaining)
            if reply is None:
                return None
            # data packets (template uploads) are not answers to a command
            if reply.kind == ACK and reply.address == self.address:
                return reply
        return None
