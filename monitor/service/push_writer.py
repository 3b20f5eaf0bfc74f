"""How the push receiver's threads share the one database writer, keep the WAL
checkpoints off the request path, and time themselves.

Measured (``benchmarks/bench_adms.py``): with one plain lock, a heartbeat that arrived
while five clocks uploaded 500-line backfills waited behind all of them, and one
request in a few hundred also paid for a WAL checkpoint (a disk sync) while everyone
else queued. So: short writes (a contact, a realtime punch, a command handed out) go
before bulk ones waiting for the writer; a bulk upload lets waiting short writes in
between its transactions; and checkpoints run in a thread of their own.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from monitor.errors import MonitorError
from monitor.store import Store

log = logging.getLogger("monitor.service.push_receiver")


class WriterGate:
    """One writer at a time in this process; a short write waiting goes before a bulk one.

    SQLite lets one connection write at a time, and a connection that finds the write
    lock taken sleeps in steps of up to 100 ms before it tries again: in one process
    the hand-over is done here instead, at once, and in the order that keeps short
    requests short."""

    def __init__(self) -> None:
        self._state = threading.Condition(threading.Lock())
        self._busy = False
        self._owner: int | None = None
        self._short_waiting = 0
        self.writes = 0  # hand-overs so far (the checkpointer compares it)

    @contextmanager
    def hold(self, *, bulk: bool = False) -> Iterator[None]:
        """Hold the writer for the block; ``bulk`` waits while any short write waits.
        A thread that holds it already just goes on (a contact written inside an upload)."""
        if self._owner == threading.get_ident():
            yield
            return
        self._acquire(bulk)
        try:
            yield
        finally:
            self._release()

    def let_short_writes_in(self) -> None:
        """Called by a bulk holder between two of its transactions: when short writes
        wait, hand the writer to them and wait for it again."""
        with self._state:
            if not self._short_waiting:
                return
        self._release()
        self._acquire(bulk=True)

    def _acquire(self, bulk: bool) -> None:
        with self._state:
            if bulk:
                while self._busy or self._short_waiting:
                    self._state.wait()
            else:
                self._short_waiting += 1
                while self._busy:
                    self._state.wait()
                self._short_waiting -= 1
            self._busy = True
            self._owner = threading.get_ident()

    def _release(self) -> None:
        with self._state:
            self._busy = False
            self._owner = None
            self.writes += 1
            self._state.notify_all()


class Checkpointer:
    """Checkpoints the WAL every ``interval`` seconds when the database changed since the
    last one (the receiver's connections do not: :meth:`Store.defer_checkpoints`), by
    this process's threads or another connection: the upload worker writes without them."""

    def __init__(self, open_store: Callable[[], Store], gate: WriterGate, interval: float = 1.0):
        self._open_store = open_store
        self._gate = gate
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: tuple[int, int] | None = None  # (this process's writes, the database's data version)

    def start(self) -> Checkpointer:
        self._thread = threading.Thread(target=self._run, name="push-checkpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop, after one last checkpoint of what was written."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        store = self._open_store()
        try:
            while not self._stopping.wait(self.interval):
                self._checkpoint(store)
            self._checkpoint(store)
        finally:
            store.close()

    def _checkpoint(self, store: Store) -> None:
        try:
            seen = (self._gate.writes, store.data_version())
            if seen == self._seen:
                return
            store.checkpoint()
            self._seen = seen
        except MonitorError as exc:
            log.warning("push receiver: WAL checkpoint failed (tried again in %.0f s): %s", self.interval, exc)


class HandlerTimes:
    """How long requests spent in the receiver's handler, by kind (the last
    ``keep`` of each): what the server costs, apart from the network and the clients."""

    def __init__(self, keep: int = 50_000):
        self.keep = keep
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # a summary may be asked for while requests are served

    def record(self, kind: str, seconds: float) -> None:
        with self._lock:
            times = self._times.get(kind)
            if times is None:
                times = self._times[kind] = deque(maxlen=self.keep)
            times.append(seconds)

    def summary(self) -> str:
        """One line per kind and one for all: count, p50, p95 and the longest, in ms."""
        with self._lock:
            recorded = {kind: sorted(times) for kind, times in self._times.items()}
        lines = []
        everything: list[float] = []
        for kind in sorted(recorded):
            values = recorded[kind]
            everything += values
            lines.append(_line(kind, values))
        if not everything:
            return "push receiver: no request handled"
        lines.append(_line("all", sorted(everything)))
        return "push receiver, time in the handler:\n" + "\n".join(lines)


def _line(kind: str, values: list[float]) -> str:
    p50 = values[len(values) // 2]
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return f"  {kind:<16} {len(values):>7} requests  p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  max {values[-1] * 1000:7.1f} ms"
