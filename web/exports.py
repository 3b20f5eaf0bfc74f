"""Heavy exports (the C01-HD workbook) outside the waitress request threads.

A province's timesheet takes seconds of pure Python. Run in a request thread, four of
them hold every thread, and run in a thread of this process they take the interpreter
lock from the pages as well. So they run in worker processes (``[web] export_workers``,
one by default) with a short queue (``[web] export_queue``); past that the answer is
"busy, try again" (503 with Retry-After). The workers run at a lower CPU priority, so
that on a small machine the pages win the cores while a workbook is made.

A request waits a moment for its file (a small office's comes at once), else it answers
202 with a page that reloads itself, and the finished file waits for that reload. A
waiting request holds one of waitress's threads, so at most half of them wait at once;
the others answer 202 at once and the pages keep their threads. A second request for the
same file joins the job under way.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app

from monitor.config.core import WebConfig
from monitor.engine.leave import LeaveConfig

KEEP_SECONDS = 600  # a finished file nobody fetched is dropped after this
RELOAD_SECONDS = 1  # the "preparing" page asks again after this; a request then waits up to 2 s for the file
NICENESS = 10  # the workers' CPU priority below the pages (os.nice; "below normal" on Windows)
BELOW_NORMAL_PRIORITY_CLASS = 0x4000  # Windows' SetPriorityClass value


@dataclass(frozen=True)
class TimesheetRequest:
    """Everything the worker process needs (it reads the database itself)."""

    database: Path
    zone: str
    month: str
    unit: str | None
    unit_codes: tuple[str, ...] | None
    organisation: str
    symbols: LeaveConfig
    file_format: str = "xlsx"  # or pdf
    now: datetime | None = None  # the export's moment (None: the store's clock), unless every unit is locked


def timesheet_workbook(job: TimesheetRequest) -> bytes | None:
    """The C01-HD file for the job, or ``None`` when no day is judged (run in the worker)."""
    from monitor.reports.period import Month
    from monitor.reports.timesheet_export import export_timesheet
    from monitor.store import Store

    with Store(job.database, zone=job.zone, migrate=False) as store:
        data, sheets = export_timesheet(store, Month.parse(job.month), job.symbols, file_format=job.file_format,
                                        organisation=job.organisation, now=job.now or store.now(), unit=job.unit,
                                        allowed=job.unit_codes)
    return data if sheets else None


def _start_worker() -> None:
    """Run once in each worker process as it starts: lower its CPU priority, so that the
    pages' threads win a busy machine, and import the export code before the first job."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    elif sys.platform == "win32":  # pragma: no cover - Windows has no os.nice
        import ctypes

        kernel32 = ctypes.windll.kernel32
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS)
    import monitor.reports.timesheet_export  # noqa: F401


def _ready() -> bool:
    return True


# one pool per worker count, shared by every app made in this process (tests make many,
# and a spawned worker costs a second of start-up)
_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(workers: int) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            # spawn, not fork: forking a process that runs threads can copy a held lock
            pool = _pools[workers] = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)
        return pool


class ExportJobs:
    """Jobs by key (who, what, which month and unit), run in a bounded worker pool."""

    def __init__(self, workers: int = WebConfig.export_workers, waiting: int = WebConfig.export_queue, *,
                 waiters: int = 2) -> None:
        self.limit = workers + waiting
        self.workers = workers
        self._jobs: dict[tuple[str, ...], tuple[Future, float]] = {}
        self._lock = threading.Lock()
        self.waiters = waiters
        self._waiting = threading.BoundedSemaphore(waiters) if waiters > 0 else None

    def start(self, key: tuple[str, ...], job: TimesheetRequest) -> Future | None:
        """The job under way for ``key``, or a new one; ``None`` when too many are under way."""
        with self._lock:
            self._drop_stale()
            if key in self._jobs:
                return self._jobs[key][0]
            if sum(1 for future, _ in self._jobs.values() if not future.done()) >= self.limit:
                return None
            future = _pool(self.workers).submit(timesheet_workbook, job)
            self._jobs[key] = (future, time.monotonic())
            return future

    @contextmanager
    def waiting_slot(self) -> Iterator[bool]:
        """Whether this request may hold its thread to wait for a file (a slot is free);
        the slot is given back on leaving."""
        if self._waiting is None or not self._waiting.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self._waiting.release()

    def wait(self, future: Future, seconds: float) -> bool:
        """Whether ``future`` is done, waiting up to ``seconds`` for it when a request
        thread may be spared for that (else it answers at once)."""
        if not future.done():
            with self.waiting_slot() as allowed:
                if allowed:
                    wait([future], timeout=seconds)
        return future.done()

    def warm(self) -> Future:
        """Start the workers now (a spawned process imports the export code for a second
        or so), so that the first export does not wait for that."""
        return _pool(self.workers).submit(_ready)

    def forget(self, key: tuple[str, ...]) -> None:
        """The file was handed out (or failed): the next request makes a fresh one."""
        with self._lock:
            self._jobs.pop(key, None)

    def _drop_stale(self) -> None:
        limit = time.monotonic() - KEEP_SECONDS
        for key in [k for k, (future, started) in self._jobs.items() if future.done() and started < limit]:
            del self._jobs[key]

    def shutdown(self) -> None:
        """Stop this size's workers (after the job under way) and forget every job."""
        with _pools_lock:
            pool = _pools.pop(self.workers, None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._jobs.clear()


def init_app(app: Flask, web: WebConfig) -> None:
    """The app's export jobs, sized by ``[web]``: at most half of waitress's threads
    wait for a file, the others always serve pages."""
    app.extensions["exports"] = ExportJobs(web.export_workers, web.export_queue, waiters=web.threads // 2)


def export_jobs() -> ExportJobs:
    """The current app's export jobs."""
    return current_app.extensions["exports"]
