"""Backups: a consistent copy while everything runs, the nightly copies, and restore.

``monitor backup DEST`` and the collector's nightly job copy the database with SQLite's
online backup (pages in steps, the WAL included), so the collector and the site go on
writing. ``monitor restore SRC`` copies the backup aside, verifies the copy (file, both
chains, signed heads and digests) and only then swaps it in, keeping the replaced file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.config import Config
from monitor.errors import MonitorError, Refused
from monitor.service.health import collector_state
from monitor.service.keys import load_key
from monitor.store import IntegrityReport, Store, copy_database
from monitor.store.turnstile import SUFFIX as WRITERS

PREFIX = "attendance-"
SUFFIX = ".db"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    pruned: tuple[Path, ...] = ()


def backup_name(now: datetime) -> str:
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"


def take_backup(store: Store, destination: Path, now: datetime,
                progress: Callable[[int, int], None] | None = None) -> BackupResult:
    """Copy the database to ``destination`` (a folder: a dated file inside it) and record
    the result in the database, failed or not."""
    target = destination / backup_name(now) if destination.is_dir() else destination
    try:
        size = store.backup_to(target, progress)
    except MonitorError as exc:
        _record(store, now, target, str(exc))
        raise
    _record(store, now, target, None)
    return BackupResult(target, size)


def nightly_backup(store: Store, folder: Path, keep: int, now: datetime) -> BackupResult:
    """The collector's nightly copy into ``folder``, keeping the newest ``keep``."""
    folder.mkdir(parents=True, exist_ok=True)
    result = take_backup(store, folder, now)
    copies = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    pruned = tuple(copies[:-keep]) if keep and len(copies) > keep else ()
    for old in pruned:
        old.unlink(missing_ok=True)
    return BackupResult(result.path, result.size, pruned)


def _record(store: Store, now: datetime, target: Path, error: str | None) -> None:
    try:
        store.record_backup({"at": now.isoformat(timespec="seconds"), "path": str(target), "ok": error is None,
                             "error": error})
    except MonitorError:
        pass  # the database refuses even this: the error itself is already on its way up


def last_backup(store: Store) -> dict | None:
    """The last backup's result (``at``, ``path``, ``ok``, ``error``), for alerts."""
    return store.last_backup()


@dataclass(frozen=True)
class RestoreResult:
    report: IntegrityReport
    kept: Path | None  # the replaced database, kept beside it


def restore(config: Config, source: Path, now: datetime) -> RestoreResult:
    """Verify a backup and put it in place of the database (see the module docstring)."""
    database = config.storage.database
    if not source.is_file():
        raise Refused(f"{source}: no such backup file")
    if database.exists() and database.stat().st_size:
        try:
            with Store(database, zone=config.site.zone, migrate=False) as current:
                if collector_state(current, now).running:
                    raise Refused("the collector is running: stop 'monitor run' and 'monitor serve' before restoring")
        except MonitorError as exc:
            if isinstance(exc, Refused):
                raise
            # a damaged database cannot say whether the collector runs: that is why we restore
    staged = database.with_name(database.name + ".restoring")
    staged.unlink(missing_ok=True)
    copy_database(source, staged)
    try:
        with Store(staged, zone=config.site.zone, key=load_key(config.storage.key_file), migrate=False) as copy:
            report = copy.verify_integrity()
        if not report.ok:
            problems = "; ".join(f.problem for f in report.findings)
            raise Refused(f"{source} does not verify, so it was not restored: {problems}")
        kept = None
        if database.exists():
            kept = database.with_name(f"{database.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            os.replace(database, kept)
        for suffix in ("-wal", "-shm"):
            # the replaced file's journal goes with it: replayed into the restored file it would corrupt it
            journal = Path(f"{database}{suffix}")
            if journal.exists():
                if kept is not None:
                    os.replace(journal, Path(f"{kept}{suffix}"))
                else:
                    journal.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
        os.replace(staged, database)
    finally:
        staged.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", WRITERS):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
    return RestoreResult(report, kept)
