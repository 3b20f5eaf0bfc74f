"""Heavy exports (the C01-HD workbook) outside the waitress request threads.

A province's timesheet takes tens of seconds of pure Python. Run in a request thread,
four of them hold every thread, and run in a thread of this process they take the
interpreter lock from the pages as well. So they run in one worker process, one at a
time, with a short queue; past that the answer is "busy, try again" (503 with
Retry-After). A request waits a moment for its file (a small office's comes at once),
else it answers 202 with a page that reloads itself, and the finished file waits for
that reload. A second request for the same file joins the job under way.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.engine.leave import LeaveConfig

WORKERS = 1  # on the 2-core machine: one core for the pages, one for exports
WAITING = 2  # jobs queued behind the running one before "busy"
KEEP_SECONDS = 600  # a finished file nobody fetched is dropped after this


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


class ExportJobs:
    """Jobs by key (who, what, which month and unit), run in a bounded worker pool."""

    def __init__(self, workers: int = WORKERS, waiting: int = WAITING) -> None:
        self.limit = workers + waiting
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[tuple[str, ...], tuple[Future, float]] = {}
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: forking a process that runs threads can copy a held lock
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def start(self, key: tuple[str, ...], job: TimesheetRequest) -> Future | None:
        """The job under way for ``key``, or a new one; ``None`` when too many are under way."""
        with self._lock:
            self._drop_stale()
            if key in self._jobs:
                return self._jobs[key][0]
            if sum(1 for future, _ in self._jobs.values() if not future.done()) >= self.limit:
                return None
            future = self._executor().submit(timesheet_workbook, job)
            self._jobs[key] = (future, time.monotonic())
            return future

    def forget(self, key: tuple[str, ...]) -> None:
        """The file was handed out (or failed): the next request makes a fresh one."""
        with self._lock:
            self._jobs.pop(key, None)

    def _drop_stale(self) -> None:
        limit = time.monotonic() - KEEP_SECONDS
        for key in [k for k, (future, started) in self._jobs.items() if future.done() and started < limit]:
            del self._jobs[key]

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            self._jobs.clear()


# one worker pool per process, shared by every app made in it (tests make many)
jobs = ExportJobs()
