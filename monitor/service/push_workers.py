"""Processes of the push receiver that parse and store the clocks' attendance uploads.

Measured (``benchmarks/bench_adms.py``: 200 realtime clocks while 5 clocks upload
20,000-line backfills in 500-line batches): in the receiver's own threads a batch costs
about 8 ms of CPU to parse, chain and append, and every one of those milliseconds held
the process's GIL. The receiver used one core while the other was a third idle, and
each batch waited behind the four others for the GIL. In a process of its own that work
runs on the other core; the receiver's threads read requests and answer the rest.

Realtime uploads go to the worker too, ahead of the batches waiting there (``urgent``):
while the receiver's threads wrote them themselves, the worker waited 1.3 ms per batch
on average for the write lock they held, and their short transactions stretched while
their thread waited for the receiver's GIL between two statements.

Each server thread that hands over a job has a pipe of its own to a worker (a slot),
writes the job and waits on that pipe for the answer, with the GIL let go. A
``concurrent.futures`` pool, with its queue and result threads, took three hand-overs of
the receiver's GIL per job instead of one: with the receiver's threads busy, a job that
did nothing took 9 ms there, 4 ms here.

A job is a picklable module-level function and its arguments. What it logs in the
worker is sent back with its result and logged here, through this process's handlers.
A worker that dies (killed, out of memory) loses only the job it held, whose
transaction SQLite rolls back: the caller gets :class:`WorkerLost` and answers so that
the clock sends it again, and new workers take over.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

from monitor.errors import MonitorError

log = logging.getLogger("monitor.service.push_workers")

START_SECONDS = 60.0  # how long the workers may take to start (imports, opening the database)
STOP_SECONDS = 10.0  # how long a worker may take to finish its job at stop


class WorkerLost(MonitorError):
    """No worker stored the job: it died with it, or none could be started."""


class UploadWorkers:
    """``count`` worker processes (spawned: they share nothing with this one but the
    database file), each set up once by ``initializer(*initargs)``, serving ``slots``
    pipes between them (one per thread that may hand over a job at once)."""

    def __init__(self, count: int, slots: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()):
        if count < 1 or slots < 1:
            raise ValueError("UploadWorkers needs at least one process and one slot")
        self.count = min(count, slots)
        self.slots = slots
        self._initializer = initializer
        self._initargs = initargs
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._stopped = False
        self.restarts = 0  # times new workers took over from one that died

    def start(self) -> UploadWorkers:
        """Start the processes and wait until each is ready (a few hundred milliseconds
        the first uploads would otherwise wait for). Raises :class:`WorkerLost` with
        the worker's own error when one cannot start."""
        self._current()
        return self

    def run(self, job: Callable[..., Any], *args: Any, urgent: bool = False) -> Any:
        """``job(*args)`` in a worker; blocks this thread (not the others) until done.
        An ``urgent`` job goes before the others waiting for that worker. Raises
        :class:`WorkerLost` when no worker stored it; an exception the job raised is
        raised here as :class:`RuntimeError` carrying the worker's traceback."""
        message = pickle.dumps((urgent, job, args), pickle.HIGHEST_PROTOCOL)
        for attempt in (1, 2):
            generation = self._current()
            slot = generation.free.get()
            try:
                try:
                    slot.send_bytes(message)
                except OSError:
                    # the worker was gone before the job reached it: new ones take the job
                    self._replace(generation)
                    if attempt == 1:
                        continue
                    raise WorkerLost("the processes storing uploads end as soon as they start") from None
                try:
                    ok, result, records = pickle.loads(slot.recv_bytes())
                except (EOFError, OSError):
                    self._replace(generation)
                    raise WorkerLost("the process storing uploads ended while it stored this one:"
                                     " nothing of it was kept") from None
            finally:
                generation.free.put(slot)
            break
        for record in records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        if not ok:
            raise RuntimeError(f"a push upload worker's job failed:\n{result}")
        return result

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Let the jobs running finish, then end the processes."""
        with self._lock:
            generation, self._generation, self._stopped = self._generation, None, True
        if generation is not None:
            generation.close(timeout)

    def pids(self) -> list[int]:
        """The process ids of the workers running now (tests, diagnostics)."""
        generation = self._generation
        return [] if generation is None else [p.pid for p in generation.processes if p.is_alive() and p.pid]

    def _current(self) -> _Generation:
        with self._lock:
            if self._stopped:
                raise WorkerLost("the push receiver is stopping")
            if self._generation is None:
                self._generation = _Generation(self.count, self.slots, self._initializer, self._initargs)
            return self._generation

    def _replace(self, broken: _Generation) -> None:
        with self._lock:
            if self._generation is not broken:
                return  # another thread replaced it already
            self._generation = None
            self.restarts += 1
        log.warning("a push upload worker ended unexpectedly (killed, or out of memory?); new ones take over")
        broken.close(0.0)


class _Generation:
    """One start of the workers and their pipes; replaced as a whole when one dies."""

    def __init__(self, count: int, slots: int, initializer: Callable[..., None], initargs: tuple[Any, ...]):
        context = multiprocessing.get_context("spawn")
        ours: list[list[Connection]] = [[] for _ in range(count)]
        theirs: list[list[Connection]] = [[] for _ in range(count)]
        for number in range(slots):
            here, there = context.Pipe()
            ours[number % count].append(here)
            theirs[number % count].append(there)
        self._ours = [end for ends in ours for end in ends]
        self.processes = [
            context.Process(target=_main, args=(theirs[n], initializer, initargs), name=f"push-upload-worker-{n}",
                            daemon=True)
            for n in range(count)
        ]
        for process in self.processes:
            process.start()
        for ends in theirs:
            for end in ends:
                end.close()  # the worker holds them now: its end of each pipe closes with it
        try:
            for ends in ours:
                _ready(ends[0])
        except WorkerLost:
            self.close(0.0)
            raise
        self.free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        # in turns across the workers: two threads at once go to two workers
        for number in range(slots):
            self.free.put(ours[number % count][number // count])

    def close(self, timeout: float) -> None:
        for end in self._ours:
            end.close()  # a worker ends once all its pipes are closed, after the job it runs
        for process in self.processes:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(1.0)


def _ready(pipe: Connection) -> None:
    """Wait for a worker's first word: ready, or why it could not start."""
    try:
        if not pipe.poll(START_SECONDS):
            raise WorkerLost(f"a push upload worker did not start within {START_SECONDS:.0f} s")
        word, detail = pickle.loads(pipe.recv_bytes())
    except (EOFError, OSError):
        raise WorkerLost("a push upload worker ended while it started (see the messages above)") from None
    if word != "ready":
        raise WorkerLost(f"a push upload worker could not start: {detail}")


class Waiting(NamedTuple):
    """A job taken in by a worker and not yet run."""

    urgent: bool
    arrival: int
    pipe: Connection
    job: Callable[..., Any]
    args: tuple[Any, ...]


def next_job(waiting: list[Waiting]) -> Waiting:
    """The job to run next (and out of ``waiting``): the first urgent one that came in,
    else the first that came in."""
    chosen = min(waiting, key=lambda entry: (not entry.urgent, entry.arrival))
    waiting.remove(chosen)
    return chosen


# --- in the worker ------------------------------------------------------------------------


class Collect(logging.Handler):
    """Keeps what a job logs, to be logged again by the receiver's process."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # the message is made here: its arguments may not cross the process boundary
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args, record.exc_info = record.getMessage(), None, None
        self.records.append(record)


def _main(pipes: list[Connection], initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """A worker's life: set up, say so on the first pipe, serve until every pipe is closed."""
    # Ctrl+C reaches the whole process group, a service manager's SIGTERM the whole
    # group too: the receiver decides when its workers stop, after their last job
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    collect = Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    try:
        initializer(*initargs)
    except Exception as exc:  # noqa: BLE001 - said to the receiver, which stops with it
        pipes[0].send_bytes(pickle.dumps(("failed", f"{exc.__class__.__name__}: {exc}")))
        return
    pipes[0].send_bytes(pickle.dumps(("ready", os.getpid())))
    serve(pipes, collect)


# while serve() runs: whether a job other than the running one waits (see another_job_waits)
_others_wait: Callable[[], bool] | None = None


def another_job_waits() -> bool:
    """Called from inside a job: whether another job waits for this worker (one that
    came in and is not run yet). A job made of many steps (storing what is held, upload
    after upload) stops at the next step then, and that job goes next."""
    return _others_wait is not None and _others_wait()


def serve(pipes: list[Connection], collect: Collect) -> None:
    """Take in the jobs that arrived, run the next one (:func:`next_job`), answer on the
    pipe it came by; return when every pipe is closed and nothing waits."""
    global _others_wait
    open_pipes = list(pipes)
    waiting: list[Waiting] = []

    def others_wait() -> bool:
        # the running job's own pipe brings nothing until it is answered (or it closed)
        return bool(waiting) or bool(open_pipes and wait(open_pipes, timeout=0))

    _others_wait = others_wait
    try:
        _serve(open_pipes, waiting, collect)
    finally:
        _others_wait = None


def _serve(open_pipes: list[Connection], waiting: list[Waiting], collect: Collect) -> None:
    arrivals = 0
    while open_pipes or waiting:
        # block only when there is nothing to run: a realtime punch that arrives while
        # batches wait goes before them, so it waits for one batch at most
        idle = [pipe for pipe in open_pipes if all(entry.pipe is not pipe for entry in waiting)]
        for pipe in wait(idle, timeout=0 if waiting else None) if idle else []:
            try:
                urgent, job, args = pickle.loads(pipe.recv_bytes())
            except (EOFError, OSError):
                open_pipes.remove(pipe)
                continue
            arrivals += 1
            waiting.append(Waiting(urgent, arrivals, pipe, job, args))
        if waiting:
            _answer(next_job(waiting), collect, open_pipes)


def _answer(entry: Waiting, collect: Collect, open_pipes: list[Connection]) -> None:
    collect.records = []
    try:
        answer = (True, entry.job(*entry.args), collect.records)
    except Exception:  # noqa: BLE001 - the caller gets the traceback; this worker goes on
        answer = (False, traceback.format_exc(), collect.records)
    try:
        message = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        message = pickle.dumps((False, f"the job's result cannot be sent back: {exc}", []), pickle.HIGHEST_PROTOCOL)
    try:
        entry.pipe.send_bytes(message)
    except OSError:  # the caller is gone (the receiver stopped): nobody to answer
        if entry.pipe in open_pipes:
            open_pipes.remove(entry.pipe)
