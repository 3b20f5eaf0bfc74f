"""Serving a :class:`VirtualClock` over TCP, UDP or a pseudo-terminal, in threads.

Each server runs until :meth:`Server.stop`; every blocking call wakes at least every
``POLL`` seconds to notice it. Bound to 127.0.0.1 and port 0 by default, so tests get
a free port and nothing is reachable from outside.
"""

from __future__ import annotations

import abc
import os
import select
import socket
import threading

from drivers.base import FrameError
from drivers.simulators.zk.device import VirtualClock
from drivers.simulators.zk.session import DeviceSession, HangUp
from drivers.zkteco.framing import SERIAL_FRAMINGS, TcpFraming

POLL = 0.1


class Server(abc.ABC):
    """One transport serving one clock."""

    def __init__(self, clock: VirtualClock):
        self.clock = clock
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.connections = 0  # hosts served so far (a reconnect counts again)

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """What a device's ``port`` in the config should say."""

    @abc.abstractmethod
    def _run(self) -> None: ...

    def start(self) -> Server:
        self._spawn(self._run, "serve")
        return self

    def _spawn(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=f"zk-sim-{name}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._close()
        for thread in list(self.threads):
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def _close(self) -> None:
        """Release sockets or the pty (called once, from :meth:`stop`)."""

    def _feed(self, session: DeviceSession, framing, data: bytes) -> None:
        framing.feed(data)
        while True:
            try:
                payload = framing.next_payload()
            except FrameError:
                with self.clock.lock:
                    self.clock.bad_packets += 1
                continue
            if payload is None:
                return
            session.handle(payload)


class TcpServer(Server):
    def __init__(self, clock: VirtualClock, host: str = "127.0.0.1", port: int = 0):
        super().__init__(clock)
        self.sock = socket.create_server((host, port))
        self.sock.settimeout(POLL)
        self.host, self.port = self.sock.getsockname()[:2]
        self._open: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._open.add(conn)
            self._spawn(self._serve, f"tcp-{self.connections}", conn)

    def _serve(self, conn: socket.socket) -> None:
        framing = TcpFraming()
        conn.settimeout(POLL)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = DeviceSession(self.clock, lambda payload: conn.sendall(framing.encode(payload)), stop=self.stopping)
        try:
            while not self.stopping.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                self._feed(session, framing, data)
        except (HangUp, OSError):
            pass
        finally:
            session.close()
            self._open.discard(conn)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _close(self) -> None:
        self.sock.close()
        for conn in list(self._open):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class UdpServer(Server):
    """One socket; a session per host address, as the clock keeps them."""

    def __init__(self, clock: VirtualClock, host: str = "127.0.0.1", port: int = 0):
        super().__init__(clock)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(POLL)
        self.host, self.port = self.sock.getsockname()[:2]
        self.sessions: dict[tuple[str, int], DeviceSession] = {}

    @property
    def url(self) -> str:
        return f"udp://{self.host}:{self.port}"

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                datagram, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            session = self.sessions.get(peer)
            if session is None:
                self.connections += 1
                session = self.sessions[peer] = DeviceSession(
                    self.clock, lambda payload, peer=peer: self.sock.sendto(payload, peer), datagram=True, stop=self.stopping
                )
            try:
                session.handle(datagram)
            except HangUp:
                session.close()  # the clock forgets the host: it must connect again
                del self.sessions[peer]
            except OSError:
                pass

    def _close(self) -> None:
        self.sock.close()


class PtyServer(Server):
    """The clock on a serial line: a pseudo-terminal whose other end a driver opens.

    ``framing`` is the serial framing to speak (``tcp`` by default, UNCONFIRMED like
    the driver's). A fault that cuts the connection hangs the pty up and opens a new
    one behind the same ``link``, as unplugging and re-plugging an adapter does."""

    def __init__(self, clock: VirtualClock, link: str | None = None, framing: str = "tcp"):
        # POSIX only; imported here so TCP and UDP clocks also run on Windows
        from drivers.simulators.pty import PseudoTerminal

        super().__init__(clock)
        self.framing_class = SERIAL_FRAMINGS[framing]
        self.pty = PseudoTerminal(link)
        self._nonblocking()

    @property
    def url(self) -> str:
        return self.pty.name

    def _nonblocking(self) -> None:
        import fcntl

        flags = fcntl.fcntl(self.pty.master, fcntl.F_GETFL)
        fcntl.fcntl(self.pty.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)

    def _write(self, data: bytes) -> None:
        """Write all of ``data`` unless stopping (a host that stopped reading must not
        block the simulator forever)."""
        view = memoryview(data)
        while view and not self.stopping.is_set():
            try:
                written = os.write(self.pty.master, view)
            except BlockingIOError:
                select.select([], [self.pty.master], [], POLL)
                continue
            view = view[written:]

    def _run(self) -> None:
        while not self.stopping.is_set():
            framing = self.framing_class()
            gap = framing.idle_gap

            def send(payload: bytes, framing=framing, gap=gap) -> None:
                self._write(framing.encode(payload))
                if gap:  # bare packets are told apart only by the pause after them
                    self.stopping.wait(gap * 3)

            session = DeviceSession(self.clock, send, stop=self.stopping)
            self.connections += 1
            try:
                self._serve(session, framing)
            except HangUp:
                session.close()
                if not self.stopping.is_set():
                    self.pty.hangup()
                    self.pty.reopen()
                    self._nonblocking()
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                raise
            session.close()
            return

    def _serve(self, session: DeviceSession, framing) -> None:
        gap = framing.idle_gap
        while not self.stopping.is_set():
            pending = gap is not None and bool(framing.buffer)
            ready, _, _ = select.select([self.pty.master], [], [], gap if pending else POLL)
            if not ready:
                if pending:  # the host paused: a bare packet is complete
                    framing.line_idle()
                    self._feed(session, framing, b"")
                continue
            try:
                data = os.read(self.pty.master, 65536)
            except BlockingIOError:
                continue
            self._feed(session, framing, data)

    def _close(self) -> None:
        # the serving thread may be inside select on the master: let it notice first
        for thread in list(self.threads):
            thread.join(timeout=5)
        self.pty.close()


def make_server(transport: str, clock: VirtualClock, *, host: str = "127.0.0.1", port: int = 0,
                link: str | None = None, framing: str = "tcp") -> Server:
    """A server for ``transport`` (``tcp``, ``udp`` or ``pty``)."""
    if transport == "tcp":
        return TcpServer(clock, host, port)
    if transport == "udp":
        return UdpServer(clock, host, port)
    if transport == "pty":
        return PtyServer(clock, link, framing)
    raise ValueError(f"unknown transport {transport!r}: use tcp, udp or pty")
