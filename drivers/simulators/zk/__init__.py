"""A faithful virtual ZKTeco clock over TCP, UDP or a pseudo-terminal.

For tests (threads, 127.0.0.1, a free port)::

    with ZKSimulator(VirtualClock(records=500, seed=7), transport="tcp") as sim:
        settings = DeviceSettings(id="zk1", protocol="zkteco", port=sim.url)

and for people: ``monitor simulate zk --tcp 127.0.0.1:4370`` (monitor/cli/simulate.py).
"""

from __future__ import annotations

from drivers.simulators.zk.device import Faults, VirtualClock
from drivers.simulators.zk.servers import Server, make_server

__all__ = ["Faults", "VirtualClock", "ZKSimulator"]


class ZKSimulator:
    """A :class:`VirtualClock` served in background threads until :meth:`stop`."""

    def __init__(
        self,
        clock: VirtualClock | None = None,
        *,
        transport: str = "tcp",
        host: str = "127.0.0.1",
        port: int = 0,
        link: str | None = None,
        framing: str = "tcp",
    ):
        self.clock = clock or VirtualClock()
        self.server: Server = make_server(transport, self.clock, host=host, port=port, link=link, framing=framing)
        self.transport = transport

    @property
    def url(self) -> str:
        """The device ``port`` to configure: ``tcp://...``, ``udp://...`` or the pty path."""
        return self.server.url

    def start(self) -> ZKSimulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> ZKSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
