"""A bulk job's writes on a thread of their own, in order, while the job prepares the next batch.

Why a thread: Python's sqlite3 gives up the GIL while SQLite works (``sqlite3_step``,
``COMMIT``, a checkpoint), and most of a batch's write is that work (the B-tree and its
indexes). On a second core it runs beside the judging of the next batch instead of after it.

The writer owns the store's connection for as long as it runs: every write transaction
goes through it, one batch a transaction, in the order the batches were handed over. The
job reads on a connection of its own (``Store.reader``). At most ``depth`` batches wait,
so memory stays bounded and a stop (SIGTERM) waits for a few short transactions at most.

The GIL: a thread coming back from SQLite waits for the GIL until the running thread
gives it up, after at most the interpreter's switch interval (5 ms by default). A
batch's transaction comes back a dozen times (each statement, the commit), and every
wait counts in the time the write lock is held. So while a writer runs, the switch
interval is 1 ms (a process-wide setting, restored when the last writer ends, as
``fewer_collections`` does for the garbage collector).

Errors: the first exception of a write is kept and raised in the job's thread at its next
``put`` or at the end (``close``), the same exception the write raised (a
:class:`~monitor.errors.StorageError` for a full or read-only disk). Batches handed over
after a failed one are dropped, never written out of order.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

Batch = TypeVar("Batch")

_DONE = object()
# The switch interval while a writer runs (seconds): bounds each GIL wait of the writer.
SWITCH_INTERVAL = 0.001
_switch_lock = threading.Lock()
_writers = 0
_saved_interval = sys.getswitchinterval()


def _writer_started() -> None:
    global _writers, _saved_interval
    with _switch_lock:
        if _writers == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, SWITCH_INTERVAL))
        _writers += 1


def _writer_ended() -> None:
    global _writers
    with _switch_lock:
        _writers -= 1
        if _writers == 0:
            sys.setswitchinterval(_saved_interval)


class BatchWriter(Generic[Batch]):
    """Runs ``write(batch)`` for each batch ``put``, in order, on one thread."""

    def __init__(self, write: Callable[[Batch], None], *, depth: int = 2, name: str = "batch-writer"):
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> BatchWriter[Batch]:
        _writer_started()
        try:
            self._thread.start()
        except BaseException:
            _writer_ended()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None) -> None:
        # the batches already handed over are judged and consistent: they are written
        # (or dropped after a failed write) before the job's own exception goes on
        try:
            self._finish()
        finally:
            _writer_ended()
        if kind is None:
            self.raise_failure()

    def put(self, batch: Batch) -> None:
        """Hand a batch over (waits while ``depth`` batches wait); raises the writer's
        error, if it had one, instead of queueing behind it."""
        self.raise_failure()
        self._queue.put(batch)  # never blocks for good: the writer drains even after a failure
        self.raise_failure()

    def raise_failure(self) -> None:
        """Raise the exception a write ended with, if any."""
        if self._error is not None:
            raise self._error

    def _finish(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is _DONE:
                return
            if self._error is not None:
                continue  # drained, not written: nothing is written after a failed batch
            try:
                self._write(batch)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - handed to the job's thread
                self._error = exc
