"""The only module that touches SQLite (through sqlite-utils).

``Store`` joins the parts: the punch log (:mod:`.punches`), the directory of units,
employees, enrollments and users (:mod:`.directory`), device state (:mod:`.devices`).
Keep every SQL statement behind this package so that a central PostgreSQL stays
possible later.
"""

from __future__ import annotations

from pathlib import Path

from monitor.config import Config
from monitor.store.devices import DeviceStore
from monitor.store.directory import ROLES, DirectoryStore, UpsertResult
from monitor.store.leave import LeaveStore
from monitor.store.punches import AddResult, ChainReport, PunchStore
from monitor.store.results import ResultStore

__all__ = ["Store", "open_store", "AddResult", "ChainReport", "UpsertResult", "ROLES"]


class Store(PunchStore, DirectoryStore, DeviceStore, LeaveStore, ResultStore):
    """The attendance database."""


def open_store(config: Config, *, create: bool = False, now=None) -> Store:
    """Open the configured database (``create=True`` makes it if missing)."""
    return Store(Path(config.storage.database), zone=config.site.zone, now=now, create=create)
